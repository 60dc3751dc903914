"""Node features assembled from the schema: one numeric matrix per node type.

The schema (``graph.yaml``) says which properties a node type has and of which kind; this module
decides how each becomes feature columns, fits that encoding on one graph (means, standard
deviations, category levels) and applies it unchanged to any later graph or k-hop subgraph, so a
checkpoint can encode nodes it has never seen:

* ``int``/``float``/``bool``: standardised ``(x - mean) / sd`` over the non-null values seen at
  fit time; nulls become 0 plus a missing-value indicator column (added when the property had
  nulls at fit time).
* ``string``: one-hot, only for the categorical properties named in :data:`CATEGORICAL`
  (vtype, consequence, impact, biotype, kind, ...) and only when they have at most
  ``max_levels`` distinct values; unseen levels at transform time are all-zero. Identifiers
  (keys, symbols, names, free text, run ids) are never features.
* ``vector``: the embedding columns as they are (float32), nulls as zeros + one indicator.
* ``float_list``: ``annotation_values`` is expanded by ``annotation_names`` (one column per
  name seen at fit time); other float lists (e.g. ``expression``) by position.

* ``degree:<direction>:<relation>:<other type>`` columns (added to the node tables by
  :func:`add_degree_columns` at export): the node's number of neighbours along each stored edge
  type, ``log1p`` then standardised. They carry the neighbourhood into the node's own features:
  how many pathways and GO terms a gene is in, how many diseases (HPO/OMIM) it is associated
  with, how many interaction partners it has. Never counted: edges to ``Variant`` nodes (the
  number of sampled variants on a gene is an artefact of which variants were sampled, and a
  held-out variant would count towards it) and label-restating edge types.

Never features (see :data:`EXCLUDED`): keys and identifiers, genomic coordinates (meaningless
across chromosomes, and a chromosome split would make them leak the split), label-derived
properties (``clinical_significance``, ``label``, ``label_pathogenic``, ``review_stars``: ClinVar
review status exists only for variants that were submitted and classified) and everything a
model wrote back (``effect_*``, ``expression_prediction``). A type left with no column gets a
constant ``bias`` column, so its encoder learns a type embedding.

Example:
    >>> import pyarrow as pa
    >>> t = pa.table({"id": ["a", "b", "c"], "phylop": [1.0, None, 3.0], "impact": ["HIGH", "LOW", "HIGH"]})
    >>> enc = FeatureEncoder.fit({"Variant": t})
    >>> enc.columns("Variant")
    ['phylop', 'phylop__missing', 'impact=HIGH', 'impact=LOW']
    >>> enc.transform("Variant", t).round(2).tolist()[1]
    [0.0, 1.0, 0.0, 1.0]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from varkg.errors import SchemaError
from varkg.schema import Schema, load_schema
from varkg.typing import NodeType

CATEGORICAL: frozenset[str] = frozenset(
    {
        "vtype",
        "consequence",
        "impact",
        "biotype",
        "kind",
        "ccre_class",
        "assay",
        "strand",
        "namespace",
        "ontology",
        "family",
        "tf_class",
        "collection",
        "tax_group",
        "ref",
        "alt",
        "source",
    }
)
"""String properties that may be one-hot encoded (when they have few levels)."""

LABEL_PROPERTIES: frozenset[str] = frozenset({"clinical_significance", "label", "label_pathogenic", "review_stars"})
"""Properties derived from the labels (ClinVar); never features, whatever the task."""

PREDICTION_PROPERTIES: frozenset[str] = frozenset(
    {"effect_score", "effect_probability", "effect_rank", "expression_prediction", "prediction_run_id"}
)
"""Properties written back by models; never features (a model must not read its own output)."""

COORDINATES: frozenset[str] = frozenset({"pos", "start", "stop", "tss", "position", "resolution"})
"""Genomic coordinates: not comparable across chromosomes, so not features."""

_LEAKY_ANNOTATION = re.compile(r"(^|_)ids?$|variation_id|label|review|stars|significance", re.IGNORECASE)
"""Annotation names that are identifiers or restate a label (never features)."""

DEGREE_PREFIX = "degree:"
"""Prefix of the structural (neighbour-count) columns :func:`add_degree_columns` adds."""

DEGREE_IGNORED_NEIGHBOURS: frozenset[str] = frozenset({"Variant"})
"""Neighbour types never counted in degree columns (see the module docstring)."""

EXCLUDED: frozenset[str] = LABEL_PROPERTIES | PREDICTION_PROPERTIES | COORDINATES | frozenset({"datasets"})

ColumnKind = Literal["numeric", "missing", "onehot", "vector", "list", "bias"]


def degree_column(direction: Literal["out", "in"], relation: str, other: NodeType) -> str:
    """Name of a degree column, e.g. ``degree:out:IN_PATHWAY:Pathway``."""
    return f"{DEGREE_PREFIX}{direction}:{relation}:{other}"


def parse_degree_column(name: str) -> tuple[Literal["out", "in"], str, NodeType]:
    """``(direction, relation, other type)`` of a degree column name."""
    direction, relation, other = name[len(DEGREE_PREFIX) :].split(":")
    if direction not in ("out", "in"):
        raise SchemaError(f"degree column {name!r}: direction must be 'out' or 'in', got {direction!r}")
    return ("out" if direction == "out" else "in"), relation, other


def add_degree_columns(
    tables: Mapping[NodeType, pa.Table],
    edge_indices: Mapping[tuple[str, str, str], np.ndarray],
    *,
    skip_edge_types: frozenset[tuple[str, str, str]] | set[tuple[str, str, str]] = frozenset(),
) -> dict[NodeType, pa.Table]:
    """The node tables with one ``degree:...`` column per counted edge type and side.

    ``edge_indices`` are the stored (forward) edge types as ``int64[2, E]`` row indices. Edges to
    :data:`DEGREE_IGNORED_NEIGHBOURS` and ``skip_edge_types`` are not counted; columns already in
    a table are kept as they are.

    >>> t = {"Gene": pa.table({"id": ["g0", "g1"]}), "Pathway": pa.table({"id": ["p0"]})}
    >>> out = add_degree_columns(t, {("Gene", "IN_PATHWAY", "Pathway"): np.array([[0, 0], [0, 0]])})
    >>> out["Gene"].column("degree:out:IN_PATHWAY:Pathway").to_pylist(), out["Pathway"].column_names
    ([2.0, 0.0], ['id', 'degree:in:IN_PATHWAY:Gene'])
    """
    out = dict(tables)
    for et, ei in edge_indices.items():
        s, r, d = et
        if et in skip_edge_types or s not in tables or d not in tables:
            continue
        ei = np.asarray(ei, dtype=np.int64).reshape(2, -1)
        for side, node_type, other, direction in ((0, s, d, "out"), (1, d, s, "in")):
            if other in DEGREE_IGNORED_NEIGHBOURS:
                continue
            name = degree_column("out" if direction == "out" else "in", r, other)
            t = out[node_type]
            if name in t.column_names:
                continue
            counts = np.bincount(ei[side], minlength=t.num_rows).astype(np.float64)
            out[node_type] = t.append_column(name, pa.array(counts, pa.float64()))
    return out


@dataclass
class PropertyEncoding:
    """How one property becomes columns (JSON-serialisable, stored in checkpoints)."""

    name: str
    kind: Literal["numeric", "categorical", "vector", "named_list", "list", "degree"]
    columns: list[str]
    mean: float = 0.0
    sd: float = 1.0
    levels: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    sds: list[float] = field(default_factory=list)
    missing_indicator: bool = False


@dataclass
class FeatureEncoder:
    """A fitted, serialisable feature encoding for every node type of a graph."""

    encodings: dict[NodeType, list[PropertyEncoding]]
    schema_hash: str = ""
    max_levels: int = 32

    # ------------------------------------------------------------------ fit
    @classmethod
    def fit(
        cls,
        tables: Mapping[NodeType, pa.Table],
        *,
        schema: Schema | None = None,
        max_levels: int = 32,
        exclude: frozenset[str] = frozenset(),
    ) -> FeatureEncoder:
        """Fit the encoding on node tables (one Arrow table per node type, schema property names).

        Args:
            tables: node tables as :meth:`GraphStore.export_nodes` returns them.
            schema: the graph schema (the packaged one by default).
            max_levels: most distinct values a categorical string may have to be one-hot encoded.
            exclude: extra property names to leave out (on top of :data:`EXCLUDED`).
        """
        schema = schema or load_schema()
        encodings: dict[NodeType, list[PropertyEncoding]] = {}
        for node_type, table in tables.items():
            spec = schema.node(node_type)
            encs: list[PropertyEncoding] = []
            for prop in spec.properties.values():
                name = prop.name
                if name == spec.key or name in EXCLUDED or name in exclude or name not in table.column_names:
                    continue
                col = table.column(name)
                enc = _fit_property(name, prop.kind, col, max_levels=max_levels)
                if enc is not None:
                    encs.append(enc)
            for name in table.column_names:
                if name.startswith(DEGREE_PREFIX) and name not in exclude:
                    x = np.log1p(_numeric(table.column(name)))
                    mean, sd = _mean_sd(x)
                    encs.append(PropertyEncoding(name, "degree", [name], mean=mean, sd=sd))
            if "annotation_values" in spec.properties and "annotation_values" not in exclude:
                ann = fit_annotations(table)
                if ann is not None:
                    encs.append(ann)
            encodings[node_type] = encs
        return cls(encodings=encodings, schema_hash=schema.hash, max_levels=max_levels)

    # ------------------------------------------------------------- transform
    def columns(self, node_type: NodeType) -> list[str]:
        """Column names of ``node_type``'s feature matrix, in order."""
        cols = [c for e in self.encodings.get(node_type, []) for c in e.columns]
        return cols or ["bias"]

    def properties(self, node_type: NodeType) -> list[str]:
        """The node properties the encoding reads (what a k-hop query must fetch)."""
        props = [e.name for e in self.encodings.get(node_type, []) if e.kind != "degree"]
        return props + (["annotation_names"] if "annotation_values" in props else [])

    def degree_properties(self, node_type: NodeType) -> list[str]:
        """The ``degree:...`` columns the encoding reads (computed from edges, not stored)."""
        return [e.name for e in self.encodings.get(node_type, []) if e.kind == "degree"]

    def transform(self, node_type: NodeType, table: pa.Table) -> np.ndarray:
        """``float32[num_rows, num_columns]`` features of the rows of ``table``."""
        if node_type not in self.encodings:
            raise SchemaError(
                f"node type {node_type!r} was not seen when the features were fitted; "
                f"expected one of: {', '.join(sorted(self.encodings))}"
            )
        n = table.num_rows
        blocks: list[np.ndarray] = []
        for enc in self.encodings[node_type]:
            if enc.kind == "named_list":
                blocks.append(_transform_annotations(enc, table))
                continue
            col = table.column(enc.name) if enc.name in table.column_names else pa.nulls(n)
            blocks.append(_transform_property(enc, col, n))
        if not blocks:
            return np.ones((n, 1), dtype=np.float32)
        return np.concatenate(blocks, axis=1).astype(np.float32, copy=False)

    # ---------------------------------------------------------- (de)serialise
    def describe(self) -> dict[str, Any]:
        """A JSON description of every column (for manifests and checkpoints)."""
        return {
            "schema_hash": self.schema_hash,
            "max_levels": self.max_levels,
            "node_types": {
                t: {"columns": self.columns(t), "properties": [asdict(e) for e in encs]} for t, encs in self.encodings.items()
            },
        }

    @classmethod
    def from_description(cls, desc: Mapping[str, Any]) -> FeatureEncoder:
        """Rebuild an encoder from :meth:`describe` output."""
        encodings = {t: [PropertyEncoding(**e) for e in d["properties"]] for t, d in desc["node_types"].items()}
        return cls(encodings=encodings, schema_hash=desc.get("schema_hash", ""), max_levels=desc.get("max_levels", 32))


