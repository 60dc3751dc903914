"""Colocalisation by approximate Bayes factors (coloc.abf; Giambartolomei et al. 2014, Wakefield 2009).

For one locus and two traits measured on the same variants, coloc weighs five hypotheses:
H0 no association; H1 only trait 1; H2 only trait 2; H3 both, distinct causal variants; H4 both,
one shared causal variant, under the standard priors ``p1 = p2 = 1e-4`` (a variant is causal
for one trait) and ``p12 = 1e-5`` (for both).

Per variant, Wakefield's approximate Bayes factor with prior effect SD ``W``:
``log ABF = ½ [log(1 - r) + r·z²]`` with ``r = W² / (W² + V)``, ``V = se²``, ``z = beta/se``.
``W`` is 0.15 for a quantitative trait (in units of ``sd_y``; coloc's default) and 0.2 for a
case-control trait (log odds). Given only ``p``, ``maf`` and ``n``, ``V`` comes from
``sd_y²/(2·n·maf·(1-maf))`` (quantitative) or ``1/(2·n·maf·(1-maf)·s·(1-s))`` (case-control with
case fraction ``s``), and ``z² = χ²₁⁻¹(1-p)``. For a quantitative trait given beta/se without
``sd_y``, ``sd_y`` is estimated as coloc's ``sdY.est`` does (``2·n·maf·(1-maf)`` regressed on ``1/se²``)
when both are present, and taken as 1 otherwise (i.e. betas are in SD units).

Posteriors (log scale, ``L1``, ``L2`` the per-variant log ABFs):
``H1 ∝ p1·ΣABF1``, ``H2 ∝ p2·ΣABF2``, ``H3 ∝ p1·p2·(ΣABF1·ΣABF2 - Σ ABF1·ABF2)``,
``H4 ∝ p12·Σ ABF1·ABF2``, ``H0 ∝ 1``.

Example:
    >>> import numpy as np, pandas as pd
    >>> z1 = np.array([1.0, 8.0, 2.0]); z2 = np.array([0.5, 7.0, 1.5])
    >>> t1 = pd.DataFrame(dict(snp=list("abc"), beta=z1 * 0.01, se=0.01))
    >>> t2 = pd.DataFrame(dict(snp=list("abc"), beta=z2 * 0.01, se=0.01))
    >>> r = coloc_abf(t1, t2)
    >>> r.pp_h4 > 0.9
    True
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import logsumexp

from varkg.errors import AnalysisError

__all__ = ["ColocResult", "METHOD_VERSION", "log_abf", "coloc_abf", "coloc_from_labf", "coloc_grouped"]

METHOD_VERSION = "varkg-coloc/1 (coloc.abf)"
TraitKind = Literal["quant", "cc"]


@dataclass
class ColocResult:
    """Posterior probabilities of H0–H4 at one locus, and the best shared variant.

    Attributes:
        pp_h0 … pp_h4: posterior probabilities (sum to 1).
        n_snps: variants used (present in both traits).
        top_snp: the variant with the largest posterior of being the shared causal one (under H4).
        top_snp_pp: that posterior (``SNP.PP.H4``).
        snp_pp_h4: per-variant ``SNP.PP.H4`` (indexed by ``snp``).
    """

    pp_h0: float
    pp_h1: float
    pp_h2: float
    pp_h3: float
    pp_h4: float
    n_snps: int
    top_snp: str
    top_snp_pp: float
    snp_pp_h4: pd.Series

    def as_dict(self) -> dict[str, Any]:
        """Plain dict without the per-variant series."""
        d = asdict(self)
        d.pop("snp_pp_h4")
        return d


def log_abf(
    *,
    beta: np.ndarray | None = None,
    se: np.ndarray | None = None,
    p: np.ndarray | None = None,
    maf: np.ndarray | None = None,
    n: np.ndarray | float | None = None,
    kind: TraitKind = "quant",
    sd_y: float | None = None,
    s: float | None = None,
    prior_sd: float | None = None,
) -> np.ndarray:
    """Wakefield log approximate Bayes factors per variant (see the module docstring).

    Give ``beta`` and ``se`` (preferred), or ``p``, ``maf`` and ``n``.

    Raises:
        AnalysisError: neither input set is complete, ``se ≤ 0``, ``maf`` outside (0, 0.5]
            (after folding), ``p`` outside (0, 1], or ``kind="cc"`` from p without ``s``.
    """
    W = prior_sd if prior_sd is not None else (0.15 if kind == "quant" else 0.2)
    if beta is not None and se is not None:
        b = np.asarray(beta, dtype=float)
        s_ = np.asarray(se, dtype=float)
        if not (np.isfinite(b).all() and np.isfinite(s_).all()):
            raise AnalysisError("beta/se must be finite")
        if np.any(s_ <= 0):
            i = int(np.flatnonzero(s_ <= 0)[0])
            raise AnalysisError(f"se must be > 0 (got {float(s_[i])} at index {i})")
        v = s_**2
        if kind == "quant":
            if sd_y is None and maf is not None and n is not None:
                sd_y = _sdy_est(v, np.asarray(maf, dtype=float), np.broadcast_to(np.asarray(n, dtype=float), v.shape))
            W = W * (sd_y if sd_y is not None else 1.0)
        z2 = b * b / v
    elif p is not None and maf is not None and n is not None:
        pp = np.asarray(p, dtype=float)
        if np.any(~((pp > 0) & (pp <= 1))):
            i = int(np.flatnonzero(~((pp > 0) & (pp <= 1)))[0])
            raise AnalysisError(f"p must lie in (0, 1] (got {float(pp[i])} at index {i})")
        f = np.asarray(maf, dtype=float)
        f = np.minimum(f, 1 - f)
        if np.any(~(f > 0)):
            i = int(np.flatnonzero(~(f > 0))[0])
            raise AnalysisError(
                f"maf must lie in (0, 1) (got {float(np.asarray(maf)[i])} at index {i}): monomorphic variants carry no "
                "information"
            )
        nn = np.broadcast_to(np.asarray(n, dtype=float), f.shape)
        if kind == "quant":
            v = (1.0 if sd_y is None else sd_y) ** 2 / (2 * nn * f * (1 - f))
            W = W * (1.0 if sd_y is None else sd_y)
        else:
            if s is None or not 0 < s < 1:
                raise AnalysisError(f"case-control coloc from p-values needs the case fraction s in (0, 1) (got {s!r})")
            v = 1.0 / (2 * nn * f * (1 - f) * s * (1 - s))
        z2 = stats.chi2.isf(pp, 1)
    else:
        raise AnalysisError("log_abf needs beta and se, or p, maf and n")
    r = W**2 / (W**2 + v)
    return 0.5 * (np.log1p(-r) + r * z2)


def _sdy_est(vbeta: np.ndarray, maf: np.ndarray, n: np.ndarray) -> float:
    """coloc's ``sdY.est``: regress ``2·n·maf·(1-maf)`` on ``1/se²`` through the origin; sd_y = sqrt(slope)."""
    f = np.minimum(maf, 1 - maf)
    nvx = 2 * n * f * (1 - f)
    oneover = 1.0 / vbeta
    ok = np.isfinite(nvx) & np.isfinite(oneover) & (nvx > 0)
    if ok.sum() < 1:
        return 1.0
    cf = float(np.sum(oneover[ok] * nvx[ok]) / np.sum(oneover[ok] ** 2))
    return math.sqrt(cf) if cf > 0 else 1.0


