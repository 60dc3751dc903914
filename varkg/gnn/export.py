"""Export a graph store (or plain tables) to a PyTorch Geometric :class:`HeteroData`.

Node indices are the row order of :meth:`GraphStore.export_nodes` (sorted by key), so the id maps
are deterministic: the same graph always exports to the same indices. Typed edge indices come
from :meth:`GraphStore.export_edge_index`. Reverse edges ``(dst, "rev_" + rel, src)`` are added for
every relation (as PyG's ``ToUndirected`` names them), so messages flow both ways: a variant hears
from its gene and the gene from its variants.

Every export can write a manifest (``manifest.json``) with the schema hash, the graph release,
the node and edge counts, the feature description and, per node type, the id map (one Parquet file
``id_maps/<Type>.parquet`` with columns ``index``, ``key``; the manifest records its SHA-256).

Example:
    >>> import numpy as np, pyarrow as pa
    >>> g = build_hetero(
    ...     {"Variant": pa.table({"id": ["v1", "v2"], "phylop": [1.0, 2.0]}), "Gene": pa.table({"id": ["g1"]})},
    ...     {("Variant", "AFFECTS", "Gene"): np.array([[0, 1], [0, 0]])},
    ... )
    >>> sorted(g.data.edge_types)
    [('Gene', 'rev_AFFECTS', 'Variant'), ('Variant', 'AFFECTS', 'Gene')]
    >>> g.index_of("Variant", ["v2"]).tolist()
    [1]
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from varkg.errors import SchemaError
from varkg.gnn.features import FeatureEncoder, add_degree_columns
from varkg.schema import Schema, load_schema
from varkg.schema.pyg import pyg_metadata
from varkg.typing import EdgeType, NodeKey, NodeType

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

    from varkg.store.base import GraphStore

REVERSE_PREFIX = "rev_"


@dataclass
class GraphExport:
    """A graph as PyG data plus what is needed to map it back to the store.

    Attributes:
        data: ``HeteroData`` with ``x`` (float32 features) per node type and ``edge_index`` per
            edge type (reverse edges included when requested).
        keys: per node type, the node keys in index order (index ``i`` is ``keys[type][i]``).
        node_tables: the exported node tables (same row order as ``keys``).
        encoder: the fitted feature encoding.
        schema_hash: hash of the schema the graph was built with.
        release_id: the graph release the export was cut from.
    """

    data: HeteroData
    keys: dict[NodeType, np.ndarray]
    node_tables: dict[NodeType, pa.Table]
    encoder: FeatureEncoder
    schema_hash: str
    release_id: str
    reverse: bool = True
    _index: dict[NodeType, dict[str, int]] = field(default_factory=dict, repr=False)

    def index_of(self, node_type: NodeType, keys: Sequence[NodeKey], *, missing: int | None = None) -> np.ndarray:
        """Indices of ``keys``; unknown keys raise (or become ``missing`` when it is given)."""
        if node_type not in self._index:
            self._index[node_type] = {k: i for i, k in enumerate(self.keys[node_type].tolist())}
        lookup = self._index[node_type]
        out = np.empty(len(keys), dtype=np.int64)
        for j, k in enumerate(keys):
            i = lookup.get(k)
            if i is None:
                if missing is None:
                    raise SchemaError(f"{node_type} {k!r} is not in the exported graph")
                i = missing
            out[j] = i
        return out

    def manifest(self) -> dict[str, Any]:
        """The export manifest (without writing it)."""
        d = self.data
        return {
            "format": "varkg-gnn-export/1",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "schema_hash": self.schema_hash,
            "release_id": self.release_id,
            "reverse_edges": self.reverse,
            "num_nodes": {t: int(d[t].num_nodes) for t in d.node_types},
            "num_edges": {"|".join(et): int(d[et].edge_index.shape[1]) for et in d.edge_types},
            "features": self.encoder.describe(),
            "id_maps": {t: {"path": f"id_maps/{t}.parquet", "sha256": _keys_hash(k)} for t, k in self.keys.items()},
        }

    def write_manifest(self, out_dir: str | Path) -> Path:
        """Write ``manifest.json`` and ``id_maps/<Type>.parquet`` under ``out_dir``; returns the manifest path."""
        import pyarrow.parquet as pq

        out = Path(out_dir)
        (out / "id_maps").mkdir(parents=True, exist_ok=True)
        for t, k in self.keys.items():
            pq.write_table(
                pa.table({"index": np.arange(len(k), dtype=np.int64), "key": pa.array(k, pa.string())}),
                out / "id_maps" / f"{t}.parquet",
            )
        path = out / "manifest.json"
        path.write_text(json.dumps(self.manifest(), indent=1))
        return path


def _keys_hash(keys: np.ndarray) -> str:
    h = hashlib.sha256()
    for k in keys.tolist():
        h.update(str(k).encode())
        h.update(b"\n")
    return h.hexdigest()


def reverse_edge_type(et: EdgeType) -> EdgeType:
    """``(src, rel, dst)`` -> ``(dst, rev_rel, src)`` and back."""
    s, r, d = et
    return (d, r[len(REVERSE_PREFIX) :], s) if r.startswith(REVERSE_PREFIX) else (d, REVERSE_PREFIX + r, s)


def build_hetero(
    node_tables: Mapping[NodeType, pa.Table],
    edge_indices: Mapping[EdgeType, np.ndarray],
    *,
    encoder: FeatureEncoder | None = None,
    reverse: bool = True,
    schema: Schema | None = None,
    release_id: str = "",
    key: str = "id",
    degrees: bool = True,
) -> GraphExport:
    """Assemble a :class:`GraphExport` from node tables and ``int64[2, E]`` edge indices.

    Args:
        node_tables: per node type, a table with the key column (rows in index order).
        edge_indices: per edge type, indices into the rows of the endpoint tables.
        encoder: a fitted feature encoding (fitted here on ``node_tables`` when ``None``).
        reverse: add ``rev_`` edge types.
        schema: the schema (packaged one by default).
        release_id: recorded in the manifest.
        key: the key column name.
        degrees: add the structural ``degree:...`` columns from ``edge_indices``
            (:func:`~varkg.gnn.features.add_degree_columns`; label-restating edge types are not
            counted) before encoding.
    """
    import torch
    from torch_geometric.data import HeteroData

    from varkg.gnn.splits import LABEL_EDGE_TYPES

    schema = schema or load_schema()
    if degrees:
        node_tables = add_degree_columns(node_tables, edge_indices, skip_edge_types=set(LABEL_EDGE_TYPES))
    encoder = encoder or FeatureEncoder.fit(node_tables, schema=schema)
    data = HeteroData()
    keys: dict[NodeType, np.ndarray] = {}
    for t, table in node_tables.items():
        keys[t] = np.asarray(table.column(key).to_pylist(), dtype=object)
        data[t].x = torch.from_numpy(encoder.transform(t, table))
        data[t].num_nodes = table.num_rows
    for et, ei in edge_indices.items():
        ei = np.asarray(ei, dtype=np.int64).reshape(2, -1)
        s, _, d = et
        if s not in keys or d not in keys:
            raise SchemaError(f"edge type {et} names a node type that was not exported ({sorted(keys)})")
        if ei.size and (ei[0].max() >= len(keys[s]) or ei[1].max() >= len(keys[d]) or ei.min() < 0):
            raise SchemaError(f"edge type {et}: indices out of range for {len(keys[s])} x {len(keys[d])} nodes")
        data[et].edge_index = torch.from_numpy(ei.copy())
        if reverse:
            data[reverse_edge_type(et)].edge_index = torch.from_numpy(ei[::-1].copy())
    return GraphExport(
        data=data,
        keys=keys,
        node_tables=dict(node_tables),
        encoder=encoder,
        schema_hash=schema.hash,
        release_id=release_id,
        reverse=reverse,
    )


def graph_release(store: GraphStore) -> str:
    """The id of the store's newest ``Release`` node, else a content id of the schema hash and the
    biological node/edge counts (provenance nodes such as PredictionRun are left out, so writing
    predictions back does not change the release they were computed on)."""
    from varkg.provenance import latest_release

    rid = latest_release(store)
    if rid:
        return rid
    prov = {n.name for n in store.schema.nodes.values() if n.provenance}
    counts = {k: v for k, v in store.counts().items() if k.split("-")[0] not in prov and k not in prov}
    digest = hashlib.sha256((store.schema.hash + json.dumps(counts, sort_keys=True)).encode()).hexdigest()
    return f"unreleased:{digest[:16]}"


def export_graph(
    store: GraphStore,
    *,
    node_types: Sequence[NodeType] | None = None,
    encoder: FeatureEncoder | None = None,
    reverse: bool = True,
    out_dir: str | Path | None = None,
) -> GraphExport:
    """Export every non-empty node and edge type of ``store`` (biology only, no provenance).

    Args:
        store: any :class:`~varkg.store.base.GraphStore`.
        node_types: restrict to these node types (default: all of :func:`pyg_metadata`).
        encoder: reuse a fitted feature encoding (e.g. from a checkpoint); fitted here otherwise.
        reverse: add reverse edge types.
        out_dir: when given, write the manifest and id maps there.
    """
    schema = store.schema
    all_nodes, all_edges = pyg_metadata(schema)
    wanted = list(node_types) if node_types is not None else all_nodes
    counts = store.counts()
    tables: dict[NodeType, pa.Table] = {}
    for t in wanted:
        if encoder is not None and t not in encoder.encodings:
            continue  # the model never saw this type
        if counts.get(t, 0) == 0 and encoder is None:
            continue
        props = _export_properties(schema, t, encoder)
        tables[t] = store.export_nodes(t, properties=props)
    edges: dict[EdgeType, np.ndarray] = {}
    for s, r, d in all_edges:
        if s not in tables or d not in tables or counts.get(f"{s}-{r}->{d}", 1) == 0:
            continue
        ei = store.export_edge_index(r, src_type=s, dst_type=d)
        if ei.shape[1]:
            edges[(s, r, d)] = ei
    export = build_hetero(tables, edges, encoder=encoder, reverse=reverse, schema=schema, release_id=graph_release(store))
    if out_dir is not None:
        export.write_manifest(out_dir)
    return export


def _export_properties(schema: Schema, node_type: NodeType, encoder: FeatureEncoder | None) -> list[str]:
    """Properties to pull: those the encoding reads, plus ``chrom`` (for splits)."""
    spec = schema.node(node_type)
    if encoder is not None and node_type in encoder.encodings:
        props = encoder.properties(node_type)
    else:
        props = [p.name for p in spec.properties.values() if p.name != spec.key and p.name != "datasets"]
    extra = [p for p in ("chrom",) if p in spec.properties and p not in props]
    return props + extra
