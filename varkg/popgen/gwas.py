"""Single-machine GWAS: per-variant linear regression of a quantitative trait on the dosage,
adjusted for covariates (ordinary least squares; the reference the Spark/Hail path is checked
against).

Model, per variant: ``y = b0 + C g + beta x + e`` with an intercept always included. Samples with
a missing phenotype or covariate are dropped (for every variant alike); a missing dosage is
replaced by the mean dosage of the kept samples at that variant (as Hail's
``linear_regression_rows`` does). ``se`` uses ``n - k - 1`` degrees of freedom (``k`` columns of
intercept plus covariates), ``pvalue`` is two-sided from Student's t. Monomorphic variants
(after imputation) get NaN.

Computed by projection: ``y`` and every dosage column are residualised on the orthonormal basis
of ``[1, C]`` (one QR), then ``beta = x'y / x'x`` per column (Frisch-Waugh-Lovell), in blocks.

Example:
    >>> import numpy as np
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> d = np.array([[0, 1], [1, 1], [2, 0], [1, 2], [0, 0]], dtype=np.int8)
    >>> g = GenotypeMatrix.from_arrays(d, chrom=["1", "1"], pos=[1, 2], samples=list("abcde"))
    >>> t = linear_gwas(g, phenotype=np.array([0.1, 1.0, 2.1, 0.9, 0.2]))
    >>> round(float(t["beta"][0]), 4), int(t["n"][0])
    (0.95, 5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import DEFAULT_BLOCK, GenotypeMatrix

__all__ = ["GWAS_COLUMNS", "linear_gwas"]

GWAS_COLUMNS = ["id", "beta", "se", "t_stat", "pvalue", "n"]
"""Columns of :func:`linear_gwas` (``beta``/``se``/``pvalue``/``n`` as on ``ASSOCIATED_WITH``)."""


def linear_gwas(
    geno: GenotypeMatrix,
    *,
    phenotype: np.ndarray,
    covariates: np.ndarray | None = None,
    block: int = DEFAULT_BLOCK,
) -> pd.DataFrame:
    """Per-variant OLS of ``phenotype`` on the dosage with ``covariates`` (see the module docstring).

    Args:
        geno: samples x variants dosages.
        phenotype: ``float [samples]`` in the order of ``geno.samples`` (NaN: missing).
        covariates: ``float [samples, k]`` (NaN: missing), without the intercept; None for none.
        block: variants per block (memory: block x samples float64).

    Returns:
        One row per variant: ``id``, ``beta``, ``se``, ``t_stat``, ``pvalue``, ``n`` (samples used).

    Raises:
        AnalysisError: shapes disagree with the samples, or too few samples remain.
    """
    from scipy import stats

    y = np.asarray(phenotype, dtype=np.float64)
    if y.shape != (geno.n_samples,):
        raise AnalysisError(f"phenotype has shape {y.shape}, expected ({geno.n_samples},) (one value per sample)")
    c = np.zeros((geno.n_samples, 0)) if covariates is None else np.asarray(covariates, dtype=np.float64)
    if c.ndim == 1:
        c = c[:, None]
    if c.shape[0] != geno.n_samples:
        raise AnalysisError(f"covariates have {c.shape[0]} rows, expected {geno.n_samples} (one per sample)")
    keep = np.isfinite(y) & np.isfinite(c).all(axis=1)
    n = int(keep.sum())
    k = 1 + c.shape[1]
    df = n - k - 1
    if df < 1:
        raise AnalysisError(f"{n} samples with a phenotype and all covariates leave {df} degrees of freedom (need >= 1)")
    design = np.column_stack([np.ones(n), c[keep]])
    q, _ = np.linalg.qr(design)
    yk = y[keep]
    yr = yk - q @ (q.T @ yk)
    yy = float(yr @ yr)
    out = []
    for b in geno.blocks(size=block):
        x = b.dosages[keep].astype(np.float64)
        miss = b.dosages[keep] < 0
        if miss.any():
            x[miss] = 0.0
            called = (~miss).sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = x.sum(axis=0) / called
            x = np.where(miss, mean[None, :], x)
        xr = x - q @ (q.T @ x)
        xx = (xr * xr).sum(axis=0)
        xy = xr.T @ yr
        with np.errstate(invalid="ignore", divide="ignore"):
            beta = np.where(xx > 1e-12 * n, xy / xx, np.nan)
            rss = yy - beta * xy
            se = np.sqrt(rss / df / xx)
            t = beta / se
        p = 2.0 * stats.t.sf(np.abs(t), df)
        out.append(pd.DataFrame({"id": b.variants["id"].to_numpy(), "beta": beta, "se": se, "t_stat": t, "pvalue": p, "n": n}))
    if not out:
        return pd.DataFrame({col: [] for col in GWAS_COLUMNS})
    return pd.concat(out, ignore_index=True)
