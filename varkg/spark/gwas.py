"""GWAS on Hail: ``hl.linear_regression_rows`` with an intercept and covariates, returning the
columns of :func:`varkg.popgen.gwas.linear_gwas` (``id``, ``beta``, ``se``, ``t_stat``, ``pvalue``, ``n``).

Samples with a missing phenotype or covariate are dropped; missing dosages are mean-imputed per
variant over the kept samples (Hail's rule, which the single-machine path follows).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from varkg.errors import AnalysisError

__all__ = ["linear_gwas"]


def linear_gwas(mt: Any, *, phenotype: pd.DataFrame, y: str, covariates: list[str] | None = None) -> pd.DataFrame:
    """Per-variant OLS of ``phenotype[y]`` on the dosage with ``phenotype[covariates]``.

    Args:
        mt: a MatrixTable from :mod:`varkg.spark.genotypes` (``vid``, ``dosage``), columns keyed by sample.
        phenotype: one row per sample: ``sample`` then numeric columns (NaN: missing).
        y: the trait column.
        covariates: covariate columns (the intercept is always added).

    Raises:
        AnalysisError: a named column is absent (the error lists the columns present).
    """
    from varkg.spark.session import hail_context

    hl = hail_context()
    covariates = list(covariates or [])
    missing = [c for c in ["sample", y, *covariates] if c not in phenotype.columns]
    if missing:
        raise AnalysisError(f"phenotype table lacks {missing} (columns: {list(phenotype.columns)})")
    t = phenotype[["sample", y, *covariates]].copy()
    t["sample"] = t["sample"].astype(str)
    for c in [y, *covariates]:
        t[c] = pd.to_numeric(t[c], errors="coerce").astype("float64")
    ht = hl.Table.from_pandas(t, key="sample")
    col_key = list(mt.col_key)[0]
    mt = mt.annotate_cols(_ph=ht[hl.str(mt[col_key])])
    cov = [1.0] + [hl.or_missing(~hl.is_nan(mt._ph[c]), mt._ph[c]) for c in covariates]
    yy = hl.or_missing(~hl.is_nan(mt._ph[y]), mt._ph[y])
    res = hl.linear_regression_rows(y=yy, x=hl.float64(mt.dosage), covariates=cov, pass_through=["vid"])
    out = res.select(id=res.vid, beta=res.beta, se=res.standard_error, t_stat=res.t_stat, pvalue=res.p_value, n=res.n)
    return out.key_by().select("id", "beta", "se", "t_stat", "pvalue", "n").to_pandas()
