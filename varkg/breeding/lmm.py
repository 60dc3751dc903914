"""Linear mixed models: the VanRaden GRM, REML by eigen decomposition, per-marker Wald tests.

Model: ``y = W b + x beta + u + e``, ``u ~ N(0, vg K)``, ``e ~ N(0, ve I)``; ``lambda = vg / ve``
(``delta = 1 / lambda`` in EMMA's notation), ``H = lambda K + I``.

* GRM, VanRaden (2008) method 1: ``K = Z Z' / (2 sum_j p_j (1 - p_j))`` with ``Z = X - 2p``.
  GEMMA's ``-gk 1`` is ``Z Z' / m``: the same matrix times ``2 sum p(1-p) / m``, so ``vg`` differs by
  that factor and ``ve``, PVE and every p-value are the same.
* REML: with ``K = U diag(d) U'`` the rotated data ``U'y``, ``U'W`` make ``H`` diagonal
  (``lambda d_i + 1``). The restricted log-likelihood (Kang et al. 2008; Zhou & Stephens 2012) is
  ``l(lambda) = c - 1/2 sum log(lambda d_i + 1) - 1/2 log|W'H^-1 W| - (n - c)/2 log(y'Py)``,
  ``P = H^-1 - H^-1 W (W'H^-1 W)^-1 W'H^-1``; maximised over ``log10 lambda`` in [-5, 5] on a grid
  then by bounded Brent; ``ve = y'Py / (n - c)``, ``vg = lambda ve``, ``PVE = tr(K)/n vg /
  (tr(K)/n vg + ve)`` (GEMMA's definition).
* Association (``gemma -lmm 1``): for every marker ``lambda`` is **re-estimated by REML** with the
  marker in ``W`` (a grid, then parabolic steps, vectorised over markers), then the Wald test:
  ``beta = x'P_W y / x'P_W x``, ``tau = (n - c - 1) / y'P_{W,x} y``, ``se = (tau x'P_W x)^-1/2``,
  ``F = beta^2 / se^2`` on (1, n - c - 1) degrees of freedom. ``per_marker=False`` fixes ``lambda``
  at the null model's estimate instead (EMMAX / P3D).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from varkg.errors import AnalysisError

__all__ = ["Eigen", "RemlFit", "WaldResult", "eigen", "grm", "lmm_wald", "reml"]

LOG10_LAMBDA = (-5.0, 5.0)
"""Search range of log10(vg/ve), GEMMA's -lmin/-lmax."""


def grm(X: np.ndarray, freq: np.ndarray | None = None) -> np.ndarray:
    """VanRaden method 1 GRM (``float64 [n, n]``) of ``X`` (``[n, p]`` 0/1/2 dosages, no missing).

    ``freq`` defaults to the allele frequencies of ``X``'s own rows.

    >>> X = np.array([[0, 1, 2], [2, 1, 0], [1, 1, 1.]])
    >>> np.round(grm(X), 3).tolist()
    [[1.333, -1.333, 0.0], [-1.333, 1.333, 0.0], [0.0, 0.0, 0.0]]
    """
    p = X.mean(axis=0) / 2 if freq is None else np.asarray(freq, float)
    Z = X - 2 * p
    denom = 2 * float(np.sum(p * (1 - p)))
    if denom <= 0:
        raise AnalysisError("every marker is monomorphic: the GRM is undefined")
    return (Z @ Z.T) / denom


@dataclass(frozen=True)
class Eigen:
    """``K = U diag(d) U'`` (eigenvalues below 1e-10 set to 0, as GEMMA does)."""

    d: np.ndarray
    U: np.ndarray


def eigen(K: np.ndarray) -> Eigen:
    d, U = np.linalg.eigh(K)
    d = np.where(d < 1e-10, 0.0, d)
    return Eigen(d, U)


