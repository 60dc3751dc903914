"""Two-sample Mendelian randomisation from summary statistics.

Estimators (``bx``, ``sx``: instrument–exposure effects and SEs; ``by``, ``sy``: instrument–outcome,
harmonised to the same effect allele; ``k`` instruments):

* **Wald ratio** (one instrument): ``by/bx``, SE ``sy/|bx|`` (first-order delta method).
* **IVW**, inverse-variance weighted, first-order weights ``w = bx²/sy²``: the weighted regression
  of ``by`` on ``bx`` through the origin with weights ``1/sy²``:
  ``β = Σ bx·by/sy² / Σ bx²/sy²``. Fixed effects: SE ``1/sqrt(Σ bx²/sy²)``. Multiplicative random
  effects: SE × ``max(1, sqrt(Q/(k-1)))`` (residual standard error, floored at 1, as TwoSampleMR
  and MendelianRandomization do). P-values are two-sided normal.
* **MR-Egger** (``k ≥ 3``): instruments oriented so that ``bx > 0``; weighted regression
  ``by = β0 + β1·bx`` with weights ``1/sy²``; SEs scaled by ``max(1, σ̂)`` (residual SE) and
  tested on a t distribution with ``k-2`` df. ``β0`` is the directional pleiotropy intercept.
* **Weighted median** (``k ≥ 3``; Bowden et al. 2016): the 50 % weighted percentile of the ratio
  estimates with weights ``bx²/sy²``, interpolated; SE from a parametric bootstrap (``by``, ``bx``
  redrawn from their normal sampling distributions; 1,000 draws, seeded).
* **Heterogeneity**: Cochran's ``Q = Σ (by - β_IVW·bx)²/sy²`` on ``k-1`` df, ``I² = max(0, (Q -
  (k-1))/Q)``; for Egger, Rücker's ``Q'`` on ``k-2`` df.

Instruments are selected by exposure p-value (``p < 5e-8`` by default) and LD-clumped on a
genotype reference (:func:`varkg.causal.ld.ld_clump`, ``r² < 0.001`` within 10 Mb).

Example (closed form: IVW is the weighted regression through the origin):
    >>> import numpy as np
    >>> bx = np.array([0.1, 0.2, 0.3]); by = np.array([0.05, 0.09, 0.16]); sy = np.array([0.01, 0.02, 0.02])
    >>> r = ivw(bx, by, sy)
    >>> round(r.estimate, 6) == round(float(np.sum(bx*by/sy**2) / np.sum(bx**2/sy**2)), 6)
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from varkg.causal.harmonise import Harmonised, harmonise
from varkg.causal.ld import ld_clump
from varkg.errors import AnalysisError

__all__ = [
    "MRResult",
    "MR_METHODS",
    "METHOD_VERSION",
    "wald_ratio",
    "ivw",
    "mr_egger",
    "weighted_median",
    "cochran_q",
    "mendelian_randomisation",
    "run_mr",
    "ivw_grouped",
    "results_frame",
]

METHOD_VERSION = "varkg-mr/1"
MRMethod = Literal["wald_ratio", "mr_ivw", "mr_ivw_fe", "mr_egger", "mr_weighted_median"]
MR_METHODS: tuple[str, ...] = ("mr_ivw", "mr_ivw_fe", "mr_egger", "mr_weighted_median")


@dataclass
class MRResult:
    """One MR estimate.

    Attributes:
        method: ``wald_ratio``, ``mr_ivw`` (multiplicative random effects), ``mr_ivw_fe``
            (fixed effects), ``mr_egger`` or ``mr_weighted_median``.
        estimate: causal effect of one unit of exposure on the outcome (outcome units per
            exposure unit, e.g. trait SD per SD of expression).
        se: its standard error; ``ci_low``/``ci_high``: 95 % interval (``estimate ± z·se``, or t
            for Egger).
        p: two-sided p-value.
        n_instruments: ``k``.
        q, q_df, q_p, i2: heterogeneity (Cochran's Q; Rücker's Q' for Egger); NaN when k < 2.
        intercept, intercept_se, intercept_p: MR-Egger's pleiotropy intercept (NaN otherwise).
    """

    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    n_instruments: int
    q: float = math.nan
    q_df: int = 0
    q_p: float = math.nan
    i2: float = math.nan
    intercept: float = math.nan
    intercept_se: float = math.nan
    intercept_p: float = math.nan

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for tables)."""
        return asdict(self)


def _arrays(bx: Any, by: Any, sy: Any, sx: Any = None) -> tuple[np.ndarray, ...]:
    bx_ = np.asarray(bx, dtype=float).ravel()
    by_ = np.asarray(by, dtype=float).ravel()
    sy_ = np.asarray(sy, dtype=float).ravel()
    arrs = [bx_, by_, sy_]
    if sx is not None:
        arrs.append(np.asarray(sx, dtype=float).ravel())
    k = bx_.shape[0]
    if any(a.shape[0] != k for a in arrs):
        raise AnalysisError(f"instrument arrays differ in length: {[a.shape[0] for a in arrs]}")
    if k == 0:
        raise AnalysisError("no instruments (0 variants)")
    for name, a in zip(("bx", "by", "sy", "sx"), arrs, strict=False):
        if not np.isfinite(a).all():
            raise AnalysisError(f"'{name}' has non-finite values at indices {np.flatnonzero(~np.isfinite(a))[:5].tolist()}")
    for name, a in zip(("sy", "sx"), arrs[2:], strict=False):
        if np.any(a <= 0):
            i = int(np.flatnonzero(a <= 0)[0])
            raise AnalysisError(f"'{name}' must be > 0 (got {float(a[i])} at index {i})")
    if np.any(bx_ == 0):
        raise AnalysisError(f"'bx' is exactly 0 at indices {np.flatnonzero(bx_ == 0)[:5].tolist()}: not an instrument")
    return tuple(arrs)


def _normal(method: str, est: float, se: float, k: int, **kw: Any) -> MRResult:
    z = stats.norm.ppf(0.975)
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else math.nan
    return MRResult(method, float(est), float(se), float(est - z * se), float(est + z * se), p, k, **kw)


def cochran_q(bx: Any, by: Any, sy: Any, *, estimate: float) -> tuple[float, int, float, float]:
    """Cochran's Q of the ratio estimates around ``estimate``: ``(Q, df, p, I²)``."""
    bx_, by_, sy_ = _arrays(bx, by, sy)
    k = bx_.shape[0]
    q = float(np.sum((by_ - estimate * bx_) ** 2 / sy_**2))
    df = k - 1
    if df < 1:
        return q, 0, math.nan, math.nan
    return q, df, float(stats.chi2.sf(q, df)), float(max(0.0, (q - df) / q)) if q > 0 else 0.0


def wald_ratio(bx: float, by: float, sy: float, *, sx: float | None = None, order: Literal[1, 2] = 1) -> MRResult:
    """The ratio estimate ``by/bx`` of one instrument.

    Args:
        bx, by, sy: the instrument's effects on exposure and outcome and the outcome SE.
        sx: the exposure SE (needed for ``order=2``).
        order: 1 for ``se = sy/|bx|``; 2 adds the exposure's uncertainty
            ``sqrt(sy²/bx² + by²·sx²/bx⁴)``.
    """
    bx_, by_, sy_ = (a[0] for a in _arrays([bx], [by], [sy]))
    est = by_ / bx_
    if order == 2:
        if sx is None or not sx > 0:
            raise AnalysisError(f"second-order Wald SE needs sx > 0 (got {sx!r})")
        se = math.sqrt(sy_**2 / bx_**2 + by_**2 * sx**2 / bx_**4)
    else:
        se = sy_ / abs(bx_)
    return _normal("wald_ratio", est, se, 1)


def ivw(bx: Any, by: Any, sy: Any, *, model: Literal["random", "fixed"] = "random") -> MRResult:
    """Inverse-variance weighted estimate (see the module docstring).

    ``model="random"`` is the multiplicative random-effects model (method ``mr_ivw``);
    ``"fixed"`` gives ``mr_ivw_fe``. With one instrument both equal the Wald ratio.
    """
    bx_, by_, sy_ = _arrays(bx, by, sy)
    k = bx_.shape[0]
    w = 1.0 / sy_**2
    sxx = float(np.sum(w * bx_**2))
    est = float(np.sum(w * bx_ * by_)) / sxx
    se = 1.0 / math.sqrt(sxx)
    q, df, qp, i2 = cochran_q(bx_, by_, sy_, estimate=est)
    if model == "random" and df >= 1:
        se *= max(1.0, math.sqrt(q / df))
    return _normal("mr_ivw" if model == "random" else "mr_ivw_fe", est, se, k, q=q, q_df=df, q_p=qp, i2=i2)


def mr_egger(bx: Any, by: Any, sy: Any) -> MRResult:
    """MR-Egger regression with its intercept test (needs ≥ 3 instruments)."""
    bx_, by_, sy_ = _arrays(bx, by, sy)
    k = bx_.shape[0]
    if k < 3:
        raise AnalysisError(f"MR-Egger needs at least 3 instruments (got {k})")
    s = np.sign(bx_)
    bx_, by_ = bx_ * s, by_ * s
    w = 1.0 / sy_**2
    A = np.column_stack([np.ones(k), bx_])
    Aw = A * np.sqrt(w)[:, None]
    yw = by_ * np.sqrt(w)
    coef, *_ = np.linalg.lstsq(Aw, yw, rcond=None)
    resid = yw - Aw @ coef
    df = k - 2
    rss = float(resid @ resid)
    sigma = math.sqrt(rss / df) if df > 0 else math.nan
    try:
        cov = np.linalg.inv(Aw.T @ Aw)
    except np.linalg.LinAlgError as e:
        raise AnalysisError("MR-Egger: all instruments have the same exposure effect; the slope is not identified") from e
    se = np.sqrt(np.diag(cov)) * max(1.0, sigma)
    t = stats.t.ppf(0.975, df)
    p_slope = float(2 * stats.t.sf(abs(coef[1] / se[1]), df))
    p_int = float(2 * stats.t.sf(abs(coef[0] / se[0]), df))
    qp = float(stats.chi2.sf(rss, df))
    i2 = float(max(0.0, (rss - df) / rss)) if rss > 0 else 0.0
    return MRResult(
        "mr_egger",
        float(coef[1]),
        float(se[1]),
        float(coef[1] - t * se[1]),
        float(coef[1] + t * se[1]),
        p_slope,
        k,
        q=rss,
        q_df=df,
        q_p=qp,
        i2=i2,
        intercept=float(coef[0]),
        intercept_se=float(se[0]),
        intercept_p=p_int,
    )


def _wm(beta_iv: np.ndarray, w: np.ndarray) -> float:
    o = np.argsort(beta_iv, kind="stable")
    b, ws = beta_iv[o], w[o] / w.sum()
    cum = np.cumsum(ws) - 0.5 * ws
    below = int(np.searchsorted(cum, 0.5, side="left")) - 1
    if below < 0:
        return float(b[0])
    if below >= len(b) - 1:
        return float(b[-1])
    return float(b[below] + (b[below + 1] - b[below]) * (0.5 - cum[below]) / (cum[below + 1] - cum[below]))


def _wm_rows(beta_iv: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`_wm` for every row of ``beta_iv`` (bootstrap draws × instruments) at once."""
    o = np.argsort(beta_iv, axis=1, kind="stable")
    b = np.take_along_axis(beta_iv, o, axis=1)
    ws = (w / w.sum())[o]
    cum = np.cumsum(ws, axis=1) - 0.5 * ws
    below = (cum < 0.5).sum(axis=1) - 1
    k = b.shape[1]
    lo = np.clip(below, 0, k - 1)
    hi = np.clip(below + 1, 0, k - 1)
    r = np.arange(b.shape[0])
    c_lo, c_hi = cum[r, lo], cum[r, hi]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(c_hi > c_lo, (0.5 - c_lo) / (c_hi - c_lo), 0.0)
    out = b[r, lo] + (b[r, hi] - b[r, lo]) * frac
    out = np.where(below < 0, b[:, 0], out)
    return np.where(below >= k - 1, b[:, -1], out)


def weighted_median(bx: Any, by: Any, sy: Any, sx: Any, *, n_boot: int = 1000, seed: int = 0) -> MRResult:
    """Weighted median estimator (Bowden et al. 2016) with a parametric-bootstrap SE.

    Weights are the first-order inverse variances of the ratio estimates, ``bx²/sy²``; the
    bootstrap redraws ``bx ~ N(bx, sx)`` and ``by ~ N(by, sy)``.
    """
    bx_, by_, sy_, sx_ = _arrays(bx, by, sy, sx)
    k = bx_.shape[0]
    if k < 3:
        raise AnalysisError(f"the weighted median needs at least 3 instruments (got {k})")
    w = bx_**2 / sy_**2
    est = _wm(by_ / bx_, w)
    rng = np.random.default_rng(seed)
    bxb = rng.normal(bx_, sx_, size=(n_boot, k))
    byb = rng.normal(by_, sy_, size=(n_boot, k))
    se = float(np.std(_wm_rows(byb / bxb, w), ddof=1))
    return _normal("mr_weighted_median", est, se, k)


def mendelian_randomisation(
    harmonised: Harmonised | pd.DataFrame,
    *,
    methods: Sequence[str] = MR_METHODS,
    n_boot: int = 1000,
    seed: int = 0,
) -> list[MRResult]:
    """Run the requested estimators on harmonised instruments.

    With one instrument only the Wald ratio is returned; MR-Egger and the weighted median are
    skipped below 3 instruments (they are not defined there). Unknown method names raise.

    Args:
        harmonised: a :class:`~varkg.causal.harmonise.Harmonised` (or its ``table``) with
            ``beta_exposure, se_exposure, beta_outcome, se_outcome``.
        methods: any of ``mr_ivw, mr_ivw_fe, mr_egger, mr_weighted_median, wald_ratio``.
        n_boot: bootstrap draws for the weighted median SE.
        seed: seeds the bootstrap.
    """
    bad = [m for m in methods if m not in (*MR_METHODS, "wald_ratio")]
    if bad:
        raise AnalysisError(f"unknown MR method(s) {bad}; expected some of {[*MR_METHODS, 'wald_ratio']}")
    t = harmonised.table if isinstance(harmonised, Harmonised) else harmonised
    bx, sx = t["beta_exposure"].to_numpy(float), t["se_exposure"].to_numpy(float)
    by, sy = t["beta_outcome"].to_numpy(float), t["se_outcome"].to_numpy(float)
    k = len(t)
    if k == 0:
        raise AnalysisError("no instruments left after selection and harmonisation")
    if k == 1:
        return [wald_ratio(bx[0], by[0], sy[0])]
    out: list[MRResult] = []
    for m in methods:
        if m == "wald_ratio":
            continue
        if m == "mr_ivw":
            out.append(ivw(bx, by, sy, model="random"))
        elif m == "mr_ivw_fe":
            out.append(ivw(bx, by, sy, model="fixed"))
        elif m == "mr_egger" and k >= 3:
            out.append(mr_egger(bx, by, sy))
        elif m == "mr_weighted_median" and k >= 3:
            out.append(weighted_median(bx, by, sy, sx, n_boot=n_boot, seed=seed))
    return out


def run_mr(
    exposure: Any,
    outcome: Any,
    *,
    p_threshold: float = 5e-8,
    genotypes: np.ndarray | None = None,
    variant_ids: Sequence[str] | None = None,
    clump_r2: float = 0.001,
    clump_window_bp: int = 10_000_000,
    palindromic: Literal["infer", "drop"] = "infer",
    on_mismatch: Literal["raise", "drop"] = "raise",
    methods: Sequence[str] = MR_METHODS,
    n_boot: int = 1000,
    seed: int = 0,
) -> tuple[list[MRResult], Harmonised]:
    """Select instruments, clump, harmonise and estimate: the whole two-sample MR.

    Args:
        exposure: exposure summary statistics (an eQTL table for one gene, or a trait GWAS).
        outcome: outcome GWAS summary statistics.
        p_threshold: keep exposure variants with ``p < p_threshold``.
        genotypes: LD reference ``(samples, variants)``; when given (with ``variant_ids``) the
            instruments are clumped at ``clump_r2``; without it they are used as given.
        variant_ids: the ``snp`` of each genotype column.
        clump_r2, clump_window_bp: clumping threshold and window.
        palindromic, on_mismatch: see :func:`varkg.causal.harmonise.harmonise`.
        methods, n_boot, seed: see :func:`mendelian_randomisation`.

    Returns:
        The estimates and the harmonised instrument table used.

    Raises:
        AnalysisError: no variant passes ``p_threshold``, bad tables, or mismatched alleles.
    """
    from varkg.causal.harmonise import as_sumstats

    exp = as_sumstats(exposure, name="exposure")
    sel = exp[exp["p"] < p_threshold]
    if sel.empty:
        raise AnalysisError(
            f"no exposure variant has p < {p_threshold:g} (smallest p {exp['p'].min():.3g} among {len(exp)} variants)"
        )
    if genotypes is not None:
        if variant_ids is None:
            raise AnalysisError("clumping needs 'variant_ids' naming each genotype column")
        sel = ld_clump(sel, genotypes=genotypes, variant_ids=list(variant_ids), r2=clump_r2, window_bp=clump_window_bp)
    h = harmonise(sel, outcome, palindromic=palindromic, on_mismatch=on_mismatch)
    return mendelian_randomisation(h, methods=methods, n_boot=n_boot, seed=seed), h


def ivw_grouped(
    table: pd.DataFrame,
    *,
    group: str = "exposure",
    model: Literal["random", "fixed"] = "random",
) -> pd.DataFrame:
    """Vectorised IVW + Cochran's Q for many exposures at once (e.g. every gene's eQTLs vs one trait).

    Args:
        table: harmonised instruments with ``group``, ``beta_exposure``, ``beta_outcome``,
            ``se_outcome`` (one row per instrument per exposure).
        group: the column naming the exposure (a gene id).
        model: ``"random"`` (multiplicative) or ``"fixed"``.

    Returns:
        One row per exposure: ``group, method, estimate, se, ci_low, ci_high, p, n_instruments,
        q, q_df, q_p, i2``; single-instrument exposures get the Wald ratio.
    """
    for c in (group, "beta_exposure", "beta_outcome", "se_outcome"):
        if c not in table.columns:
            raise AnalysisError(f"ivw_grouped: missing column {c!r} (have {list(table.columns)})")
    codes, names = pd.factorize(table[group], sort=True)
    bx = table["beta_exposure"].to_numpy(float)
    by = table["beta_outcome"].to_numpy(float)
    sy = table["se_outcome"].to_numpy(float)
    if np.any(~(sy > 0)):
        i = int(np.flatnonzero(~(sy > 0))[0])
        raise AnalysisError(f"'se_outcome' must be > 0 (got {float(sy[i])} for {group} {table[group].iat[i]!r})")
    g = len(names)
    w = 1.0 / sy**2
    sxx = np.bincount(codes, w * bx * bx, minlength=g)
    sxy = np.bincount(codes, w * bx * by, minlength=g)
    syy = np.bincount(codes, w * by * by, minlength=g)
    k = np.bincount(codes, minlength=g)
    est = sxy / sxx
    q = np.maximum(syy - sxy**2 / sxx, 0.0)
    df = k - 1
    se = 1.0 / np.sqrt(sxx)
    with np.errstate(divide="ignore", invalid="ignore"):
        if model == "random":
            se = se * np.where(df > 0, np.maximum(1.0, np.sqrt(q / np.maximum(df, 1))), 1.0)
        qp = np.where(df > 0, stats.chi2.sf(q, np.maximum(df, 1)), np.nan)
        i2 = np.where((df > 0) & (q > 0), np.maximum(0.0, (q - df) / q), np.where(df > 0, 0.0, np.nan))
    z = stats.norm.ppf(0.975)
    method = np.where(k == 1, "wald_ratio", "mr_ivw" if model == "random" else "mr_ivw_fe")
    return pd.DataFrame(
        {
            group: names,
            "method": method,
            "estimate": est,
            "se": se,
            "ci_low": est - z * se,
            "ci_high": est + z * se,
            "p": 2 * stats.norm.sf(np.abs(est / se)),
            "n_instruments": k,
            "q": np.where(df > 0, q, np.nan),
            "q_df": df,
            "q_p": qp,
            "i2": i2,
        }
    )


def results_frame(results: Sequence[MRResult]) -> pd.DataFrame:
    """MR results as a tidy DataFrame (one row per method)."""
    return pd.DataFrame([r.as_dict() for r in results])
