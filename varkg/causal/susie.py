"""SuSiE fine-mapping: the sum of single effects regression (Wang et al. 2020; Zou et al. 2022).

Two entry points share one IBSS (iterative Bayesian stepwise selection) core:

* :func:`susie` fits individual-level data: a genotype matrix ``X`` (samples × variants, any
  coding; dosages or centred genotypes) and a phenotype vector ``y``.
* :func:`susie_rss` fits summary statistics: z-scores (or beta/se), an LD correlation matrix
  ``R`` (variants × variants) and the GWAS sample size ``n`` (SuSiE-RSS, sufficient statistics).

The algorithm follows susieR 0.12 with its defaults so that PIPs agree with R's ``susie()``:
columns standardised (``standardize=True``) and centred with the phenotype (``intercept=True``),
``L = min(10, p)``, the prior variance of every effect initialised to ``scaled_prior_variance ×
var(y)`` (0.2) and re-estimated per effect by maximising the single-effect marginal likelihood over
``log V`` in [-30, 15] (Brent, as R's ``optim(method="Brent")``), kept at the old value when the
new one is not better and set to exactly 0 when the null is at least as likely; the residual
variance starts at ``var(y)`` and is re-estimated after each sweep (lower bound ``var(y)/1e4``);
iterations stop when the ELBO gains less than ``tol = 1e-3``. PIPs are ``1 - prod_l (1 - alpha_l)``
over effects with ``V_l > 1e-9``. Credible sets take the fewest variants whose posterior inclusion
in one effect reaches ``coverage`` (0.95), drop duplicates and effects with ``V_l ≤ 1e-9``, and keep
only sets whose minimum absolute pairwise correlation (purity) is at least ``min_abs_corr`` (0.5),
ordered by purity, as ``susie_get_cs`` does.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(300, 40))
    >>> y = 0.8 * X[:, 7] + rng.normal(size=300)
    >>> fit = susie(X, y, L=5)
    >>> int(np.argmax(fit.pip)), fit.credible_sets[0].variants
    (7, (7,))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.optimize import minimize_scalar

from varkg.errors import AnalysisError

__all__ = ["CredibleSet", "SusieFit", "susie", "susie_rss", "METHOD_VERSION"]

METHOD_VERSION = "varkg-susie/1 (susieR 0.12 IBSS defaults)"

_EPS_SQRT = math.sqrt(np.finfo(float).eps)
_PRIOR_TOL = 1e-9


@dataclass(frozen=True)
class CredibleSet:
    """One credible set of a SuSiE fit.

    Attributes:
        effect: the 1-based single-effect index ``l`` it came from (susieR's ``"L{l}"`` name).
        variants: 0-based column indices of the variants in the set, by decreasing alpha.
        coverage: the summed posterior inclusion probability of the set (≥ the requested coverage).
        min_abs_corr: purity: the smallest absolute pairwise correlation between its variants.
        mean_abs_corr: the mean absolute pairwise correlation.
        median_abs_corr: the median absolute pairwise correlation.
    """

    effect: int
    variants: tuple[int, ...]
    coverage: float
    min_abs_corr: float
    mean_abs_corr: float
    median_abs_corr: float

    @property
    def name(self) -> str:
        """susieR's name for the set, ``"L{effect}"``."""
        return f"L{self.effect}"


@dataclass
class SusieFit:
    """The result of :func:`susie` / :func:`susie_rss`.

    Attributes:
        pip: posterior inclusion probability per variant, shape ``(p,)``, input order.
        alpha: per-effect inclusion probabilities, shape ``(L, p)``.
        mu: per-effect posterior means of the standardised effect given inclusion, ``(L, p)``.
        mu2: per-effect posterior second moments, ``(L, p)``.
        V: estimated prior variance per effect, ``(L,)`` (0 means the effect was dropped).
        sigma2: the residual variance (in phenotype units²; 1 for RSS without a var_y).
        elbo: the ELBO after each iteration.
        converged: whether the ELBO gain fell below ``tol`` within ``max_iter``.
        credible_sets: the pure credible sets, ordered by purity (as susieR).
        lbf: the log Bayes factor of each single effect, ``(L,)``.
        coef: posterior mean effects on the original X scale, ``(p,)``.
        params: the parameters the fit ran with (for lineage).
    """

    pip: np.ndarray
    alpha: np.ndarray
    mu: np.ndarray
    mu2: np.ndarray
    V: np.ndarray
    sigma2: float
    elbo: np.ndarray
    converged: bool
    credible_sets: list[CredibleSet]
    lbf: np.ndarray
    coef: np.ndarray
    params: dict[str, object] = field(default_factory=dict)

    @property
    def niter(self) -> int:
        """Number of IBSS sweeps run."""
        return int(len(self.elbo))

    def cs_membership(self) -> list[str | None]:
        """Per variant, the name of the credible set that holds it (``"L3"``), else None.

        A variant in two sets is reported in the purer one (the first in :attr:`credible_sets`).
        """
        out: list[str | None] = [None] * len(self.pip)
        for cs in reversed(self.credible_sets):
            for j in cs.variants:
                out[j] = cs.name
        return out


# --------------------------------------------------------------------------- single effect


def _log_marginal(V: float, betahat: np.ndarray, shat2: np.ndarray, log_pw: np.ndarray) -> float:
    """log sum_j pi_j BF_j(V): the single-effect log marginal likelihood ratio against the null."""
    lbf = 0.5 * np.log(shat2 / (V + shat2)) + 0.5 * betahat**2 * (1.0 / shat2 - 1.0 / (V + shat2))
    lpo = lbf + log_pw
    m = float(np.max(lpo))
    return m + math.log(float(np.sum(np.exp(lpo - m))))


def _optimise_prior_variance(V_old: float, betahat: np.ndarray, shat2: np.ndarray, log_pw: np.ndarray) -> float:
    """susieR's ``optimize_prior_variance(optimize_V="optim")`` with ``check_null_threshold=0``."""

    def neg(lv: float) -> float:
        return -_log_marginal(math.exp(lv), betahat, shat2, log_pw)

    res = minimize_scalar(neg, bounds=(-30.0, 15.0), method="bounded", options={"xatol": 1e-8})
    lv = float(res.x)
    if V_old > 0 and neg(lv) > neg(math.log(V_old)):
        lv = math.log(V_old)
    V = math.exp(lv)
    if _log_marginal(0.0, betahat, shat2, log_pw) >= _log_marginal(V, betahat, shat2, log_pw):
        V = 0.0
    return V


def _single_effect(
    Xty: np.ndarray,
    d: np.ndarray,
    V: float,
    sigma2: float,
    log_pw: np.ndarray,
    *,
    estimate_prior_variance: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float, np.ndarray]:
    """One single-effect regression on residual cross-products ``Xty = X'r``.

    Returns ``alpha, mu, mu2, V, lbf_model, lbf_variable``.
    """
    betahat = Xty / d
    shat2 = sigma2 / d
    if estimate_prior_variance:
        V = _optimise_prior_variance(V, betahat, shat2, log_pw)
    lbf = 0.5 * np.log(shat2 / (V + shat2)) + 0.5 * betahat**2 * (1.0 / shat2 - 1.0 / (V + shat2))
    lpo = lbf + log_pw
    m = float(np.max(lpo))
    w = np.exp(lpo - m)
    sw = float(np.sum(w))
    alpha = w / sw
    if V > 0:
        post_var = 1.0 / (1.0 / V + d / sigma2)
    else:
        post_var = np.zeros_like(d)
    mu = post_var * Xty / sigma2
    mu2 = post_var + mu**2
    return alpha, mu, mu2, V, m + math.log(sw), lbf


# --------------------------------------------------------------------------- IBSS core


def _ibss(
    *,
    XtX: np.ndarray | None,
    X: np.ndarray | None,
    y: np.ndarray | None,
    Xty: np.ndarray,
    yty: float,
    n: int,
    d: np.ndarray,
    L: int,
    V0: float,
    sigma2: float,
    prior_weights: np.ndarray,
    estimate_residual_variance: bool,
    estimate_prior_variance: bool,
    sigma2_lower: float,
    max_iter: int,
    tol: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, np.ndarray, bool]:
    """IBSS on either a standardised ``X`` (individual level) or ``XtX`` (sufficient statistics).

    ``fitted`` is ``X b`` (n-vector) for individual data and ``X'X b`` (p-vector) otherwise.
    """
    p = d.shape[0]
    alpha = np.full((L, p), 1.0 / p)
    mu = np.zeros((L, p))
    mu2 = np.zeros((L, p))
    V = np.full(L, V0, dtype=float)
    KL = np.full(L, np.nan)
    lbf_model = np.full(L, np.nan)
    log_pw = np.log(prior_weights + _EPS_SQRT)
    individual = X is not None
    fitted = np.zeros(X.shape[0] if X is not None else p)

    def mult(b: np.ndarray) -> np.ndarray:
        return X @ b if individual else XtX @ b

    def resid_xty() -> np.ndarray:
        if individual:
            return X.T @ (y_work - fitted)  # type: ignore[union-attr,operator]  # individual: X is set
        return Xty - fitted

    y_work = y

    def expected_rss() -> float:
        B = alpha * mu
        postb2 = alpha * mu2
        if individual:
            XB = B @ X.T  # type: ignore[union-attr]  # individual: X is set
            r = y_work - fitted  # type: ignore[operator]  # individual: y is set
            return float(r @ r - np.sum(XB**2) + np.sum(d * postb2))
        betabar = B.sum(axis=0)
        XB2 = float(np.sum((B @ XtX) * B))  # type: ignore[operator]  # not individual: XtX is set
        return float(yty - 2 * betabar @ Xty + betabar @ (XtX @ betabar) - XB2 + np.sum(d * postb2))

    elbo = [-np.inf]
    converged = False
    for _ in range(max_iter):
        for l_ in range(L):
            fitted -= mult(alpha[l_] * mu[l_])
            xtr = resid_xty()
            a, m_, m2, v, lbf_l, _lbfv = _single_effect(
                xtr, d, V[l_], sigma2, log_pw, estimate_prior_variance=estimate_prior_variance
            )
            alpha[l_], mu[l_], mu2[l_], V[l_], lbf_model[l_] = a, m_, m2, v, lbf_l
            Eb, Eb2 = a * m_, a * m2
            KL[l_] = -lbf_l - 0.5 / sigma2 * (-2.0 * float(Eb @ xtr) + float(np.sum(d * Eb2)))
            fitted += mult(Eb)
        er2 = expected_rss()
        obj = -0.5 * n * math.log(2 * math.pi * sigma2) - er2 / (2 * sigma2) - float(np.sum(KL))
        elbo.append(obj)
        if elbo[-1] - elbo[-2] < tol:
            converged = True
            break
        if estimate_residual_variance:
            sigma2 = max(sigma2_lower, expected_rss() / n)
    return alpha, mu, mu2, V, lbf_model, sigma2, np.asarray(elbo[1:]), converged


# --------------------------------------------------------------------------- credible sets


def _credible_sets(
    alpha: np.ndarray,
    V: np.ndarray,
    corr_of: Callable[[np.ndarray], np.ndarray],
    *,
    coverage: float,
    min_abs_corr: float,
    n_purity: int,
    seed: int,
) -> list[CredibleSet]:
    """susieR's ``susie_get_cs``: coverage sets, dedup, purity filter, ordered by purity."""
    rng = np.random.default_rng(seed)
    candidates: list[tuple[int, tuple[int, ...], float]] = []
    seen: set[tuple[int, ...]] = set()
    for l_ in range(alpha.shape[0]):
        a = alpha[l_]
        order = np.argsort(-a, kind="stable")
        k = int(np.sum(np.cumsum(a[order]) < coverage)) + 1
        members = tuple(int(j) for j in order[:k])
        key = tuple(sorted(members))
        if key in seen:  # susieR dedups identical sets before dropping V≈0 effects
            continue
        seen.add(key)
        if not V[l_] > _PRIOR_TOL:
            continue
        candidates.append((l_ + 1, members, float(a[list(members)].sum())))
    out: list[CredibleSet] = []
    for eff, members, cov in candidates:
        if len(members) == 1:
            pur = (1.0, 1.0, 1.0)
        else:
            pos = np.asarray(members)
            if len(pos) > n_purity:
                pos = rng.choice(pos, size=n_purity, replace=False)
            c = np.abs(corr_of(pos))
            iu = np.triu_indices(len(pos), k=1)
            vals = c[iu]
            pur = (float(np.min(vals)), float(np.mean(vals)), float(np.median(vals)))
        if pur[0] >= min_abs_corr:
            out.append(CredibleSet(eff, members, cov, *pur))
    out.sort(key=lambda cs: -cs.min_abs_corr)
    return out


def _pip(alpha: np.ndarray, V: np.ndarray) -> np.ndarray:
    keep = V > _PRIOR_TOL
    if not np.any(keep):
        return np.zeros(alpha.shape[1])
    return 1.0 - np.prod(1.0 - alpha[keep], axis=0)


def _check_common(L: int, p: int, coverage: float, min_abs_corr: float, spv: float) -> int:
    if p < 1:
        raise AnalysisError(f"SuSiE needs at least one variant (got p={p})")
    if L < 1:
        raise AnalysisError(f"'L' (got {L}) must be at least 1")
    if not 0 < coverage < 1:
        raise AnalysisError(f"'coverage' (got {coverage}) must lie in (0, 1)")
    if not 0 <= min_abs_corr <= 1:
        raise AnalysisError(f"'min_abs_corr' (got {min_abs_corr}) must lie in [0, 1]")
    if not 0 < spv <= 1:
        raise AnalysisError(f"'scaled_prior_variance' (got {spv}) must lie in (0, 1] with standardize")
    return min(L, p)


def _prior(prior_weights: np.ndarray | None, p: int) -> np.ndarray:
    if prior_weights is None:
        return np.full(p, 1.0 / p)
    pw = np.asarray(prior_weights, dtype=float)
    if pw.shape != (p,) or np.any(pw < 0) or not np.isfinite(pw).all() or pw.sum() <= 0:
        raise AnalysisError(f"'prior_weights' must be {p} non-negative finite numbers (got shape {pw.shape})")
    return pw / pw.sum()


_SETTINGS = (
    "L",
    "scaled_prior_variance",
    "coverage",
    "min_abs_corr",
    "tol",
    "max_iter",
    "n_purity",
    "seed",
    "estimate_residual_variance",
    "estimate_prior_variance",
)
"""The arguments :func:`susie` and :func:`susie_rss` share that :func:`_fit` reads (their own names)."""


def _fit(
    *,
    stats: dict[str, Any],
    corr_of: Callable[[np.ndarray], np.ndarray],
    csd: np.ndarray,
    V0: float,
    sigma2: float,
    prior_weights: np.ndarray,
    settings: dict[str, Any],
    params: dict[str, Any],
) -> SusieFit:
    """IBSS on standardised statistics, then credible sets, coefficients on the input scale and the fit
    (shared by :func:`susie` and :func:`susie_rss`; ``params`` adds the mode's own entries)."""
    alpha, mu, mu2, V, lbf, s2, elbo, conv = _ibss(
        **stats,
        L=settings["L"],
        V0=V0,
        sigma2=sigma2,
        prior_weights=prior_weights,
        estimate_residual_variance=settings["estimate_residual_variance"],
        estimate_prior_variance=settings["estimate_prior_variance"],
        sigma2_lower=sigma2 / 1e4,
        max_iter=settings["max_iter"],
        tol=settings["tol"],
    )
    sets = _credible_sets(
        alpha,
        V,
        corr_of,
        coverage=settings["coverage"],
        min_abs_corr=settings["min_abs_corr"],
        n_purity=settings["n_purity"],
        seed=settings["seed"],
    )
    coef = (alpha * mu).sum(axis=0) / csd
    recorded = {k: v for k, v in settings.items() if k not in ("n_purity", "seed")}
    return SusieFit(_pip(alpha, V), alpha, mu, mu2, V, s2, elbo, conv, sets, lbf, coef, {**recorded, **params})


# --------------------------------------------------------------------------- public API


def susie(
    X: np.ndarray,
    y: np.ndarray,
    *,
    L: int = 10,
    scaled_prior_variance: float = 0.2,
    prior_weights: np.ndarray | None = None,
    estimate_residual_variance: bool = True,
    estimate_prior_variance: bool = True,
    coverage: float = 0.95,
    min_abs_corr: float = 0.5,
    max_iter: int = 100,
    tol: float = 1e-3,
    n_purity: int = 100,
    seed: int = 0,
) -> SusieFit:
    """Fit SuSiE to individual-level data with susieR's defaults (standardize and intercept on).

    Args:
        X: genotypes, shape ``(n samples, p variants)``, any numeric coding; no missing values.
            Constant columns are allowed (their scale is taken as 1, as susieR does).
        y: phenotype, shape ``(n,)``.
        L: the maximum number of causal effects (capped at ``p``).
        scaled_prior_variance: initial prior variance of each effect as a fraction of ``var(y)``.
        prior_weights: prior inclusion probability per variant (normalised); uniform if None.
        estimate_residual_variance: re-estimate ``sigma²`` after every sweep.
        estimate_prior_variance: re-estimate each effect's prior variance (``optim``, log scale).
        coverage: credible-set coverage.
        min_abs_corr: purity threshold for reporting a credible set.
        max_iter: the maximum number of IBSS sweeps.
        tol: convergence tolerance on the ELBO gain.
        n_purity: at most this many variants of a set enter its purity (a seeded sample beyond).
        seed: seeds that sample.

    Returns:
        A :class:`SusieFit`; ``pip`` follows the column order of ``X``.

    Raises:
        AnalysisError: shapes disagree, values are missing/non-finite, or ``y`` is constant.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2:
        raise AnalysisError(f"'X' must be a 2-D samples × variants matrix (got {X.ndim} dimensions)")
    n, p = X.shape
    if y.shape[0] != n:
        raise AnalysisError(f"'y' has {y.shape[0]} values but 'X' has {n} rows (samples)")
    if not np.isfinite(X).all():
        raise AnalysisError(f"'X' has {int((~np.isfinite(X)).sum())} missing or non-finite values; impute first")
    if not np.isfinite(y).all():
        raise AnalysisError(f"'y' has {int((~np.isfinite(y)).sum())} missing or non-finite values")
    if n < 2:
        raise AnalysisError(f"SuSiE needs at least 2 samples (got {n})")
    L = _check_common(L, p, coverage, min_abs_corr, scaled_prior_variance)
    pw = _prior(prior_weights, p)
    mean_y = float(y.mean())
    yc = y - mean_y
    var_y = float(yc @ yc / (n - 1))
    if var_y <= 0:
        raise AnalysisError("'y' is constant (variance 0): nothing to fine-map")
    cm = X.mean(axis=0)
    csd = X.std(axis=0, ddof=1)
    csd[csd == 0] = 1.0
    Xs = (X - cm) / csd
    d = np.einsum("ij,ij->j", Xs, Xs)
    d[d == 0] = 1e-300  # a constant column: betahat 0 / tiny, shat2 huge: it never enters

    def corr_of(pos: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(np.corrcoef(X[:, pos], rowvar=False), nan=0.0)

    return _fit(
        stats=dict(XtX=None, X=Xs, y=yc, Xty=Xs.T @ yc, yty=float(yc @ yc), n=n, d=d),
        corr_of=corr_of,
        csd=csd,
        V0=scaled_prior_variance * var_y,
        sigma2=var_y,
        prior_weights=pw,
        settings={k: v for k, v in locals().items() if k in _SETTINGS},
        params=dict(standardize=True, intercept=True, n=n, p=p, mode="individual"),
    )


def susie_rss(
    *,
    R: np.ndarray,
    n: int,
    z: np.ndarray | None = None,
    bhat: np.ndarray | None = None,
    shat: np.ndarray | None = None,
    var_y: float | None = None,
    L: int = 10,
    scaled_prior_variance: float = 0.2,
    prior_weights: np.ndarray | None = None,
    estimate_residual_variance: bool = False,
    estimate_prior_variance: bool = True,
    coverage: float = 0.95,
    min_abs_corr: float = 0.5,
    max_iter: int = 100,
    tol: float = 1e-3,
    n_purity: int = 100,
    regularise: float = 0.0,
    on_singular: Literal["raise", "regularise"] = "regularise",
    seed: int = 0,
) -> SusieFit:
    """SuSiE-RSS: fine-map from marginal z-scores (or ``bhat``/``shat``) and an LD matrix.

    As susieR's ``susie_rss`` with ``n`` given: z-scores are first adjusted for the PVE,
    ``z̃ = z·sqrt((n-1)/(z² + n - 2))``, and the model is the sufficient-statistics SuSiE with
    ``X'X = (n-1)·R``, ``X'y = sqrt(n-1)·z̃``, ``y'y = n-1`` (phenotype variance 1); the residual
    variance is fixed at 1 by default (``estimate_residual_variance=False``, the susieR default for
    RSS, which is safer under LD mismatch).

    Args:
        R: the LD *correlation* matrix ``(p, p)`` in the same variant order and allele coding as
            ``z`` (signed r, not r²). It must be symmetric with unit diagonal.
        n: the GWAS sample size.
        z: marginal z-scores ``(p,)``; or give ``bhat`` and ``shat`` instead.
        bhat: marginal effect estimates (with ``shat``).
        shat: their standard errors; all must be > 0.
        var_y: the phenotype variance if known (then effects are on the phenotype scale).
        L, scaled_prior_variance, prior_weights, estimate_residual_variance,
        estimate_prior_variance, coverage, min_abs_corr, max_iter, tol, n_purity, seed:
            as :func:`susie`.
        regularise: add ``λ`` to the diagonal of ``R`` and rescale: ``(R + λI)/(1 + λ)``.
        on_singular: an ``R`` that is not positive semi-definite (eigenvalue < -1e-8, typical
            when LD comes from another panel) raises with ``"raise"``; with ``"regularise"``
            the smallest λ making it PSD is added (reported in ``fit.params['lambda']``).
            A merely rank-deficient (singular) PSD ``R`` is fine: SuSiE needs no inverse.

    Raises:
        AnalysisError: shapes disagree, ``shat ≤ 0``, non-finite input, ``R`` not symmetric or
            without unit diagonal, or an indefinite ``R`` with ``on_singular="raise"``.
    """
    R = np.asarray(R, dtype=float)
    if z is None:
        if bhat is None or shat is None:
            raise AnalysisError("susie_rss needs 'z' or both 'bhat' and 'shat'")
        bhat = np.asarray(bhat, dtype=float).ravel()
        shat = np.asarray(shat, dtype=float).ravel()
        if bhat.shape != shat.shape:
            raise AnalysisError(f"'bhat' ({bhat.shape[0]}) and 'shat' ({shat.shape[0]}) differ in length")
        bad = np.flatnonzero(~(shat > 0))
        if bad.size:
            raise AnalysisError(f"'shat' must be > 0; got {float(shat[bad[0]])} at index {int(bad[0])} ({bad.size} bad)")
        z = bhat / shat
    z = np.asarray(z, dtype=float).ravel()
    p = z.shape[0]
    if R.shape != (p, p):
        raise AnalysisError(f"'R' must be {p}×{p} to match the z-scores (got {R.shape})")
    if not (np.isfinite(z).all() and np.isfinite(R).all()):
        raise AnalysisError("'z' and 'R' must be finite (found NaN/inf)")
    if not np.allclose(R, R.T, atol=1e-8):
        raise AnalysisError("'R' is not symmetric")
    if not np.allclose(np.diag(R), 1.0, atol=1e-6):
        raise AnalysisError(
            f"'R' must be a correlation matrix with unit diagonal (diag range {np.diag(R).min():.3g}..{np.diag(R).max():.3g})"
        )
    if n <= 2:
        raise AnalysisError(f"'n' (got {n}) must exceed 2")
    L = _check_common(L, p, coverage, min_abs_corr, scaled_prior_variance)
    lam = float(regularise)
    if lam > 0:
        R = (R + lam * np.eye(p)) / (1 + lam)
    min_eig = float(np.linalg.eigvalsh(R).min()) if p <= 5000 else 0.0
    if min_eig < -1e-8:
        if on_singular == "raise":
            raise AnalysisError(
                f"LD matrix is not positive semi-definite (smallest eigenvalue {min_eig:.3g}); "
                "pass on_singular='regularise' or regularise=λ"
            )
        extra = -min_eig + 1e-6
        R = (R + extra * np.eye(p)) / (1 + extra)
        lam = (1 + lam) * (1 + extra) - 1
    pw = _prior(prior_weights, p)
    adj = (n - 1) / (z**2 + n - 2)
    zt = np.sqrt(adj) * z
    vy = 1.0 if var_y is None else float(var_y)
    if vy <= 0:
        raise AnalysisError(f"'var_y' (got {var_y}) must be > 0")
    XtX = (n - 1) * R * vy if var_y is not None else (n - 1) * R
    Xty = np.sqrt(n - 1) * zt * (vy if var_y is not None else 1.0)
    yty = (n - 1) * vy
    # standardise as susie_suff_stat does: csd = sqrt(diag(XtX)/(n-1))
    csd = np.sqrt(np.diag(XtX) / (n - 1))
    csd[csd == 0] = 1.0
    XtX = XtX / csd[:, None] / csd[None, :]
    Xty = Xty / csd
    d = np.diag(XtX).copy()
    return _fit(
        stats=dict(XtX=XtX, X=None, y=None, Xty=Xty, yty=yty, n=n, d=d),
        corr_of=lambda pos: R[np.ix_(pos, pos)],
        csd=csd,
        V0=scaled_prior_variance * vy,
        sigma2=vy,
        prior_weights=pw,
        settings={k: v for k, v in locals().items() if k in _SETTINGS},
        params=dict(n=n, p=p, mode="rss", **{"lambda": lam}),
    )