def _null_parts(lam: float, d: np.ndarray, Uy: np.ndarray, UW: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """``(sum log(lambda d + 1), log|W'H^-1 W|, y'Py, beta)`` at one lambda (QR of ``H^-1/2 W``)."""
    sw = 1.0 / np.sqrt(lam * d + 1.0)
    Q, R = np.linalg.qr(sw[:, None] * UW)
    diag = np.abs(np.diag(R))
    if diag.min() <= 1e-10 * diag.max():
        raise AnalysisError("the fixed-effect design is singular (a covariate is collinear with others)")
    sy = sw * Uy
    qy = Q.T @ sy
    beta = np.linalg.solve(R, qy)
    r = sy - Q @ qy
    return float(np.log(lam * d + 1.0).sum()), 2.0 * float(np.log(diag).sum()), float(r @ r), beta


@dataclass(frozen=True)
class RemlFit:
    """REML estimates of the null model.

    Attributes:
        lam: ``vg / ve``; ``vg``, ``ve`` the variance components (``vg`` on the scale of K);
        pve: proportion of variance explained (GEMMA's definition); ``loglik`` the REML log-likelihood
        (with GEMMA's constant); ``beta`` the fixed effects (GLS); ``n``, ``c`` animals and fixed effects.
    """

    lam: float
    vg: float
    ve: float
    pve: float
    loglik: float
    beta: np.ndarray
    n: int
    c: int


def _reml_ll(loglam: float, d: np.ndarray, Uy: np.ndarray, UW: np.ndarray) -> float:
    n, c = UW.shape
    sl, ld, yPy, _ = _null_parts(10.0**loglam, d, Uy, UW)
    df = n - c
    ww = float(np.linalg.slogdet(UW.T @ UW)[1])
    return 0.5 * df * np.log(0.5 * df / np.pi) - 0.5 * df - 0.5 * sl - 0.5 * ld + 0.5 * ww - 0.5 * df * np.log(yPy)


def reml(y: np.ndarray, W: np.ndarray, eig: Eigen, *, grid: int = 100) -> RemlFit:
    """REML of ``y = W b + u + e`` with ``u ~ N(0, vg K)``: grid over log10 lambda, then Brent."""
    y = np.asarray(y, float)
    if not np.isfinite(y).all():
        raise AnalysisError("the trait has missing values: align it with trait_data() first")
    Uy, UW = eig.U.T @ y, eig.U.T @ W
    n, c = W.shape
    xs = np.linspace(*LOG10_LAMBDA, grid)
    ll = np.array([_reml_ll(x, eig.d, Uy, UW) for x in xs])
    i = int(np.argmax(ll))
    lo, hi = xs[max(i - 1, 0)], xs[min(i + 1, grid - 1)]
    best_x, best = xs[i], ll[i]
    if hi > lo:
        r = optimize.minimize_scalar(
            lambda x: -_reml_ll(x, eig.d, Uy, UW), bounds=(lo, hi), method="bounded", options={"xatol": 1e-7}
        )
        if -r.fun >= best:
            best_x, best = float(r.x), float(-r.fun)
    lam = 10.0**best_x
    _, _, yPy, beta = _null_parts(lam, eig.d, Uy, UW)
    ve = yPy / (n - c)
    vg = lam * ve
    trk = float(eig.d.sum()) / n
    return RemlFit(lam, vg, ve, trk * vg / (trk * vg + ve), best, beta, n, c)


@dataclass(frozen=True)
class WaldResult:
    """Per-marker LMM results (arrays of length p): ``beta``, ``se``, ``pvalue``, ``lam`` (the REML
    lambda used for that marker), ``df`` the denominator degrees of freedom."""

    beta: np.ndarray
    se: np.ndarray
    pvalue: np.ndarray
    lam: np.ndarray
    df: int


def _marker_parts(lam: np.ndarray | float, d, Uy, UW, UX):
    """Vectorised over markers: ``(sum log(lambda d + 1), log|W'H^-1 W|, P_yy, P_xy, P_xx)`` for each
    column of UX at one lambda (scalar) or one lambda per marker (``[p]``).

    The projections are residuals of a QR decomposition of ``H^-1/2 W`` (not ``(W'H^-1W)^-1``):
    at large lambda the intercept direction (the GRM's null eigenvector) dominates and the normal
    equations lose every digit."""
    lam = np.asarray(lam, float)
    if lam.ndim == 0:
        sw = 1.0 / np.sqrt(lam * d + 1.0)
        Q, R = np.linalg.qr(sw[:, None] * UW)
        sy = sw * Uy
        ry = sy - Q @ (Q.T @ sy)
        sX = UX * sw[:, None]
        rX = sX - Q @ (Q.T @ sX)
        ld = 2.0 * float(np.log(np.abs(np.diag(R))).sum())
        Pyy = np.full(UX.shape[1], float(ry @ ry))
        return float(np.log(lam * d + 1.0).sum()), ld, Pyy, rX.T @ ry, np.einsum("ij,ij->j", rX, rX)
    sw = 1.0 / np.sqrt(d[:, None] * lam[None, :] + 1.0)  # [n, p]
    S = sw.T[:, :, None] * UW[None, :, :]  # [p, n, c]
    Q, R = np.linalg.qr(S)
    sy = sw * Uy[:, None]  # [n, p]
    ry = sy - np.einsum("pnc,pc->np", Q, np.einsum("pnc,np->pc", Q, sy))
    sX = UX * sw
    rX = sX - np.einsum("pnc,pc->np", Q, np.einsum("pnc,np->pc", Q, sX))
    ld = 2.0 * np.log(np.abs(np.diagonal(R, axis1=1, axis2=2))).sum(axis=1)
    sl = np.log(d[:, None] * lam[None, :] + 1.0).sum(axis=0)
    return sl, ld, (ry * ry).sum(axis=0), (rX * ry).sum(axis=0), (rX * rX).sum(axis=0)


def _ll_markers(loglam, d, Uy, UW, UX):
    n, c = UW.shape
    sl, ld, Pyy, Pxy, Pxx = _marker_parts(10.0**loglam, d, Uy, UW, UX)
    with np.errstate(invalid="ignore", divide="ignore"):
        Px_yy = Pyy - Pxy**2 / Pxx
        ll = -0.5 * sl - 0.5 * ld - 0.5 * np.log(Pxx) - 0.5 * (n - c - 1) * np.log(Px_yy)
    return np.where(np.isfinite(ll), ll, -np.inf)  # rounding at extreme lambda: never the maximum


def lmm_wald(
    y: np.ndarray,
    W: np.ndarray,
    X: np.ndarray,
    eig: Eigen,
    *,
    per_marker: bool = True,
    null: RemlFit | None = None,
    grid: int = 101,
    refine: int = 2,
    block: int = 4096,
    progress: bool = False,
) -> WaldResult:
    """Wald test of every column of ``X`` (``[n, p]`` dosages) in the LMM.

    Args:
        per_marker: re-estimate lambda by REML for each marker (GEMMA ``-lmm 1``); else use the
            null model's lambda for all (EMMAX / P3D).
        grid: points over log10 lambda in [-5, 5] (a shared lambda per point, so one matrix product
            per point); the maximum is then refined per marker by ``refine`` parabolic steps.
        block: markers per vectorised block (memory ~ block x n x 8 bytes x a few).
    """
    n, c = W.shape
    df = n - c - 1
    if df < 1:
        raise AnalysisError(f"{n} animals are too few for {c} fixed effects and a marker")
    Uy, UW = eig.U.T @ np.asarray(y, float), eig.U.T @ W
    null = null or reml(y, W, eig)
    p = X.shape[1]
    beta, se, pv, lams = (np.empty(p) for _ in range(4))
    xs = np.linspace(*LOG10_LAMBDA, grid)
    starts = range(0, p, block)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="LMM markers", unit="block")
    for a in starts:
        b = min(p, a + block)
        UX = eig.U.T @ X[:, a:b]
        if per_marker:
            ll = np.stack([_ll_markers(x, eig.d, Uy, UW, UX) for x in xs])  # [grid, m]
            i = np.argmax(ll, axis=0)
            cols = np.arange(ll.shape[1])
            loglam, best = xs[i], ll[i, cols]
            h = xs[1] - xs[0]
            for _ in range(refine):
                x0 = np.clip(loglam, xs[0] + h, xs[-1] - h)
                fm, f0, fp = (_ll_markers(x0 + k * h, eig.d, Uy, UW, UX) for k in (-1, 0, 1))
                curv = fm - 2 * f0 + fp
                step = np.where(curv < 0, 0.5 * h * (fm - fp) / np.where(curv < 0, curv, -1.0), 0.0)
                cand = np.clip(x0 + np.clip(step, -h, h), *LOG10_LAMBDA)
                fc = _ll_markers(cand, eig.d, Uy, UW, UX)
                take = fc > best
                loglam, best = np.where(take, cand, loglam), np.where(take, fc, best)
                h = h / 10
            lam = 10.0**loglam
        else:
            lam = np.full(b - a, null.lam)
        _, _, Pyy, Pxy, Pxx = _marker_parts(lam, eig.d, Uy, UW, UX)
        Px_yy = Pyy - Pxy**2 / Pxx
        bt = Pxy / Pxx
        tau = df / Px_yy
        s = np.sqrt(1.0 / (tau * Pxx))
        F = (Pyy - Px_yy) * tau
        beta[a:b], se[a:b], pv[a:b], lams[a:b] = bt, s, stats.f.sf(F, 1, df), lam
    return WaldResult(beta, se, pv, lams, df)
