"""The :class:`GraphStore` protocol that both backends implement with the same behaviour.

Upsert semantics (both stores):

* node tables carry the key column plus any subset of properties; properties absent from the
  table are left untouched, present ones are set (null clears);
* edge tables carry ``src``/``dst`` (endpoint keys) plus properties; an edge's identity is
  ``(src, dst, *key properties)`` from the schema;
* each call is one transaction: it validates first, and on any failure the graph is unchanged;
* loading the same table twice changes nothing; ``dataset`` is appended to the ``datasets``
  provenance list of every record it asserts.

Both backends subclass :class:`GraphStore` explicitly, so they inherit its defaults (the no-op
:meth:`GraphStore.release_memory`, ``with store:`` closing it) and its shared steps (the read-only
refusal, the validation in :meth:`GraphStore.upsert_edges`); callers use every method directly
and never probe a store for optional ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, runtime_checkable

import numpy as np
import pyarrow as pa

from varkg.errors import DanglingEdgeError, ReadOnlyError
from varkg.schema import Schema
from varkg.schema.model import EdgeSpec
from varkg.schema.validate import validate_edges

_EXAMPLES = 5


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: rows inserted, updated (changed values or new provenance),
    unchanged (already identical), skipped (edges with missing endpoints, ``missing="skip"``)."""

    type: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    @property
    def written(self) -> int:
        return self.inserted + self.updated


@dataclass(frozen=True)
class EdgeBatch:
    """The arguments of :meth:`GraphStore.upsert_edges` once validated: ``table`` holds at least one row."""

    table: pa.Table
    spec: EdgeSpec
    src_type: str
    dst_type: str
    dataset: str | None
    missing: Literal["error", "skip"]


