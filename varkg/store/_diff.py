"""Arrow helpers shared by the stores: row-wise comparison and provenance lists.

Kept private: the stores use them to decide which incoming rows are new, changed or
unchanged without a per-row Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varkg.schema.model import PROVENANCE_PROPERTY


def _combine(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(col, pa.ChunkedArray):
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col


def rows_differ(a: pa.ChunkedArray | pa.Array, b: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Boolean mask: row i of ``a`` differs from row i of ``b`` (nulls equal nulls, NaN equals NaN)."""
    a, b = _combine(a), _combine(b)
    n = len(a)
    if n == 0:
        return np.zeros(0, dtype=bool)
    an = np.asarray(a.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    bn = np.asarray(b.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    differ = an != bn
    both = ~an & ~bn
    t = a.type
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        la = pc.list_value_length(a).to_numpy(zero_copy_only=False)
        lb = pc.list_value_length(b).to_numpy(zero_copy_only=False)
        la = np.nan_to_num(np.asarray(la, dtype=float), nan=-1)
        lb = np.nan_to_num(np.asarray(lb, dtype=float), nan=-1)
        differ |= both & (la != lb)
        same_len = both & (la == lb) & (la > 0)
        if same_len.any():
            idx = np.flatnonzero(same_len)
            fa = pc.list_flatten(a.take(pa.array(idx)))
            fb = pc.list_flatten(b.take(pa.array(idx)))
            elem = rows_differ(fa, fb)
            owner = np.repeat(np.arange(len(idx)), la[idx].astype(np.int64))
            bad = np.zeros(len(idx), dtype=bool)
            np.logical_or.at(bad, owner, elem)
            differ[idx] |= bad
        return differ
    if pa.types.is_floating(t):
        x = a.to_numpy(zero_copy_only=False).astype(float)
        y = b.to_numpy(zero_copy_only=False).astype(float)
        neq = ~((x == y) | (np.isnan(x) & np.isnan(y)))
        return differ | (both & neq)
    eq = pc.equal(a, b) if not a.type.equals(b.type) else pc.equal(a, b)
    eqn = np.asarray(pc.fill_null(eq, True).to_numpy(zero_copy_only=False), dtype=bool)
    return differ | (both & ~eqn)


def contains_value(lists: pa.ChunkedArray | pa.Array, value: str) -> np.ndarray:
    """Boolean mask: the list in row i contains ``value`` (null lists contain nothing)."""
    arr = _combine(lists)
    n = len(arr)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    flat = pc.list_flatten(arr)
    if len(flat) == 0:
        return out
    parents = pc.list_parent_indices(arr).to_numpy()
    hit = np.asarray(pc.fill_null(pc.equal(flat, value), False).to_numpy(zero_copy_only=False), dtype=bool)
    out[parents[hit]] = True
    return out


def append_value(lists: pa.ChunkedArray | pa.Array, value: str, where: np.ndarray) -> pa.Array:
    """Lists with ``value`` appended in rows where ``where`` is true (null lists become ``[value]``)."""
    arr = _combine(lists)
    py = arr.to_pylist()
    for i in np.flatnonzero(where):
        py[i] = (py[i] or []) + [value]
    return pa.array(py, pa.list_(pa.string()))


def changed_rows(incoming: pa.Table, existing: pa.Table, props: Sequence[str], dataset: str | None) -> tuple[pa.Table, int]:
    """Rows of ``incoming`` (aligned row by row with ``existing``) whose properties differ or that gain
    ``dataset`` in their provenance, with the merged ``datasets`` column; and the count of unchanged rows."""
    changed = np.zeros(incoming.num_rows, dtype=bool)
    for c in props:
        changed |= rows_differ(incoming.column(c), existing.column(c).cast(incoming.column(c).type))
    prov = existing.column(PROVENANCE_PROPERTY)
    if PROVENANCE_PROPERTY in incoming.column_names:
        changed |= rows_differ(incoming.column(PROVENANCE_PROPERTY), prov)
        prov = incoming.column(PROVENANCE_PROPERTY)
    if dataset is not None:
        need = ~contains_value(prov, dataset)
        prov = append_value(prov, dataset, need)
        changed |= need
    merged = incoming.drop_columns([c for c in incoming.column_names if c == PROVENANCE_PROPERTY]).append_column(
        PROVENANCE_PROPERTY, prov
    )
    return merged.filter(pa.array(changed)), int((~changed).sum())


def match_existing(incoming: pa.Table, existing: pa.Table, ident: Sequence[str]) -> tuple[np.ndarray, pa.ChunkedArray | None]:
    """Align incoming edge rows with stored ones on their identity columns ``ident``.

    Returns ``is_new`` (bool per incoming row) and, when anything is stored, the row index into
    ``existing`` per incoming row (null where new)."""
    if existing.num_rows == 0:
        return np.ones(incoming.num_rows, dtype=bool), None
    tagged = incoming.select(list(ident)).append_column("__row", pa.array(np.arange(incoming.num_rows)))
    ex = existing.select(list(ident)).append_column("__ex", pa.array(np.arange(existing.num_rows)))
    joined = tagged.join(ex, keys=list(ident), join_type="left outer").sort_by("__row")
    ex_idx = joined.column("__ex")
    return np.asarray(ex_idx.is_null().to_numpy(zero_copy_only=False), dtype=bool), ex_idx


def repeat_list(value: str, n: int) -> pa.Array:
    """``[[value]] * n`` as an Arrow list array, without a Python loop."""
    offsets = pa.array(np.arange(n + 1, dtype=np.int32))
    return pa.ListArray.from_arrays(offsets, pa.array(np.full(n, value, dtype=object), pa.string()))