def _mean_sd(x: np.ndarray) -> tuple[float, float]:
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return 0.0, 1.0
    sd = float(finite.std())
    return float(finite.mean()), sd if sd > 1e-12 else 1.0


def _fit_property(name: str, kind: str, col: pa.ChunkedArray, *, max_levels: int) -> PropertyEncoding | None:
    n_null = col.null_count
    if kind in ("int", "float", "bool"):
        x = _numeric(col)
        if np.isfinite(x).sum() == 0:
            return None
        mean, sd = _mean_sd(x)
        missing = bool(n_null > 0 or not np.isfinite(x).all())
        cols = [name] + ([f"{name}__missing"] if missing else [])
        return PropertyEncoding(name, "numeric", cols, mean=mean, sd=sd, missing_indicator=missing)
    if kind == "string":
        if name not in CATEGORICAL:
            return None
        values = col.drop_null().unique().to_pylist()
        if not values or len(values) > max_levels:
            return None
        levels = sorted(str(v) for v in values)
        return PropertyEncoding(name, "categorical", [f"{name}={v}" for v in levels], levels=levels)
    if kind == "vector":
        non_null = col.drop_null()
        if len(non_null) == 0:
            return None
        dim = len(non_null[0].as_py())
        missing = n_null > 0
        cols = [f"{name}[{i}]" for i in range(dim)] + ([f"{name}__missing"] if missing else [])
        return PropertyEncoding(name, "vector", cols, missing_indicator=missing)
    if kind == "float_list" and name == "annotation_values":
        return None  # handled through annotation_names below
    if kind == "string_list" and name == "annotation_names":
        return None
    if kind == "float_list":
        lists = col.to_pylist()
        width = max((len(v) for v in lists if v), default=0)
        if width == 0:
            return None
        mat = _pad(lists, width)
        means, sds = zip(*(_mean_sd(mat[:, j]) for j in range(width)), strict=False)
        missing = bool(np.isnan(mat).any())
        cols = [f"{name}[{i}]" for i in range(width)] + ([f"{name}__missing"] if missing else [])
        return PropertyEncoding(name, "list", cols, means=list(means), sds=list(sds), missing_indicator=missing)
    return None