@runtime_checkable
class GraphStore(Protocol):
    """A property-graph store holding the varkg schema."""

    schema: Schema
    location: str
    read_only: bool

    def init_schema(self) -> None:
        """Create (or migrate) tables/constraints/indexes and record the schema version and hash."""

    def schema_info(self) -> dict[str, Any] | None:
        """The recorded schema ``version``, ``hash`` and ``created_at``; None for an uninitialised store."""

    def upsert_nodes(self, node_type: str, table: pa.Table, *, dataset: str | None = None) -> UpsertResult: ...

    def upsert_edges(
        self,
        edge_type: str,
        table: pa.Table,
        *,
        src_type: str,
        dst_type: str,
        dataset: str | None = None,
        missing: Literal["error", "skip"] = "error",
    ) -> UpsertResult:
        """Insert new edges and update changed ones; endpoints must exist (``missing="skip"`` drops
        and counts edges whose endpoints are absent instead of failing). One transaction.

        The same steps in both backends: refuse a read-only store, check the endpoint types against
        the schema, validate the table; the backend's :meth:`_write_edges` writes the valid rows."""
        self._require_writable()
        spec = self.schema.check_endpoints(edge_type, src_type, dst_type)
        t, _ = validate_edges(table, edge_type, src_type=src_type, dst_type=dst_type, schema=self.schema)
        if t.num_rows == 0:
            return UpsertResult(edge_type)
        return self._write_edges(EdgeBatch(t, spec, src_type, dst_type, dataset, missing))

    def _write_edges(self, batch: EdgeBatch) -> UpsertResult:
        """Write a validated, non-empty edge table (the backend's part of :meth:`upsert_edges`)."""
        ...

    def _require_writable(self) -> None:
        """Raise :class:`~varkg.errors.ReadOnlyError` on a store opened read-only."""
        if self.read_only:
            raise ReadOnlyError(f"store {self.location!r} is open read-only")

    def transaction(self) -> AbstractContextManager[None]:
        """Group several upserts into one transaction (committed on exit, rolled back on error).

        Required, with no default: a no-op would silently drop the all-or-nothing guarantee of
        ``atomic="load"``. Nested calls join the open transaction."""

    def release_memory(self) -> bool:
        """Free what the store caches for an open database, between the commits of an
        ``atomic="batch"`` load. Does nothing inside a transaction.

        The default does nothing (a server-backed store holds nothing client-side worth freeing).

        Returns:
            True if memory was released, False if there was nothing to do.
        """
        return False

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a read-only query; write clauses raise :class:`~varkg.errors.ReadOnlyError`."""

    def execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query that may write."""

    def export_nodes(self, node_type: str, *, properties: Sequence[str] | None = None) -> pa.Table:
        """All nodes of a type, sorted by key; the row order defines node indices for export."""

    def export_edges(self, edge_type: str, *, src_type: str, dst_type: str, properties: Sequence[str] | None = None) -> pa.Table:
        """All edges of one endpoint pair: ``src``, ``dst`` keys plus properties."""

    def export_edge_index(self, edge_type: str, *, src_type: str, dst_type: str) -> np.ndarray:
        """``int64[2, E]`` indices into :meth:`export_nodes` order of the endpoint types."""

    def delete_edges(self, edge_type: str, *, src_type: str, dst_type: str, where: Mapping[str, Any]) -> int:
        """Delete edges whose properties equal ``where`` (e.g. one run's causal edges)."""

    def unset_node_properties(self, node_type: str, *, properties: Sequence[str], where: Mapping[str, Any]) -> int:
        """Set ``properties`` to null on nodes matching ``where`` (replace a run's write-back)."""

    def nearest(self, node_type: str, *, property: str, vector: Sequence[float], k: int = 10) -> pa.Table:
        """The ``k`` nodes whose ``property`` embedding is most cosine-similar to ``vector``:
        ``key`` column and ``score`` (cosine similarity, highest first). Neo4j answers from the
        schema's vector index (approximate, HNSW); the embedded store scans exactly."""

    def counts(self) -> dict[str, int]:
        """Node counts per label and edge counts per ``Src-REL->Dst``."""

    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dangling_edge_error(
    edge_type: str, src_type: str, dst_type: str, *, column: str, node_type: str, missing_keys: Sequence[Any]
) -> DanglingEdgeError:
    """The one error both stores raise for edges whose endpoints are not in the graph."""
    shown = ", ".join(repr(k) for k in list(missing_keys)[:_EXAMPLES])
    return DanglingEdgeError(
        f"{edge_type} ({src_type}->{dst_type}): {len(missing_keys)} {column} endpoint(s) are not {node_type} nodes in the graph, "
        f"e.g. {shown}; load the {node_type} nodes first or pass missing='skip'"
    )


def edge_index(store: GraphStore, edge_type: str, *, src_type: str, dst_type: str) -> np.ndarray:
    """``int64[2, E]``: positions of an edge type's endpoints in ``store.export_nodes`` order
    (shared by the backends: both export nodes sorted by key)."""
    import pyarrow.compute as pc

    e = store.export_edges(edge_type, src_type=src_type, dst_type=dst_type, properties=[])
    sk = store.export_nodes(src_type, properties=[]).column(store.schema.node(src_type).key)
    dk = store.export_nodes(dst_type, properties=[]).column(store.schema.node(dst_type).key)
    s = pc.index_in(e.column("src"), value_set=sk).to_numpy(zero_copy_only=False)
    d = pc.index_in(e.column("dst"), value_set=dk).to_numpy(zero_copy_only=False)
    return np.vstack([np.asarray(s, dtype=np.int64), np.asarray(d, dtype=np.int64)])


def check_vector(schema: Schema, node_type: str, prop: str, vector: Sequence[float], k: int) -> int:
    """Validate a nearest-neighbour request; returns the vector's dimension."""
    from varkg.errors import SchemaError

    spec = schema.node(node_type)
    p = spec.properties.get(prop)
    if p is None or p.kind != "vector":
        raise SchemaError(f"{node_type}.{prop} is not an embedding; expected one of {[v.name for v in spec.vectors]}")
    if len(vector) != p.dim:
        raise SchemaError(f"{node_type}.{prop} has dimension {p.dim}; the query vector has {len(vector)}")
    if k < 1:
        raise SchemaError(f"k must be at least 1, got {k}")
    return int(p.dim)
