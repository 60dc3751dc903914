"""The :class:`GraphStore` protocol that both backends implement with the same behaviour.

Upsert semantics (both stores):

* node tables carry the key column plus any subset of properties; properties absent from the
  table are left untouched, present ones are set (null clears);
* edge tables carry ``src``/``dst`` (endpoint keys) plus properties; an edge's identity is
  ``(src, dst, *key properties)`` from the schema;
* each call is one transaction: it validates first, and on any failure the graph is unchanged;
* loading the same table twice changes nothing; ``dataset`` is appended to the ``datasets``
  provenance list of every record it asserts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from varkg.schema import Schema


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


@runtime_checkable
class GraphStore(Protocol):
    """A property-graph store holding the varkg schema."""

    schema: Schema
    location: str

    def init_schema(self) -> None:
        """Create (or migrate) tables/constraints/indexes and record the schema version and hash."""

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
    ) -> UpsertResult: ...

    def query(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a read-only query; write clauses raise :class:`~varkg.errors.ReadOnlyError`."""

    def execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a query that may write."""

    def export_nodes(self, node_type: str, *, properties: Sequence[str] | None = None) -> pa.Table:
        """All nodes of a type, sorted by key; the row order defines node indices for export."""

    def export_edges(
        self, edge_type: str, *, src_type: str, dst_type: str, properties: Sequence[str] | None = None
    ) -> pa.Table:
        """All edges of one endpoint pair: ``src``, ``dst`` keys plus properties."""

    def export_edge_index(self, edge_type: str, *, src_type: str, dst_type: str) -> np.ndarray:
        """``int64[2, E]`` indices into :meth:`export_nodes` order of the endpoint types."""

    def delete_edges(
        self, edge_type: str, *, src_type: str, dst_type: str, where: Mapping[str, Any]
    ) -> int:
        """Delete edges whose properties equal ``where`` (e.g. one run's causal edges)."""

    def unset_node_properties(
        self, node_type: str, *, properties: Sequence[str], where: Mapping[str, Any]
    ) -> int:
        """Set ``properties`` to null on nodes matching ``where`` (replace a run's write-back)."""

    def counts(self) -> dict[str, int]:
        """Node counts per label and edge counts per ``Src-REL->Dst``."""

    def close(self) -> None: ...