def fit_annotations(table: pa.Table) -> PropertyEncoding | None:
    """Encoding of ``annotation_names``/``annotation_values`` (one column per name)."""
    if "annotation_values" not in table.column_names or "annotation_names" not in table.column_names:
        return None
    names_l = table.column("annotation_names").to_pylist()
    vals_l = table.column("annotation_values").to_pylist()
    names = sorted({n for ns in names_l if ns for n in ns if not _LEAKY_ANNOTATION.search(n)})
    if not names:
        return None
    mat = _named(names_l, vals_l, names)
    means, sds = zip(*(_mean_sd(mat[:, j]) for j in range(len(names))), strict=False)
    missing = bool(np.isnan(mat).any())
    cols = [f"annotation:{n}" for n in names] + (["annotation__missing"] if missing else [])
    return PropertyEncoding(
        "annotation_values",
        "named_list",
        cols,
        names=names,
        means=list(means),
        sds=list(sds),
        missing_indicator=missing,
    )


def _numeric(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if pa.types.is_boolean(col.type):
        col = col.cast(pa.int8())
    if pa.types.is_null(col.type):
        return np.full(len(col), np.nan)
    return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _pad(lists: list[Any], width: int) -> np.ndarray:
    mat = np.full((len(lists), width), np.nan)
    for i, v in enumerate(lists):
        if v:
            m = min(len(v), width)
            mat[i, :m] = [np.nan if x is None else x for x in v[:m]]
    return mat


def _named(names_l: list[Any], vals_l: list[Any], names: list[str]) -> np.ndarray:
    pos = {n: j for j, n in enumerate(names)}
    mat = np.full((len(names_l), len(names)), np.nan)
    for i, (ns, vs) in enumerate(zip(names_l, vals_l, strict=False)):
        if not ns or not vs:
            continue
        for nm, v in zip(ns, vs, strict=False):
            j = pos.get(nm)
            if j is not None and v is not None:
                mat[i, j] = v
    return mat


def _standardise(mat: np.ndarray, means: np.ndarray, sds: np.ndarray, indicator: bool) -> np.ndarray:
    z = (mat - means) / sds
    miss = ~np.isfinite(z)
    z[miss] = 0.0
    if indicator:
        return np.concatenate([z, miss.any(axis=1, keepdims=True).astype(np.float64)], axis=1)
    return z


def _transform_property(enc: PropertyEncoding, col: Any, n: int) -> np.ndarray:
    if enc.kind == "degree":
        x = np.log1p(_numeric(col))[:, None] if not pa.types.is_null(col.type) else np.full((n, 1), np.nan)
        return _standardise(x, np.array([enc.mean]), np.array([enc.sd]), False)
    if enc.kind == "numeric":
        x = _numeric(col)[:, None] if not pa.types.is_null(col.type) else np.full((n, 1), np.nan)
        return _standardise(x, np.array([enc.mean]), np.array([enc.sd]), enc.missing_indicator)
    if enc.kind == "categorical":
        out = np.zeros((n, len(enc.levels)))
        if pa.types.is_null(col.type):
            return out
        pos = {v: j for j, v in enumerate(enc.levels)}
        for i, v in enumerate(col.to_pylist()):
            j = pos.get(v) if v is not None else None
            if j is not None:
                out[i, j] = 1.0
        return out
    if enc.kind == "vector":
        dim = len(enc.columns) - int(enc.missing_indicator)
        out = np.zeros((n, dim))
        miss = np.ones(n, dtype=bool)
        if not pa.types.is_null(col.type):
            flat = pa.chunked_array(col).combine_chunks() if isinstance(col, pa.ChunkedArray) else col
            valid = np.asarray(flat.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            if valid.any():
                vals = flat.filter(pa.array(valid)).flatten().to_numpy(zero_copy_only=False)
                out[valid] = np.asarray(vals, dtype=np.float64).reshape(-1, dim)
            miss = ~valid
        return np.concatenate([out, miss[:, None]], axis=1) if enc.missing_indicator else out
    if enc.kind == "list":
        width = len(enc.means)
        mat = _pad(col.to_pylist(), width) if not pa.types.is_null(col.type) else np.full((n, width), np.nan)
        return _standardise(mat, np.array(enc.means), np.array(enc.sds), enc.missing_indicator)
    raise SchemaError(f"unknown property encoding kind {enc.kind!r}")


def _transform_annotations(enc: PropertyEncoding, table: pa.Table) -> np.ndarray:
    n = table.num_rows
    if "annotation_values" in table.column_names and "annotation_names" in table.column_names:
        mat = _named(table.column("annotation_names").to_pylist(), table.column("annotation_values").to_pylist(), enc.names)
    else:
        mat = np.full((n, len(enc.names)), np.nan)
    return _standardise(mat, np.array(enc.means), np.array(enc.sds), enc.missing_indicator)