def _combine(l1: np.ndarray, l2: np.ndarray, p1: float, p2: float, p12: float) -> np.ndarray:
    s1, s2 = logsumexp(l1), logsumexp(l2)
    s12 = logsumexp(l1 + l2)
    a = s1 + s2
    # log(exp(a) - exp(s12)), guarded: a ≥ s12 always (Cauchy–Schwarz on non-negative terms)
    h3 = a + math.log(max(-math.expm1(s12 - a), 1e-300)) if a > s12 else -np.inf
    lh = np.array([0.0, math.log(p1) + s1, math.log(p2) + s2, math.log(p1) + math.log(p2) + h3, math.log(p12) + s12])
    return np.exp(lh - logsumexp(lh))


def coloc_from_labf(
    l1: np.ndarray, l2: np.ndarray, *, snps: list[str] | None = None, p1: float = 1e-4, p2: float = 1e-4, p12: float = 1e-5
) -> ColocResult:
    """Combine per-variant log ABFs of two traits (same variants, same order) into PP.H0–H4."""
    l1 = np.asarray(l1, dtype=float)
    l2 = np.asarray(l2, dtype=float)
    if l1.shape != l2.shape or l1.ndim != 1 or l1.size == 0:
        raise AnalysisError(f"log ABF vectors must be 1-D, non-empty and equal in length (got {l1.shape}, {l2.shape})")
    for name, v in (("p1", p1), ("p2", p2), ("p12", p12)):
        if not 0 < v < 1:
            raise AnalysisError(f"prior {name} (got {v}) must lie in (0, 1)")
    pp = _combine(l1, l2, p1, p2, p12)
    snps = snps if snps is not None else [str(i) for i in range(l1.size)]
    lsum = l1 + l2
    snp_pp = pd.Series(np.exp(lsum - logsumexp(lsum)), index=pd.Index(snps, name="snp"), name="snp_pp_h4")
    j = int(np.argmax(lsum))
    h0, h1, h2, h3, h4 = (float(x) for x in pp)
    return ColocResult(h0, h1, h2, h3, h4, int(l1.size), snps[j], float(snp_pp.iat[j]), snp_pp)


