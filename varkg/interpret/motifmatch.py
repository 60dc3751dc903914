"""TOMTOM-like matching of motifs (e.g. MoDISco patterns) to a database (JASPAR via pyjaspar).

For a query PPM ``Q`` (``Lq x 4``) and a target PPM ``T`` (``Lt x 4``), every alignment of the two
(each offset with at least ``min_overlap`` overlapping columns, ``T`` on both strands) scores

    S = sum over overlapping columns i of PCC(Q_i, T_j)        (Pearson, 4 values per column)

(TOMTOM's ``-dist pearson``; a constant column has correlation 0). **Null** (as TOMTOM): the
score of query column ``i`` against a random database column is distributed as its scores
against *all* columns of the database (both strands), discretised into ``n_bins`` bins on
``[-1, 1]``; the null of ``S`` over query columns ``[a, b)`` is the convolution of those
columns' distributions, so the p-value of an alignment is exact for the discretised scores.
A target's p-value is the best alignment's, corrected for the number of alignments tried,
``p = 1 - (1 - p_min)^n``; ``E = p * (number of targets)`` and ``q`` is Benjamini-Hochberg over
the targets of one query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from varkg.errors import InputError


@dataclass(frozen=True)
class Motif:
    """A database motif: id, name and ``(L, 4)`` PPM (A, C, G, T; rows sum to 1)."""

    id: str
    name: str
    ppm: np.ndarray


@dataclass(frozen=True)
class Match:
    """One query-target comparison: the best alignment (``offset`` of the target's first column
    relative to the query's, ``strand`` of the target), its score, overlap and significance."""

    query: str
    target_id: str
    target_name: str
    score: float
    overlap: int
    offset: int
    strand: str
    pvalue: float
    evalue: float
    qvalue: float


def jaspar_motifs(
    *, release: str = "JASPAR2024", collection: str = "CORE", tax_group: str = "vertebrates", pseudocount: float = 0.01
) -> list[Motif]:
    """The latest version of each matrix of a JASPAR collection from pyjaspar's bundled SQLite
    database (offline); counts are turned into PPMs with ``pseudocount`` per cell."""
    from pyjaspar import jaspardb

    db = jaspardb(release=release)
    out = []
    for m in db.fetch_motifs(collection=collection, tax_group=[tax_group]):
        c = np.array([m.counts[b] for b in "ACGT"], dtype=np.float64).T + pseudocount
        out.append(Motif(str(m.matrix_id), str(m.name), c / c.sum(1, keepdims=True)))
    if not out:
        raise InputError(f"no {collection} {tax_group} matrices in pyjaspar's {release}")
    return out


def _standardise(m: np.ndarray) -> np.ndarray:
    z = m - m.mean(1, keepdims=True)
    sd = np.sqrt((z**2).mean(1, keepdims=True))
    return np.divide(z, sd, out=np.zeros_like(z), where=sd > 1e-12)


def column_pcc(q: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``(Lq, Lt)`` Pearson correlations between the columns of two PPMs (0 for a constant column).

    >>> column_pcc(np.array([[1.0, 0, 0, 0]]), np.array([[0.7, 0.1, 0.1, 0.1], [0.25] * 4])).round(6).tolist()
    [[1.0, 0.0]]
    """
    return _standardise(np.asarray(q, dtype=np.float64)) @ _standardise(np.asarray(t, dtype=np.float64)).T / 4.0


def _rc(m: np.ndarray) -> np.ndarray:
    return np.asarray(m)[::-1, ::-1]


class TomtomNull:
    """Per-column discretised null distributions of one query against a database."""

    def __init__(self, query: np.ndarray, database: Sequence[Motif], *, n_bins: int = 100) -> None:
        cols = np.concatenate([m.ppm for m in database] + [_rc(m.ppm) for m in database])
        self.n_bins = n_bins
        self.query = np.asarray(query, dtype=np.float64)
        sc = column_pcc(self.query, cols)  # (Lq, N)
        bins = self.discretise(sc)
        self.pmf = np.stack([np.bincount(b, minlength=n_bins) / len(b) for b in bins])  # (Lq, n_bins)
        self._sf: dict[tuple[int, int], np.ndarray] = {}

    def discretise(self, scores: np.ndarray) -> np.ndarray:
        """Bin index in ``0..n_bins-1`` of PCC scores in ``[-1, 1]``."""
        return np.clip(np.floor((np.asarray(scores) + 1.0) / 2.0 * self.n_bins), 0, self.n_bins - 1).astype(np.int64)

    def sf(self, a: int, b: int) -> np.ndarray:
        """``P(sum of bins over query columns [a, b) >= k)`` for every ``k``."""
        key = (a, b)
        if key not in self._sf:
            pmf = np.ones(1)
            for i in range(a, b):
                pmf = np.convolve(pmf, self.pmf[i])
            self._sf[key] = np.cumsum(pmf[::-1])[::-1]
        return self._sf[key]


def match_motif(
    query: np.ndarray,
    database: Sequence[Motif],
    *,
    name: str = "query",
    min_overlap: int = 5,
    n_bins: int = 100,
    null: TomtomNull | None = None,
) -> list[Match]:
    """Every database motif's best alignment to ``query`` (see the module docstring), sorted by
    p-value (then score)."""
    q = np.asarray(query, dtype=np.float64)
    if q.ndim != 2 or q.shape[1] != 4 or len(q) == 0:
        raise InputError(f"query {name!r}: PPM of shape {q.shape}, expected (L, 4)")
    null = null or TomtomNull(q, database, n_bins=n_bins)
    Lq = len(q)
    rows = []
    for m in database:
        best: tuple[float, float, int, int, str] | None = None  # (p, -score, overlap, offset, strand)
        n_align = 0
        for strand, t in (("+", m.ppm), ("-", _rc(m.ppm))):
            sc = column_pcc(q, t)
            bins = null.discretise(sc)
            Lt = len(t)
            need = min(min_overlap, Lq, Lt)
            for off in range(-(Lt - need), Lq - need + 1):  # target column j sits at query column off + j
                a, b = max(0, off), min(Lq, off + Lt)
                if b - a < need:
                    continue
                n_align += 1
                qi = np.arange(a, b)
                s = float(sc[qi, qi - off].sum())
                k = int(bins[qi, qi - off].sum())
                p = float(null.sf(a, b)[k])
                cand = (p, -s, b - a, off, strand)
                if best is None or cand < best:
                    best = cand
        assert best is not None
        p_min, neg_s, ov, off, strand = best
        p = float(-np.expm1(n_align * np.log1p(-min(p_min, 1.0 - 1e-16))))
        rows.append((p, -neg_s, ov, off, strand, m))
    rows.sort(key=lambda r: (r[0], -r[1]))
    n = len(rows)
    ps = np.array([r[0] for r in rows])
    q_bh = np.minimum.accumulate((ps * n / np.arange(1, n + 1))[::-1])[::-1].clip(max=1.0)
    return [
        Match(name, r[5].id, r[5].name, r[1], r[2], r[3], r[4], r[0], r[0] * n, float(qv))
        for r, qv in zip(rows, q_bh, strict=True)
    ]
