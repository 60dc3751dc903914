"""Greedy LD tag-SNP selection (Carlson et al. 2004) and panel LD coverage, windowed per chromosome.

A marker *tags* another on the same chromosome within ``window_bp`` when their genotype r² is at
least ``r2`` (PLINK 1.9 ``--show-tags`` defaults: ``--tag-r2 0.8``, ``--tag-kb 250``). r² is the
squared Pearson correlation of dosages (:func:`varkg.popgen.ld.r2_matrix`): pairwise-complete
over the animals called at both markers when ``X`` is ``int8`` with ``-1`` (or float with NaN)
for missing, the same r² as ``plink1.9 --r2``; on mean-imputed dosages the imputed values count.

The tag graph is computed once per chromosome window in chunks (memory ``chunk × markers in the
widest window``) and reused: :func:`tag_neighbours` feeds both :func:`select_tags` and
:func:`ld_coverage`, and :func:`varkg.breeding.chip.design_panel` takes it precomputed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from varkg.errors import AnalysisError
from varkg.popgen.ld import r2_matrix

__all__ = ["Coverage", "check_tagging", "ld_coverage", "select_tags", "tag_neighbours"]

TAG_R2 = 0.8
TAG_WINDOW_BP = 250_000
_EPS = 1e-12


def check_tagging(*, r2: float, window_bp: int) -> None:
    """Raise :class:`AnalysisError` for an r² threshold outside (0, 1] or a negative window."""
    if not (0 < r2 <= 1):
        raise AnalysisError(f"tag r² threshold must be in (0, 1], got {r2!r}")
    if window_bp < 0:
        raise AnalysisError(f"tag window must be >= 0 bp, got {window_bp!r}")


def _by_chromosome(chrom: np.ndarray, pos: np.ndarray) -> Iterator[np.ndarray]:
    """Column indices per chromosome (first-seen order), sorted by position."""
    for c in dict.fromkeys(chrom.tolist()):
        idx = np.flatnonzero(chrom == c)
        yield idx[np.argsort(pos[idx], kind="stable")]


def _coords(X: np.ndarray, chrom, pos) -> tuple[np.ndarray, np.ndarray]:
    c = np.asarray(chrom).astype(str)
    p = np.asarray(pos, np.int64)
    if not (len(c) == len(p) == X.shape[1]):
        raise AnalysisError(f"{len(c)} chromosomes and {len(p)} positions for {X.shape[1]} genotype columns")
    return c, p


def tag_neighbours(
    X: np.ndarray,
    *,
    chrom: np.ndarray,
    pos: np.ndarray,
    r2: float = TAG_R2,
    window_bp: int = TAG_WINDOW_BP,
    chunk: int = 256,
) -> list[np.ndarray]:
    """Per marker, the markers it tags (r² >= ``r2`` within ``window_bp`` on its chromosome), itself
    included unless it is monomorphic among the called animals (then none).

    Args:
        X: ``[animals, markers]`` dosages (``int8`` with -1 missing, or float, NaN missing).
        chrom: per marker chromosome.
        pos: per marker position (bp).
        r2: tagging threshold in (0, 1].
        window_bp: tagging window (bp).
        chunk: markers per r² block.
    """
    check_tagging(r2=r2, window_bp=window_bp)
    c, p = _coords(X, chrom, pos)
    out: list[np.ndarray] = [np.empty(0, np.int64)] * X.shape[1]
    for idx in _by_chromosome(c, p):
        pc = p[idx]
        lo = np.searchsorted(pc, pc - window_bp, "left")
        hi = np.searchsorted(pc, pc + window_bp, "right")
        for s in range(0, len(idx), chunk):
            e = min(s + chunk, len(idx))
            a, b = int(lo[s]), int(hi[e - 1])
            R = r2_matrix(X[:, idx[s:e]], X[:, idx[a:b]])
            for i in range(s, e):
                row = R[i - s, lo[i] - a : hi[i] - a]
                out[idx[i]] = idx[lo[i] : hi[i]][row >= r2 - _EPS]
    return out


class Coverage(NamedTuple):
    """LD coverage of a panel: share of the counted markers tagged, their mean max r² to the panel
    (a panel marker counts 1), and the boolean tagged mask."""

    fraction: float
    mean_r2: float
    tagged: np.ndarray


def ld_coverage(
    X: np.ndarray,
    *,
    chrom: np.ndarray,
    pos: np.ndarray,
    panel: np.ndarray,
    eligible: np.ndarray | None = None,
    r2: float = TAG_R2,
    window_bp: int = TAG_WINDOW_BP,
    chunk: int = 256,
) -> Coverage:
    """LD coverage of ``panel`` (column indices) over the ``eligible`` markers (default all).

    A marker is tagged when some panel marker within ``window_bp`` on its chromosome has r² >= ``r2``
    with it (the ``plink1.9 --show-tags`` rule); panel markers tag themselves.
    """
    check_tagging(r2=r2, window_bp=window_bp)
    c, p = _coords(X, chrom, pos)
    panel = np.unique(np.asarray(panel, np.int64))
    if panel.size == 0:
        raise AnalysisError("ld_coverage needs a non-empty panel")
    if panel[0] < 0 or panel[-1] >= X.shape[1]:
        raise AnalysisError(f"panel index out of range 0..{X.shape[1] - 1}: {panel[[0, -1]].tolist()}")
    best = np.zeros(X.shape[1])
    in_panel = np.zeros(X.shape[1], bool)
    in_panel[panel] = True
    for idx in _by_chromosome(c, p):
        sel = idx[in_panel[idx]]
        if sel.size == 0:
            continue
        pc, ps = p[idx], p[sel]
        lo = np.searchsorted(pc, ps - window_bp, "left")
        hi = np.searchsorted(pc, ps + window_bp, "right")
        for s in range(0, len(sel), chunk):
            e = min(s + chunk, len(sel))
            a, b = int(lo[s]), int(hi[e - 1])
            R = np.nan_to_num(r2_matrix(X[:, sel[s:e]], X[:, idx[a:b]]), nan=0.0)
            cols = np.arange(a, b)
            R[(cols[None, :] < lo[s:e, None]) | (cols[None, :] >= hi[s:e, None])] = 0.0
            seg = idx[a:b]
            best[seg] = np.maximum(best[seg], R.max(axis=0))
    best[panel] = 1.0
    elig = np.ones(X.shape[1], bool) if eligible is None else np.asarray(eligible, bool)
    if not elig.any():
        raise AnalysisError("ld_coverage: no eligible markers to cover")
    tagged = (best >= r2 - _EPS) & elig
    return Coverage(float(tagged[elig].mean()), float(best[elig].mean()), tagged)


def select_tags(
    X: np.ndarray | None = None,
    *,
    chrom: np.ndarray,
    pos: np.ndarray,
    budget: int,
    eligible: np.ndarray | None = None,
    forced: np.ndarray | None = None,
    r2: float = TAG_R2,
    window_bp: int = TAG_WINDOW_BP,
    min_spacing_bp: int = 0,
    min_gain: int = 1,
    neighbours: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Greedy tag SNPs (Carlson et al. 2004): each step takes the eligible marker that tags the most
    still-untagged eligible markers (ties: the lower column; a tag counts itself when untagged),
    until ``budget`` tags or no marker would tag ``min_gain`` more (1: until every eligible marker
    is tagged, as Carlson's method; 2: only tags that cover some other marker too).

    ``forced`` markers (e.g. candidates already on the panel) tag their neighbours first. With
    ``min_spacing_bp`` no tag lies closer than that to another tag or a forced marker. ``neighbours``
    (from :func:`tag_neighbours` with the same ``r2`` and ``window_bp``) skips the r² pass; ``X`` is
    needed only without it.

    Returns:
        The chosen tag column indices in selection order (``forced`` excluded), at most ``budget``.
    """
    check_tagging(r2=r2, window_bp=window_bp)
    if budget < 0:
        raise AnalysisError(f"tag budget must be >= 0, got {budget!r}")
    if min_gain < 1:
        raise AnalysisError(f"min_gain must be >= 1, got {min_gain!r}")
    if neighbours is None:
        if X is None:
            raise AnalysisError("select_tags needs X or precomputed neighbours")
        neighbours = tag_neighbours(X, chrom=chrom, pos=pos, r2=r2, window_bp=window_bp)
    m = len(neighbours)
    c = np.asarray(chrom).astype(str)
    p = np.asarray(pos, np.int64)
    if not (len(c) == len(p) == m):
        raise AnalysisError(f"{len(c)} chromosomes and {len(p)} positions for {m} markers")
    elig = np.ones(m, bool) if eligible is None else np.asarray(eligible, bool)
    untagged = elig.copy()
    f = np.asarray([] if forced is None else forced, np.int64)
    open_ = elig.copy()
    for j in f:
        untagged[neighbours[j]] = False

    def close_near(j: int) -> None:
        if min_spacing_bp > 0:
            open_[(c == c[j]) & (np.abs(p - p[j]) < min_spacing_bp)] = False

    open_[f] = False
    for j in f:
        close_near(int(j))
    gain = np.full(m, -1, np.int64)
    for j in np.flatnonzero(open_):
        gain[j] = int(untagged[neighbours[j]].sum())
    out: list[int] = []
    while len(out) < budget:
        j = int(np.argmax(gain))
        if gain[j] < min_gain:
            break
        out.append(j)
        newly = neighbours[j][untagged[neighbours[j]]]
        untagged[newly] = False
        open_[j] = False
        close_near(j)
        gain[~open_] = -1
        # only markers sharing a newly tagged neighbour change gain (the tag relation is symmetric)
        touched = np.unique(np.concatenate([neighbours[k] for k in newly])) if newly.size else newly
        for k in touched[open_[touched]]:
            gain[k] = int(untagged[neighbours[k]].sum())
    return np.asarray(out, np.int64)