def _trait_labf(t: pd.DataFrame, kind: TraitKind, sd_y: float | None, s: float | None, name: str) -> np.ndarray:
    maf = t["eaf"].to_numpy(float) if "eaf" in t.columns else (t["maf"].to_numpy(float) if "maf" in t.columns else None)
    n = t["n"].to_numpy(float) if "n" in t.columns else None
    try:
        if "beta" in t.columns and "se" in t.columns:
            return log_abf(beta=t["beta"].to_numpy(float), se=t["se"].to_numpy(float), maf=maf, n=n, kind=kind, sd_y=sd_y)
        return log_abf(p=t["p"].to_numpy(float) if "p" in t.columns else None, maf=maf, n=n, kind=kind, sd_y=sd_y, s=s)
    except AnalysisError as e:
        raise AnalysisError(f"{name}: {e}") from e


def _table(data: Any, name: str) -> pd.DataFrame:
    df = data.to_pandas() if hasattr(data, "to_pandas") else pd.DataFrame(data)
    if "snp" not in df.columns:
        raise AnalysisError(f"{name}: missing column 'snp' (have {list(df.columns)})")
    df = df.copy()
    df["snp"] = df["snp"].astype(str)
    if df["snp"].duplicated().any():
        raise AnalysisError(f"{name}: duplicated snp ids, e.g. {sorted(set(df.loc[df['snp'].duplicated(), 'snp']))[:5]}")
    return df


