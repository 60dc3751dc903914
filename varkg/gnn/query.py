"""Pull the k-hop neighbourhood of seed nodes straight from the store with Cypher.

For inference on a large (Neo4j) graph without a full export: hop by hop, for every relation of
the model's metadata that points into the current frontier (the reverse ``rev_`` relations are
the same stored relationships read the other way), one parameterised query fetches the
neighbours of the frontier keys::

    MATCH (a:Gene)-[:IN_PATHWAY]->(b:Pathway) WHERE b.id IN $keys RETURN a.id AS src, b.id AS dst

Labels and relationship types come from the schema only; keys travel as ``$keys``. Fan-out
limits are applied in Python after the fetch (seeded, per destination node), which keeps the
Cypher portable between Ladybug and Neo4j. Then one query per node type fetches the properties
the feature encoder reads, and the subgraph is encoded with the *checkpoint's* encoder.

The semantics are those of :class:`~varkg.gnn.sampler.NeighborSampler`: seeds first, with fan-outs
``-1`` the exact ``k``-hop neighbourhood, so a ``k``-layer model gives the seeds the same outputs
as on the full export.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from varkg.errors import SchemaError
from varkg.gnn.export import REVERSE_PREFIX, GraphExport, build_hetero
from varkg.gnn.features import FeatureEncoder, parse_degree_column
from varkg.typing import EdgeType, NodeKey, NodeType, as_edge_type

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

_BATCH = 5000


def _stored(et: EdgeType) -> tuple[EdgeType, bool]:
    """The stored relationship of ``et`` and whether ``et`` reads it reversed."""
    s, r, d = et
    if r.startswith(REVERSE_PREFIX):
        return (d, r[len(REVERSE_PREFIX) :], s), True
    return et, False


def khop_subgraph(
    store: GraphStore,
    seeds: Sequence[NodeKey],
    *,
    node_type: NodeType,
    edge_types: Sequence[EdgeType],
    num_hops: int,
    encoder: FeatureEncoder,
    fanouts: Sequence[int] | None = None,
    seed: int = 0,
    release_id: str = "",
) -> GraphExport:
    """The ``num_hops`` in-neighbourhood of ``seeds`` as a :class:`GraphExport` (seeds first).

    Args:
        store: the graph store.
        seeds: keys of the seed nodes (of ``node_type``), unique.
        node_type: their type.
        edge_types: edge types (forward and ``rev_``) along which messages flow, e.g. a model's
            metadata.
        num_hops: hops (the model's layers).
        encoder: feature encoding of the trained model.
        fanouts: per-hop neighbour limits (default all, ``-1``).
        seed: seed of the fan-out subsampling.
        release_id: recorded on the export.
    """
    schema = store.schema
    fan = list(fanouts) if fanouts is not None else [-1] * num_hops
    if len(fan) != num_hops:
        raise SchemaError(f"got {len(fan)} fan-outs for {num_hops} hops")
    if len(set(seeds)) != len(seeds):
        raise SchemaError("seed keys contain duplicates")
    rng = np.random.default_rng(seed)
    for et in edge_types:
        (s, r, d), _ = _stored(as_edge_type(et))
        schema.check_endpoints(r, s, d)  # labels/types only from the schema
    order: dict[NodeType, dict[str, int]] = {node_type: {k: i for i, k in enumerate(seeds)}}
    frontier: dict[NodeType, list[str]] = {node_type: list(seeds)}
    edges: dict[EdgeType, list[tuple[int, int]]] = {as_edge_type(et): [] for et in edge_types}
    for hop in range(num_hops):
        new: dict[NodeType, list[str]] = {}
        for et in edge_types:
            et = as_edge_type(et)
            src_t, _, dst_t = et
            keys = frontier.get(dst_t)
            if not keys:
                continue
            (s, r, d), reverse = _stored(et)
            sk, dk = schema.node(s).key, schema.node(d).key
            if reverse:  # stored s->d, messages flow d->s: the frontier is the stored source
                cypher = f"MATCH (a:{s})-[:{r}]->(b:{d}) WHERE a.{sk} IN $keys RETURN b.{dk} AS src, a.{sk} AS dst"
            else:
                cypher = f"MATCH (a:{s})-[:{r}]->(b:{d}) WHERE b.{dk} IN $keys RETURN a.{sk} AS src, b.{dk} AS dst"
            pairs: list[tuple[str, str]] = []
            for i in range(0, len(keys), _BATCH):
                t = store.query(cypher, {"keys": keys[i : i + _BATCH]})
                pairs.extend(zip(t.column("src").to_pylist(), t.column("dst").to_pylist(), strict=False))
            pairs = sorted(set(pairs), key=lambda p: (p[1], p[0]))
            if fan[hop] >= 0:
                pairs = _limit(pairs, fan[hop], rng)
            src_map = order.setdefault(src_t, {})
            dst_map = order[dst_t]
            for a, b in pairs:
                if a not in src_map:
                    src_map[a] = len(src_map)
                    new.setdefault(src_t, []).append(a)
                edges[et].append((src_map[a], dst_map[b]))
        frontier = new
    tables: dict[NodeType, pa.Table] = {}
    for t in encoder.encodings:
        keys = list(order.get(t, {}))
        tables[t] = _fetch_nodes(store, t, keys, encoder)
    export = build_hetero(tables, {}, encoder=encoder, reverse=False, schema=schema, release_id=release_id, degrees=False)
    import torch

    for et in edge_types:
        et = as_edge_type(et)
        local = edges.get(et, [])
        export.data[et].edge_index = torch.from_numpy(np.array(local, dtype=np.int64).reshape(-1, 2).T.copy())
    export.data[node_type].batch_size = len(seeds)
    return export


def _limit(pairs: list[tuple[str, str]], k: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][1] == pairs[i][1]:
            j += 1
        group = pairs[i:j]
        if len(group) > k:
            pick = np.sort(rng.choice(len(group), size=k, replace=False))
            group = [group[p] for p in pick]
        out.extend(group)
        i = j
    return out


def _fetch_nodes(store: GraphStore, node_type: NodeType, keys: list[str], encoder: FeatureEncoder) -> pa.Table:
    """Rows of ``keys`` (in that order) with the properties the encoder reads."""
    spec = store.schema.node(node_type)
    props = [p for p in encoder.properties(node_type) if p in spec.properties]
    if "chrom" in spec.properties and "chrom" not in props:
        props.append("chrom")
    ret = ", ".join([f"n.{spec.key} AS {spec.key}"] + [f"n.{p} AS {p}" for p in props])
    if not keys:
        from varkg.schema.types import arrow_type

        return pa.table({c: pa.array([], arrow_type(spec.properties[c])) for c in [spec.key, *props]})
    parts = []
    for i in range(0, len(keys), _BATCH):
        parts.append(
            store.query(f"MATCH (n:{node_type}) WHERE n.{spec.key} IN $keys RETURN {ret}", {"keys": keys[i : i + _BATCH]})
        )
    t = pa.concat_tables(parts, promote_options="permissive")
    pos = {k: i for i, k in enumerate(t.column(spec.key).to_pylist())}
    missing = [k for k in keys if k not in pos]
    if missing:
        raise SchemaError(f"{node_type} nodes {missing[:5]} were reached by an edge but not found")
    t = t.take(pa.array([pos[k] for k in keys], pa.int64()))
    for name in encoder.degree_properties(node_type):
        t = t.append_column(name, pa.array(_degrees(store, node_type, keys, name), pa.float64()))
    return t


def _degrees(store: GraphStore, node_type: NodeType, keys: list[str], column: str) -> np.ndarray:
    """The neighbour counts of a ``degree:...`` column for ``keys``, by Cypher (the same numbers
    :func:`~varkg.gnn.features.add_degree_columns` computes on a full export)."""
    direction, rel, other = parse_degree_column(column)
    s, d = (node_type, other) if direction == "out" else (other, node_type)
    store.schema.check_endpoints(rel, s, d)  # labels/types only from the schema
    k = store.schema.node(node_type).key
    pattern = f"(n:{node_type})-[:{rel}]->(m:{other})" if direction == "out" else f"(m:{other})-[:{rel}]->(n:{node_type})"
    counts: dict[str, float] = {}
    for i in range(0, len(keys), _BATCH):
        t = store.query(f"MATCH {pattern} WHERE n.{k} IN $keys RETURN n.{k} AS k, count(m) AS c", {"keys": keys[i : i + _BATCH]})
        counts.update(zip(t.column("k").to_pylist(), (float(c) for c in t.column("c").to_pylist()), strict=False))
    return np.array([counts.get(key, 0.0) for key in keys], dtype=np.float64)
