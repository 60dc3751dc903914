"""Linkage disequilibrium from a genotype matrix, and LD clumping of instruments.

Genotype matrices are ``samples × variants`` (the loaders write int8 ``.npy`` files in this
layout): allele dosages 0/1/2 (or any numeric coding, e.g. centred genotypes); negative values
(``-1``) or NaN mean missing and are mean-imputed per variant before correlation. LD is the
Pearson correlation ``r`` between dosage columns (signed: the sign refers to the coded alleles);
``r²`` is its square.

Example:
    >>> import numpy as np
    >>> G = np.array([[0, 0, 2], [1, 1, 1], [2, 2, 0], [1, 0, 1]], dtype=np.int8)
    >>> np.round(ld_matrix(G), 3).tolist()
    [[1.0, 0.853, -1.0], [0.853, 1.0, -0.853], [-1.0, -0.853, 1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError

__all__ = ["standardise_genotypes", "ld_matrix", "ld_clump"]


def standardise_genotypes(G: np.ndarray, *, missing_below: float = 0.0) -> np.ndarray:
    """Mean-impute missing calls and scale each column to mean 0, norm ``sqrt(n)``.

    Args:
        G: ``(n samples, p variants)`` dosages; values ``< missing_below`` or NaN are missing.
        missing_below: dosages below this are treated as missing (``-1`` in int8 matrices).
            Pass ``-np.inf`` for centred codings that take negative values.

    Returns:
        float64 ``(n, p)``; constant columns become all zeros.
    """
    X = np.asarray(G, dtype=float)
    if X.ndim != 2:
        raise AnalysisError(f"genotype matrix must be 2-D samples × variants (got shape {X.shape})")
    miss = ~np.isfinite(X) | (X < missing_below)
    if miss.any():
        X = X.copy()
        X[miss] = np.nan
        mean = np.nanmean(X, axis=0)
        mean = np.where(np.isfinite(mean), mean, 0.0)
        X = np.where(miss, mean[None, :], X)
    X = X - X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = np.inf
    return X / sd


def ld_matrix(G: np.ndarray, *, missing_below: float = 0.0) -> np.ndarray:
    """Signed LD correlation ``r`` between all columns of ``G`` (``p × p``, unit diagonal).

    Monomorphic variants get r = 0 with every other variant (and 1 on the diagonal).
    """
    Z = standardise_genotypes(G, missing_below=missing_below)
    n = Z.shape[0]
    if n < 2:
        raise AnalysisError(f"LD needs at least 2 samples (got {n})")
    R = (Z.T @ Z) / n
    np.fill_diagonal(R, 1.0)
    return np.clip(R, -1.0, 1.0)


def ld_clump(
    table: Any,
    *,
    genotypes: np.ndarray,
    variant_ids: list[str] | np.ndarray,
    r2: float = 0.001,
    window_bp: int = 10_000_000,
    p_column: str = "p",
    missing_below: float = 0.0,
) -> pd.DataFrame:
    """Greedy LD clumping (as PLINK ``--clump``): keep the most significant variant, drop every
    variant within ``window_bp`` in LD ``r² > r2`` with it, repeat.

    Args:
        table: summary statistics with ``snp`` and ``p_column`` (and ``chrom``, ``pos`` for the
            window; without them every pair is in range).
        genotypes: the LD reference, ``(n samples, m variants)``.
        variant_ids: the ``snp`` id of each genotype column (length ``m``).
        r2: the clumping threshold (0.001 is the TwoSampleMR default for MR instruments).
        window_bp: the clumping window (bp each side), 10 Mb as TwoSampleMR.
        p_column: the column ranked on (smallest first).
        missing_below: see :func:`standardise_genotypes`.

    Returns:
        The kept rows (index variants), most significant first.

    Raises:
        AnalysisError: a variant in ``table`` has no genotype column, or shapes disagree.
    """
    df = table.to_pandas() if hasattr(table, "to_pandas") else pd.DataFrame(table)
    ids = [str(v) for v in variant_ids]
    G = np.asarray(genotypes)
    if G.ndim != 2 or G.shape[1] != len(ids):
        raise AnalysisError(
            f"'genotypes' has shape {G.shape} but {len(ids)} variant ids were given (expected samples × {len(ids)})"
        )
    col = {v: j for j, v in enumerate(ids)}
    absent = [s for s in df["snp"].astype(str) if s not in col]
    if absent:
        raise AnalysisError(f"{len(absent)} variant(s) to clump are not in the LD reference, e.g. {absent[:5]}")
    df = df.sort_values(p_column, kind="stable").reset_index(drop=True)
    cols = np.array([col[s] for s in df["snp"].astype(str)])
    Z = standardise_genotypes(G[:, cols], missing_below=missing_below)
    n = Z.shape[0]
    has_pos = "chrom" in df.columns and "pos" in df.columns
    chrom = df["chrom"].astype(str).to_numpy() if has_pos else None
    pos = df["pos"].to_numpy(dtype=np.int64) if has_pos else None
    alive = np.ones(len(df), dtype=bool)
    kept: list[int] = []
    for i in range(len(df)):
        if not alive[i]:
            continue
        kept.append(i)
        alive[i] = False
        cand = np.flatnonzero(alive)
        if has_pos and cand.size:
            cand = cand[(chrom[cand] == chrom[i]) & (np.abs(pos[cand] - pos[i]) <= window_bp)]  # type: ignore[index]
        if cand.size:
            r = (Z[:, cand].T @ Z[:, i]) / n
            alive[cand[r**2 > r2]] = False
    return df.iloc[kept].reset_index(drop=True)
