"""A vectorised interval index: sorted arrays and binary search, no Python loops over rows.

Intervals are 0-based half-open ``[start, end)`` (BED convention). Two intervals overlap when
``a.start < b.end and b.start < a.end``; a 1-based VCF position ``pos`` is the interval
``[pos - 1, pos)`` (see :func:`point_intervals`).

How a query works (per chromosome): intervals are sorted by start, and ``cummax_end[i]`` is the
largest end among the first ``i + 1`` of them (non-decreasing). For a query ``[qs, qe)`` every
candidate lies in ``[lo, hi)`` with ``lo = searchsorted(cummax_end, qs, "right")`` (no interval
before ``lo`` ends after ``qs``) and ``hi = searchsorted(starts, qe, "left")`` (none from ``hi``
on starts before ``qe``). Candidate ranges are expanded with ``np.repeat`` and filtered by
``end > qs``; queries are processed in chunks so that at most ``max_candidates`` candidate
pairs are materialised at once. Long intervals that contain many short ones (a TAD among
peaks) widen the candidate ranges of later queries; that costs time, never correctness.

>>> idx = IntervalIndex(["1", "1", "2"], [0, 50, 10], [100, 60, 20])
>>> q, i = idx.overlaps(["1", "2", "3"], [55, 15, 0], [56, 16, 5])
>>> list(zip(q.tolist(), i.tolist()))
[(0, 0), (0, 1), (1, 2)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from varkg.errors import InputError

__all__ = ["IntervalIndex", "point_intervals"]

_DEFAULT_MAX_CANDIDATES = 1 << 24


def point_intervals(
    pos1: np.ndarray | Sequence[int], lengths: np.ndarray | Sequence[int] | int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """0-based half-open ``(starts, ends)`` of 1-based positions spanning ``lengths`` bases.

    >>> point_intervals([100, 5], [1, 3])
    (array([99,  4]), array([100,   7]))
    """
    p = np.asarray(pos1, dtype=np.int64)
    n = np.broadcast_to(np.asarray(lengths, dtype=np.int64), p.shape)
    return p - 1, p - 1 + np.maximum(n, 1)


@dataclass(frozen=True)
class _ChromBlock:
    order: np.ndarray  # original row ids, sorted by start
    starts: np.ndarray
    ends: np.ndarray
    cummax_end: np.ndarray


class IntervalIndex:
    """An immutable index over intervals ``[starts[i], ends[i])`` on ``chroms[i]``.

    Args:
        chroms: chromosome of each interval (any hashable strings; compared exactly).
        starts: 0-based starts (int).
        ends: 0-based exclusive ends (int), ``ends >= starts``.

    Raises:
        InputError: lengths differ or an interval has ``end < start``.
    """

    def __init__(
        self,
        chroms: Sequence[str] | np.ndarray,
        starts: Sequence[int] | np.ndarray,
        ends: Sequence[int] | np.ndarray,
    ) -> None:
        c = np.asarray(chroms, dtype=object)
        s = np.asarray(starts, dtype=np.int64)
        e = np.asarray(ends, dtype=np.int64)
        if not (len(c) == len(s) == len(e)):
            raise InputError(f"chroms, starts and ends must have the same length (got {len(c)}, {len(s)}, {len(e)})")
        bad = np.flatnonzero(e < s)
        if bad.size:
            i = int(bad[0])
            raise InputError(f"interval {i} has end {int(e[i])} < start {int(s[i])}; expected end >= start", field="end")
        self._n = len(s)
        self._blocks: dict[str, _ChromBlock] = {}
        if self._n == 0:
            return
        names, inv = np.unique(c.astype(str), return_inverse=True)
        order_all = np.lexsort((s, inv))
        inv_sorted = inv[order_all]
        bounds = np.flatnonzero(np.diff(inv_sorted)) + 1
        for part in np.split(order_all, bounds):
            ss, ee = s[part], e[part]
            self._blocks[str(names[inv[part[0]]])] = _ChromBlock(part, ss, ee, np.maximum.accumulate(ee))

    def __len__(self) -> int:
        return self._n

    @property
    def chroms(self) -> list[str]:
        return sorted(self._blocks)

    def overlaps(
        self,
        chroms: Sequence[str] | np.ndarray,
        starts: Sequence[int] | np.ndarray,
        ends: Sequence[int] | np.ndarray,
        *,
        max_candidates: int = _DEFAULT_MAX_CANDIDATES,
    ) -> tuple[np.ndarray, np.ndarray]:
        """All overlapping ``(query, interval)`` pairs.

        Args:
            chroms, starts, ends: query intervals, 0-based half-open. An empty query
                ``[p, p)`` overlaps nothing: give single bases as ``[p, p + 1)``.
            max_candidates: bound on candidate pairs materialised at once (memory).

        Returns:
            ``(query_idx, interval_idx)``, int64 arrays of equal length: row numbers into the
            queries and into the indexed intervals, sorted by query then interval start.
        """
        qc = np.asarray(chroms, dtype=object).astype(str)
        qs = np.asarray(starts, dtype=np.int64)
        qe = np.asarray(ends, dtype=np.int64)
        out_q: list[np.ndarray] = []
        out_i: list[np.ndarray] = []
        if len(qs) == 0 or self._n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        q_names, q_inv = np.unique(qc, return_inverse=True)
        for ci, name in enumerate(q_names):
            block = self._blocks.get(str(name))
            if block is None:
                continue
            qidx = np.flatnonzero(q_inv == ci)
            qq, ii = _overlap_block(block, qs[qidx], qe[qidx], max_candidates)
            out_q.append(qidx[qq])
            out_i.append(block.order[ii])
        if not out_q:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        q = np.concatenate(out_q)
        i = np.concatenate(out_i)
        o = np.argsort(q, kind="stable")
        return q[o], i[o]

    def overlap_lengths(self, q: np.ndarray, i: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """Overlap in bp of query rows ``q`` (with ``starts``/``ends``) and interval rows ``i``."""
        s, e = self._flat()
        qs = np.asarray(starts, np.int64)[q]
        qe = np.asarray(ends, np.int64)[q]
        return np.minimum(qe, e[i]) - np.maximum(qs, s[i])

    def _flat(self) -> tuple[np.ndarray, np.ndarray]:
        s = np.zeros(self._n, np.int64)
        e = np.zeros(self._n, np.int64)
        for b in self._blocks.values():
            s[b.order] = b.starts
            e[b.order] = b.ends
        return s, e


def _overlap_block(block: _ChromBlock, qs: np.ndarray, qe: np.ndarray, max_candidates: int) -> tuple[np.ndarray, np.ndarray]:
    lo = np.searchsorted(block.cummax_end, qs, side="right")
    hi = np.searchsorted(block.starts, qe, side="left")
    counts = np.maximum(hi - lo, 0)
    total = np.cumsum(counts)
    out_q: list[np.ndarray] = []
    out_i: list[np.ndarray] = []
    first = 0
    n = len(qs)
    while first < n:
        base = total[first - 1] if first else 0
        last = int(np.searchsorted(total, base + max_candidates, side="right"))
        last = max(last, first + 1)
        c = counts[first:last]
        m = int(c.sum())
        if m:
            local_q = np.repeat(np.arange(first, last), c)
            offs = np.cumsum(c) - c
            within = np.arange(m) - np.repeat(offs, c)
            cand = lo[local_q] + within
            keep = (block.ends[cand] > qs[local_q]) & (block.starts[cand] < qe[local_q])
            out_q.append(local_q[keep])
            out_i.append(cand[keep])
        first = last
    if not out_q:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_q), np.concatenate(out_i)
