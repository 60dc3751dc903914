"""Greedy LD tag-SNP selection (Carlson et al. 2004) and panel LD coverage, windowed per chromosome."""

from __future__ import annotations

import numpy as np

from varkg.errors import AnalysisError


def _check(*, r2: float, window_bp: int) -> None:
    if not (0 < r2 <= 1):
        raise AnalysisError(f"tag r² threshold must be in (0, 1], got {r2!r}")
    if window_bp < 0:
        raise AnalysisError(f"tag window must be >= 0 bp, got {window_bp!r}")


def _standardise(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(axis=0)
    norms = np.sqrt((Xc * Xc).sum(axis=0))
    norms[norms == 0] = np.inf
    return Xc / norms


def _max_r2_to(Z: np.ndarray, chrom: np.ndarray, pos: np.ndarray, panel: np.ndarray, window_bp: int) -> np.ndarray:
    """Per marker, the max r² to a panel marker on the same chromosome within ``window_bp``."""
    best = np.zeros(Z.shape[1])
    for j in panel:
        near = np.flatnonzero((chrom == chrom[j]) & (np.abs(pos - pos[j]) <= window_bp))
        r = Z[:, near].T @ Z[:, j]
        best[near] = np.maximum(best[near], r * r)
    best[panel] = 1.0
    return best


def ld_coverage(
    X: np.ndarray,
    *,
    chrom: np.ndarray,
    pos: np.ndarray,
    panel: np.ndarray,
    eligible: np.ndarray | None = None,
    r2: float = 0.8,
    window_bp: int = 250_000,
) -> tuple[float, float, np.ndarray]:
    """LD coverage of a panel.

    Args:
        X: ``[animals, markers]`` mean-imputed dosages.
        chrom: per marker chromosome.
        pos: per marker position (bp).
        panel: column indices of the panel markers.
        eligible: boolean mask of markers counted (default all).
        r2: tagging threshold in (0, 1].
        window_bp: tagging window (bp).

    Returns:
        (fraction of eligible markers tagged at r² >= ``r2``, mean max r², boolean tagged mask).
    """
    _check(r2=r2, window_bp=window_bp)
    panel = np.asarray(panel, np.int64)
    if panel.size == 0:
        raise AnalysisError("ld_coverage needs a non-empty panel")
    chrom = np.asarray(chrom).astype(str)
    pos = np.asarray(pos, np.int64)
    best = _max_r2_to(_standardise(np.asarray(X, float)), chrom, pos, panel, window_bp)
    elig = np.ones(X.shape[1], bool) if eligible is None else np.asarray(eligible, bool)
    tagged = best >= r2 - 1e-12
    return float(tagged[elig].mean()), float(best[elig].mean()), tagged & elig


def select_tags(
    X: np.ndarray,
    *,
    chrom: np.ndarray,
    pos: np.ndarray,
    budget: int,
    eligible: np.ndarray | None = None,
    forced: np.ndarray | None = None,
    r2: float = 0.8,
    window_bp: int = 250_000,
) -> np.ndarray:
    """Greedy tag SNPs: each step takes the marker tagging most still-untagged eligible markers.

    ``forced`` markers (e.g. candidates) tag their neighbours first. r² is computed per
    chromosome window, so memory is ``[markers in window]`` per marker.

    Returns:
        The chosen tag indices (excluding ``forced``), at most ``budget``.
    """
    _check(r2=r2, window_bp=window_bp)
    if budget < 0:
        raise AnalysisError(f"tag budget must be >= 0, got {budget!r}")
    Z = _standardise(np.asarray(X, float))
    p = Z.shape[1]
    chrom = np.asarray(chrom).astype(str)
    pos = np.asarray(pos, np.int64)
    elig = np.ones(p, bool) if eligible is None else np.asarray(eligible, bool)
    neigh: list[np.ndarray] = []
    for j in range(p):
        near = np.flatnonzero((chrom == chrom[j]) & (np.abs(pos - pos[j]) <= window_bp))
        r = Z[:, near].T @ Z[:, j]
        neigh.append(near[r * r >= r2 - 1e-12])
    untagged = elig.copy()
    f = np.asarray([] if forced is None else forced, np.int64)
    for j in f:
        untagged[neigh[j]] = False
    gain = np.array([int(untagged[nb].sum()) if elig[j] else -1 for j, nb in enumerate(neigh)])
    gain[f] = -1
    out: list[int] = []
    while len(out) < budget:
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        out.append(j)
        untagged[neigh[j]] = False
        gain[j] = -1
        for k in np.flatnonzero(gain > 0):
            gain[k] = int(untagged[neigh[k]].sum())
    return np.asarray(out, np.int64)
