"""Cutting loader output into :class:`~varkg.loaders.base.Frame` batches of bounded size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pyarrow as pa

from varkg.loaders.base import Frame

BATCH_ROWS = 50_000
"""Rows per frame: bounds the memory of one upsert."""


def batches(table: pa.Table, size: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Slices of at most ``size`` rows (none for an empty table)."""
    for off in range(0, table.num_rows, size):
        yield table.slice(off, size)


def node_frames(node_type: str, table: pa.Table) -> Iterator[Frame]:
    """Node frames of at most :data:`BATCH_ROWS` rows."""
    for t in batches(table):
        yield Frame.nodes(node_type, t)


def edge_frames(
    rel: str, table: pa.Table, *, src_type: str, dst_type: str, missing: Literal["error", "skip"] = "error"
) -> Iterator[Frame]:
    """Edge frames of at most :data:`BATCH_ROWS` rows."""
    for t in batches(table):
        yield Frame.edges(rel, t, src_type=src_type, dst_type=dst_type, missing=missing)