def coloc_abf(
    trait1: Any,
    trait2: Any,
    *,
    kind1: TraitKind = "quant",
    kind2: TraitKind = "quant",
    sd_y1: float | None = None,
    sd_y2: float | None = None,
    s1: float | None = None,
    s2: float | None = None,
    p1: float = 1e-4,
    p2: float = 1e-4,
    p12: float = 1e-5,
) -> ColocResult:
    """coloc.abf for one locus.

    Args:
        trait1, trait2: tables with ``snp`` and either ``beta``, ``se`` (+ optional ``eaf``/``maf``
            and ``n`` for ``sd_y`` estimation) or ``p``, ``eaf``/``maf``, ``n``. Variants present
            in both are used (alleles need not be aligned: ABFs depend on ``z²`` only).
        kind1, kind2: ``"quant"`` or ``"cc"`` (case-control).
        sd_y1, sd_y2: phenotype SDs for quantitative traits, if known.
        s1, s2: case fractions for case-control traits given as p-values.
        p1, p2, p12: the priors.

    Raises:
        AnalysisError: no shared variants, duplicated ids, bad values.
    """
    t1 = _table(trait1, "trait1")
    t2 = _table(trait2, "trait2")
    m = t1.merge(t2, on="snp", suffixes=("_1", "_2"))
    if m.empty:
        raise AnalysisError(f"trait1 and trait2 share no variants (e.g. {list(t1['snp'][:3])} vs {list(t2['snp'][:3])})")
    a = m[[c for c in m.columns if c.endswith("_1")]].rename(columns=lambda c: c[:-2])
    b = m[[c for c in m.columns if c.endswith("_2")]].rename(columns=lambda c: c[:-2])
    l1 = _trait_labf(a, kind1, sd_y1, s1, "trait1")
    l2 = _trait_labf(b, kind2, sd_y2, s2, "trait2")
    return coloc_from_labf(l1, l2, snps=m["snp"].tolist(), p1=p1, p2=p2, p12=p12)


def coloc_grouped(
    table: pd.DataFrame,
    *,
    locus: str = "locus",
    p1: float = 1e-4,
    p2: float = 1e-4,
    p12: float = 1e-5,
    prior_sd1: float = 0.15,
    prior_sd2: float = 0.15,
) -> pd.DataFrame:
    """Vectorised coloc.abf over many loci from beta/se of two traits (betas in SD units).

    Args:
        table: one row per variant per locus with ``locus``, ``beta1, se1, beta2, se2``.
        locus: the column naming the locus.

    Returns:
        One row per locus: ``locus, n_snps, pp_h0 … pp_h4``.
    """
    for c in (locus, "beta1", "se1", "beta2", "se2"):
        if c not in table.columns:
            raise AnalysisError(f"coloc_grouped: missing column {c!r}")
    se1, se2 = table["se1"].to_numpy(float), table["se2"].to_numpy(float)
    if np.any(~(se1 > 0)) or np.any(~(se2 > 0)):
        raise AnalysisError("coloc_grouped: se1 and se2 must be > 0")
    codes, names = pd.factorize(table[locus], sort=True)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]

    def labf(b: np.ndarray, s_: np.ndarray, W: float) -> np.ndarray:
        v = s_**2
        r = W**2 / (W**2 + v)
        return 0.5 * (np.log1p(-r) + r * (b * b / v))

    l1 = labf(table["beta1"].to_numpy(float)[order], se1[order], prior_sd1)
    l2 = labf(table["beta2"].to_numpy(float)[order], se2[order], prior_sd2)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])

    def seg_lse(x: np.ndarray) -> np.ndarray:
        mx = np.maximum.reduceat(x, starts)
        idx = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(x)]))
        return mx + np.log(np.add.reduceat(np.exp(x - mx[idx]), starts))

    s1, s2, s12 = seg_lse(l1), seg_lse(l2), seg_lse(l1 + l2)
    a = s1 + s2
    with np.errstate(divide="ignore"):
        h3 = np.where(a > s12, a + np.log(np.maximum(-np.expm1(s12 - a), 1e-300)), -np.inf)
    lh = np.column_stack([np.zeros_like(a), math.log(p1) + s1, math.log(p2) + s2, math.log(p1 * p2) + h3, math.log(p12) + s12])
    pp = np.exp(lh - logsumexp(lh, axis=1, keepdims=True))
    out = pd.DataFrame(pp, columns=["pp_h0", "pp_h1", "pp_h2", "pp_h3", "pp_h4"])
    out.insert(0, "n_snps", np.diff(np.r_[starts, len(codes)]))
    out.insert(0, locus, np.asarray(names))
    return out
