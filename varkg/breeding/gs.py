"""Genomic selection: GBLUP / rrBLUP by REML, BayesCπ by Gibbs sampling, repeated k-fold CV.

* **GBLUP**: ``y = W b + u + e``, ``u ~ N(0, vg K)`` (VanRaden K of all animals), variance
  components by REML on the training animals (:func:`varkg.breeding.lmm.reml`); the GEBV of a test
  animal is ``vg K[te, tr] V^-1 (y_tr - W_tr b)``, ``V = vg K_tr + ve I``.
* **rrBLUP**: marker effects ``a = Z_tr' V^-1 (y_tr - W_tr b) vg / (2 sum p q)``; ``Z_te a`` equals the
  GBLUP GEBV (the two models are the same; :func:`rrblup_effects` gives the marker view).
* **BayesCπ** (Habier et al. 2011): each marker effect is 0 with probability π, else
  ``N(0, sigma2_a)``; π ~ Beta(1, 1), ``sigma2_a`` and ``sigma2_e`` scaled inverse chi-square
  (ν = 4; ``S2_a`` from half the phenotypic variance / ((1 - π0) 2 sum p q)). Single-site Gibbs
  with burn-in and thinning; :func:`geweke_z` and :func:`gelman_rubin` give convergence of
  ``sigma2_e``, ``sigma2_g`` and π (:func:`bayes_convergence`: 2 chains on all animals). The
  sweep is compiled with numba (O(n) residual update per marker), so CV runs it on every marker.
* **Accuracy**: in each fold the test animals' adjusted phenotype ``y_te - W_te b`` (b from the
  training fit) is correlated with their GEBV; folds are repeated over seeds and the SE is the
  standard deviation over repeats / sqrt(repeats).
* **Top-variant GRMs** (``gblup_top``, ``gblup_mix``): within each training fold the markers are
  ranked by their marginal association with the covariate-adjusted training phenotype; the top
  ``top_k`` form a second GRM used alone or averaged with the all-marker GRM (no test animal
  informs the choice).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numba import njit

from varkg.breeding.data import TraitData
from varkg.breeding.lmm import RemlFit, eigen, grm, reml
from varkg.breeding.mcmc import ess_bulk, split_rhat
from varkg.errors import AnalysisError

__all__ = [
    "BayesResult",
    "ChainStart",
    "ConvergenceReport",
    "MODELS",
    "bayes_convergence",
    "bayes_cpi",
    "cross_validate",
    "gblup",
    "gelman_rubin",
    "geweke_z",
    "overdispersed_starts",
    "rrblup_effects",
    "summarise",
]

MODELS = ("gblup", "bayescpi", "gblup_top", "gblup_mix")


def _fixed_cols(W: np.ndarray) -> np.ndarray:
    return np.array([0] + [j for j in range(1, W.shape[1]) if np.ptp(W[:, j]) > 0])


def gblup(
    K: np.ndarray, y: np.ndarray, W: np.ndarray, train: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, RemlFit]:
    """GEBV of ``test`` animals and their adjusted phenotype ``y - W b``, REML on ``train``."""
    cols = _fixed_cols(W[train])
    Wt = W[np.ix_(train, cols)]
    eig = eigen(K[np.ix_(train, train)])
    fit = reml(y[train], Wt, eig)
    r = y[train] - Wt @ fit.beta
    Hinv_r = eig.U @ ((eig.U.T @ r) / (fit.lam * eig.d + 1.0))
    gebv = fit.lam * K[np.ix_(test, train)] @ Hinv_r
    adj = y[test] - W[np.ix_(test, cols)] @ fit.beta
    return gebv, adj, fit


def rrblup_effects(data: TraitData, train: np.ndarray) -> tuple[np.ndarray, RemlFit]:
    """Marker effects (per copy of the counted allele) of rrBLUP fitted on ``train`` by REML."""
    Z = data.X - 2 * data.freq
    K = grm(data.X, data.freq)
    cols = _fixed_cols(data.W[train])
    Wt = data.W[np.ix_(train, cols)]
    eig = eigen(K[np.ix_(train, train)])
    fit = reml(data.y[train], Wt, eig)
    r = data.y[train] - Wt @ fit.beta
    Hinv_r = eig.U @ ((eig.U.T @ r) / (fit.lam * eig.d + 1.0))
    a = fit.lam * Z[train].T @ Hinv_r / (2 * float(np.sum(data.freq * (1 - data.freq))))
    return a, fit


@dataclass
class BayesResult:
    """Posterior means (``effects`` [p], ``b`` fixed effects) and thinned traces (``trace``: columns
    sigma2_e, sigma2_a, sigma2_g, pi, n_in)."""

    effects: np.ndarray
    b: np.ndarray
    trace: pd.DataFrame
    accept_rate: float = float("nan")


TRACE_COLUMNS = ("sigma2_e", "sigma2_a", "sigma2_g", "pi", "n_in")


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot_row(Zt: np.ndarray, j: int, e: np.ndarray) -> float:
    """``Zt[j] @ e`` with a reassociated (vectorised) sum."""
    s = 0.0
    for i in range(e.shape[0]):
        s += Zt[j, i] * e[i]
    return s


@njit(cache=True, nogil=True)
def _block_logpost(G: np.ndarray, h: np.ndarray, inc: np.ndarray, lam: float, s2e: float, k: int, p: int) -> float:
    """Log of ``p(δ_S | rest)`` up to a constant (see :func:`_block_move`): the Beta-binomial prior
    ``log Γ(p-k+1) + log Γ(k+1)`` plus the block's marginal likelihood
    ``½ |I| log λ - ½ log|C_I| + h_I' C_I⁻¹ h_I / (2 σ²_e)``, ``C_I = G_II + λ I``."""
    q = 0
    for i in range(inc.shape[0]):
        if inc[i]:
            q += 1
    out = math.lgamma(p - k + 1.0) + math.lgamma(k + 1.0)
    if q == 0:
        return out
    C = np.empty((q, q))
    hi = np.empty(q)
    a = 0
    for i in range(inc.shape[0]):
        if inc[i]:
            hi[a] = h[i]
            c = 0
            for j in range(inc.shape[0]):
                if inc[j]:
                    C[a, c] = G[i, j]
                    c += 1
            C[a, a] += lam
            a += 1
    L = np.linalg.cholesky(C)
    logdet = 0.0
    for i in range(q):
        logdet += 2.0 * np.log(L[i, i])
    v = np.linalg.solve(L, hi)
    return out + 0.5 * q * np.log(lam) - 0.5 * logdet + 0.5 * (v @ v) / s2e


@njit(cache=True, nogil=True)
def _block_move(
    Zt: np.ndarray, e: np.ndarray, alpha: np.ndarray, S: np.ndarray, k: int, s2a: float, s2e: float
) -> tuple[int, int]:
    """One collapsed block Metropolis-Hastings move on the indicators of the markers ``S`` (then a
    joint Gibbs draw of their effects); updates ``alpha`` and the residual ``e`` in place and returns
    ``(accepted, k)`` with ``k`` the new number of included markers.

    Target. With b, σ²_a, σ²_e and the effects outside S fixed, let ``r = e + Z_S α_S`` (the
    residual without the block). π is integrated out of its Beta(1, 1) prior, so the indicators
    have the exchangeable prior ``P(δ) = ∫ π^(p-k) (1-π)^k dπ = Γ(p-k+1) Γ(k+1) / Γ(p+2)``
    (k = number included, π = probability of a zero effect). The included effects of the block
    ``β_I ~ N(0, σ²_a I)`` are integrated too: ``r | δ_S ~ N(0, V)``, ``V = σ²_e I_n + σ²_a Z_I Z_I'``.
    With ``λ = σ²_e / σ²_a``, ``C = Z_I'Z_I + λ I`` and ``h = Z_I' r`` (Woodbury and the matrix
    determinant lemma): ``|V| = σ²_e^n λ^-|I| |C|`` and ``r'V⁻¹r = (r'r - h'C⁻¹h) / σ²_e``, so

        log p(δ_S | rest) = log P(δ) + ½|I| log λ - ½ log|C| + h'C⁻¹h / (2σ²_e) + const,

    the constant (``-n/2 log 2πσ²_e - r'r/2σ²_e``) being the same for every δ_S. For one marker this
    is the log odds the single-site sweep uses (``v1/v0 = (x'x + λ)/λ``).

    Proposal. Each indicator of S flips with probability ½, redrawn until at least one flips: the
    flip mask has the same probability forwards and backwards, so ``q(δ'|δ) = q(δ|δ')`` and the
    acceptance probability is ``min(1, p(δ'_S | rest) / p(δ_S | rest))``. Equivalently, as an MH
    move on (δ_S, β_S) whose proposal draws ``β'_S`` from its exact conditional
    ``N(C⁻¹h, σ²_e C⁻¹)`` given δ'_S, the conditionals cancel in the joint ratio
    ``p(δ', β') p(β | δ) / (p(δ, β) p(β' | δ'))`` and leave the same ratio. After the accept/reject
    step β_S is drawn from ``N(C⁻¹h, σ²_e C⁻¹)`` given the current δ_S (a Gibbs step; zero for the
    excluded). Since the move leaves ``p(δ, β | b, σ²_a, σ²_e, y)`` with π integrated out invariant
    and never reads π, the caller must redraw π from ``Beta(p - k + 1, k + 1)`` before π is used
    again (partially collapsed Gibbs, van Dyk and Park 2008)."""
    n = e.shape[0]
    m = S.shape[0]
    p = alpha.shape[0]
    r = e.copy()
    cur = np.zeros(m, dtype=np.bool_)
    k_in_s = 0
    for a in range(m):
        j = S[a]
        if alpha[j] != 0.0:
            cur[a] = True
            k_in_s += 1
            for i in range(n):
                r[i] += Zt[j, i] * alpha[j]
    G = np.empty((m, m))
    h = np.empty(m)
    for a in range(m):
        h[a] = _dot_row(Zt, S[a], r)
        for c in range(a + 1):
            s = 0.0
            for i in range(n):
                s += Zt[S[a], i] * Zt[S[c], i]
            G[a, c] = s
            G[c, a] = s
    lam = s2e / s2a
    prop = cur.copy()
    while True:
        changed = False
        for a in range(m):
            if np.random.random() < 0.5:
                prop[a] = not cur[a]
                changed = True
            else:
                prop[a] = cur[a]
        if changed:
            break
    k_out = k - k_in_s
    k_prop = k_out
    for a in range(m):
        if prop[a]:
            k_prop += 1
    log_ratio = _block_logpost(G, h, prop, lam, s2e, k_prop, p) - _block_logpost(G, h, cur, lam, s2e, k, p)
    accepted = 0
    if np.log(np.random.random()) < log_ratio:
        accepted = 1
        cur = prop
        k = k_prop
    # β_S | δ_S, rest: N(C⁻¹ h, σ²_e C⁻¹) over the included members
    q = 0
    for a in range(m):
        if cur[a]:
            q += 1
    beta = np.zeros(m)
    if q > 0:
        idx = np.empty(q, dtype=np.int64)
        c = 0
        for a in range(m):
            if cur[a]:
                idx[c] = a
                c += 1
        C = np.empty((q, q))
        hi = np.empty(q)
        for a in range(q):
            hi[a] = h[idx[a]]
            for c in range(q):
                C[a, c] = G[idx[a], idx[c]]
            C[a, a] += lam
        L = np.linalg.cholesky(C)
        z = np.empty(q)
        for a in range(q):
            z[a] = np.random.standard_normal()
        # mean C⁻¹h = L'⁻¹ L⁻¹ h; noise sqrt(σ²_e) L'⁻¹ z has covariance σ²_e C⁻¹
        w = np.linalg.solve(L, hi) + np.sqrt(s2e) * z
        draw = np.linalg.solve(L.T, w)
        for a in range(q):
            beta[idx[a]] = draw[a]
    for a in range(m):
        j = S[a]
        alpha[j] = beta[a]
        if beta[a] != 0.0:
            for i in range(n):
                r[i] -= Zt[j, i] * beta[a]
    e[:] = r
    return accepted, k


@njit(cache=True, nogil=True)
def _pick_block(p: int, m: int) -> np.ndarray:
    """``m`` distinct markers, independent of the chain's state: with probability ½ a window of
    ``m`` neighbours (markers in LD trade effects), else ``m`` drawn uniformly without replacement."""
    S = np.empty(m, dtype=np.int64)
    if np.random.random() < 0.5:
        start = np.random.randint(0, p - m + 1)
        for a in range(m):
            S[a] = start + a
        return S
    c = 0
    while c < m:
        j = np.random.randint(0, p)
        dup = False
        for a in range(c):
            if S[a] == j:
                dup = True
                break
        if not dup:
            S[c] = j
            c += 1
    return S


@njit(cache=True, nogil=True)
def _gibbs(
    Zt: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    WtWinv: np.ndarray,
    Lw: np.ndarray,
    iterations: int,
    burn_in: int,
    thin: int,
    seed: int,
    nu: float,
    S2a: float,
    S2e: float,
    start_pi: float,
    start_s2a: float,
    start_s2e: float,
    block_moves: int,
    block_size: int,
    single_site: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The BayesCπ chain: ``Zt`` is the centred marker matrix transposed (``[p, n]``, C order, so a
    marker is one contiguous row). Per iteration: fixed effects; ``block_moves`` collapsed block
    moves (:func:`_block_move`) of ``block_size`` markers, then π | δ; the single-site sweep (when
    ``single_site``); σ²_a, σ²_e, π. Returns summed effects, summed fixed effects (over kept
    samples), the kept trace ``[kept, 5]`` (columns as :data:`TRACE_COLUMNS`) and the number of
    accepted block moves."""
    np.random.seed(seed)
    p, n = Zt.shape
    c = W.shape[1]
    xx = np.empty(p)
    for j in range(p):
        s = 0.0
        for i in range(n):
            s += Zt[j, i] * Zt[j, i]
        xx[j] = s
    b = WtWinv @ (W.T @ y)
    e = y - W @ b
    alpha = np.zeros(p)
    acc = np.zeros(p)
    acc_b = np.zeros(c)
    kept_n = (iterations - burn_in + thin - 1) // thin
    trace = np.empty((kept_n, 5))
    s2a = start_s2a
    s2e = start_s2e
    pi = start_pi
    z = np.empty(c)
    kept = 0
    accepted = 0
    k_in = 0
    for it in range(iterations):
        # fixed effects | rest: N(WtWinv W'(e + W b), s2e WtWinv)
        for k in range(c):
            z[k] = np.random.standard_normal()
        bn = WtWinv @ (W.T @ (e + W @ b)) + np.sqrt(s2e) * (Lw @ z)
        e += W @ (b - bn)
        b = bn
        if block_moves > 0:
            for _ in range(block_moves):
                acc_mv, k_in = _block_move(Zt, e, alpha, _pick_block(p, block_size), k_in, s2a, s2e)
                accepted += acc_mv
            pi = np.random.beta(p - k_in + 1.0, k_in + 1.0)
        k_in = 0
        ss_a = 0.0
        if single_site:
            logodds_prior = np.log(pi) - np.log1p(-pi)
            for j in range(p):
                aj = alpha[j]
                r = _dot_row(Zt, j, e) + xx[j] * aj
                v0 = xx[j] * s2e
                v1 = xx[j] * xx[j] * s2a + v0
                d = 0.5 * (np.log(v1 / v0) + r * r / v1 - r * r / v0)  # log L0 - log L1
                p1 = 1.0 / (1.0 + np.exp(min(d + logodds_prior, 700.0)))
                u = np.random.random()
                zs = np.random.standard_normal()
                if u < p1:
                    C = xx[j] + s2e / s2a
                    an = r / C + np.sqrt(s2e / C) * zs
                    k_in += 1
                    ss_a += an * an
                else:
                    an = 0.0
                if an != aj:
                    dlt = aj - an
                    for i in range(n):
                        e[i] += Zt[j, i] * dlt
                    alpha[j] = an
        else:
            for j in range(p):
                if alpha[j] != 0.0:
                    k_in += 1
                    ss_a += alpha[j] * alpha[j]
        ee = 0.0
        for i in range(n):
            ee += e[i] * e[i]
        s2a = (ss_a + nu * S2a) / np.random.chisquare(nu + k_in)
        s2e = (ee + nu * S2e) / np.random.chisquare(nu + n)
        pi = np.random.beta(p - k_in + 1.0, k_in + 1.0)
        if it >= burn_in and (it - burn_in) % thin == 0:
            acc += alpha
            acc_b += b
            g = y - W @ b - e  # = Z alpha, kept in O(n) by the residual bookkeeping
            trace[kept, 0] = s2e
            trace[kept, 1] = s2a
            trace[kept, 2] = np.var(g)
            trace[kept, 3] = pi
            trace[kept, 4] = k_in
            kept += 1
    return acc, acc_b, trace, accepted


@dataclass(frozen=True)
class ChainStart:
    """Where a BayesCπ chain starts: π (probability that a marker's effect is zero, in (0, 1)), the
    effect variance σ²_a (trait units² per copy of the counted allele) and the residual variance
    σ²_e (trait units²). Every effect starts at zero."""

    pi: float
    sigma2_a: float
    sigma2_e: float

    def __post_init__(self) -> None:
        if not 0.0 < self.pi < 1.0:
            raise AnalysisError(f"ChainStart.pi must be in (0, 1) (got {self.pi})")
        for name in ("sigma2_a", "sigma2_e"):
            v = getattr(self, name)
            if not (np.isfinite(v) and v > 0):
                raise AnalysisError(f"ChainStart.{name} must be a positive number (got {v})")


def overdispersed_starts(
    k: int, *, phenotypic_variance: float, sum_2pq: float, pi_range: tuple[float, float] = (0.5, 0.99)
) -> list[ChainStart]:
    """``k`` chain starts spread over the prior's support, so that R-hat can see a shared drift.

    Chain ``c`` (``u = c / (k - 1)``) starts at π evenly spaced on the logit scale over
    ``pi_range`` (0.5, ..., 0.99 by default) and at a heritability ``h² = 0.9 - 0.8 u`` (0.9 down to
    0.1, so the chain with the most markers in starts with the most genetic variance):
    ``σ²_e = (1 - h²) V_P`` and ``σ²_a = h² V_P / ((1 - π) Σ 2pq)``. One chain (``k = 1``) starts at
    the middle (``u = ½``).

    Args:
        k: number of chains (>= 1).
        phenotypic_variance: V_P, the variance of the covariate-adjusted phenotype (trait units²).
        sum_2pq: Σ_j 2 p_j q_j, the summed variance of the centred markers.
        pi_range: lowest and highest starting π, both in (0, 1).

    Returns:
        ``k`` :class:`ChainStart` (deterministic: no seed).
    """
    if k < 1:
        raise AnalysisError(f"need at least one chain start (got k={k})")
    lo, hi = pi_range
    if not 0.0 < lo <= hi < 1.0:
        raise AnalysisError(f"pi_range must satisfy 0 < low <= high < 1 (got {pi_range})")
    if not (phenotypic_variance > 0 and sum_2pq > 0):
        raise AnalysisError(f"phenotypic_variance ({phenotypic_variance}) and sum_2pq ({sum_2pq}) must be positive")
    logit = np.log(lo / (1 - lo)), np.log(hi / (1 - hi))
    out = []
    for c in range(k):
        u = c / (k - 1) if k > 1 else 0.5
        pi = float(1.0 / (1.0 + np.exp(-(logit[0] + u * (logit[1] - logit[0])))))
        h2 = 0.9 - 0.8 * u
        out.append(
            ChainStart(pi=pi, sigma2_a=h2 * phenotypic_variance / ((1 - pi) * sum_2pq), sigma2_e=(1 - h2) * phenotypic_variance)
        )
    return out


def bayes_cpi(
    Z: np.ndarray,
    y: np.ndarray,
    W: np.ndarray,
    *,
    iterations: int = 12000,
    burn_in: int = 2000,
    thin: int = 10,
    seed: int = 0,
    pi0: float = 0.9,
    nu: float = 4.0,
    start: ChainStart | None = None,
    block_moves: int = 0,
    block_size: int = 8,
    single_site: bool = True,
) -> BayesResult:
    """BayesCπ Gibbs sampler on centred markers ``Z`` (``[n, p]``), fixed effects ``W`` (``[n, c]``).

    Single-site sweep compiled with numba; after each marker the residual is updated in O(n) (the
    right-hand side ``x_j' e + x_j' x_j a_j`` needs no O(n p) product). The same ``seed`` gives the
    same chain (numba's own Mersenne Twister, seeded inside the compiled function).

    Args:
        Z: centred genotypes ``[n, p]`` (dosage - 2 × frequency).
        y: phenotypes ``[n]``.
        W: fixed-effect design ``[n, c]`` (flat prior on its effects).
        iterations: Gibbs iterations, burn-in included.
        burn_in: iterations left out of the means and the trace.
        thin: keep every ``thin``-th iteration after burn-in.
        seed: the chain's seed.
        pi0: the prior guess of π that scales ``S²_a`` (the prior of σ²_a); also the default start.
        nu: degrees of freedom of the scaled inverse χ² priors of σ²_a and σ²_e.
        start: where the chain starts; default π = ``pi0`` and σ²_a, σ²_e at their prior means
            (the behaviour before starts existed: the same chain bit for bit). Changing the start
            never changes the prior.
        block_moves: collapsed block Metropolis-Hastings moves per iteration (0: the plain Gibbs
            sampler), each on ``block_size`` markers; π is redrawn from ``Beta(p - k + 1, k + 1)``
            after them (:func:`_block_move` derives the acceptance ratio).
        block_size: markers per block move (1-32).
        single_site: run the single-site sweep (switch it off only to test the block moves alone).

    Returns:
        Posterior means of the effects and fixed effects, the thinned trace and (``accept_rate``)
        the fraction of block moves accepted.
    """
    if burn_in >= iterations or burn_in < 0:
        raise AnalysisError(f"burn_in ({burn_in}) must be in [0, iterations ({iterations}))")
    if thin < 1:
        raise AnalysisError(f"thin must be >= 1 (got {thin})")
    n, p = Z.shape
    if y.shape != (n,) or W.shape[0] != n:
        raise AnalysisError(f"Z has {n} rows, y {y.shape}, W {W.shape}: they must agree")
    if block_moves < 0:
        raise AnalysisError(f"block_moves must be >= 0 (got {block_moves})")
    if block_moves and not 1 <= block_size <= min(32, p):
        raise AnalysisError(f"block_size must be in [1, {min(32, p)}] (got {block_size})")
    if not single_site and block_moves == 0:
        raise AnalysisError("single_site=False needs block_moves > 0 (nothing would move the effects)")
    Wf = np.ascontiguousarray(W, dtype=np.float64)
    WtWinv = np.linalg.inv(Wf.T @ Wf)
    Lw = np.linalg.cholesky(WtWinv)
    e0 = y - Wf @ (WtWinv @ (Wf.T @ y))
    vy = float(np.var(e0))
    s2p = float(np.sum(np.var(Z, axis=0)))  # = 2 sum pq for 0/1/2 dosages in HWE
    S2a = 0.5 * vy * (nu - 2) / nu / ((1 - pi0) * s2p)
    S2e = 0.5 * vy * (nu - 2) / nu
    if start is None:
        start = ChainStart(pi=pi0, sigma2_a=S2a * nu / (nu - 2.0), sigma2_e=S2e * nu / (nu - 2.0))
    acc, acc_b, trace, accepted = _gibbs(
        np.ascontiguousarray(Z.T, dtype=np.float64),
        np.ascontiguousarray(y, dtype=np.float64),
        Wf,
        np.ascontiguousarray(WtWinv),
        np.ascontiguousarray(Lw),
        int(iterations),
        int(burn_in),
        int(thin),
        int(seed),
        float(nu),
        S2a,
        S2e,
        float(start.pi),
        float(start.sigma2_a),
        float(start.sigma2_e),
        int(block_moves),
        int(block_size),
        bool(single_site),
    )
    kept = trace.shape[0]
    t = pd.DataFrame(trace, columns=list(TRACE_COLUMNS))
    t["n_in"] = t["n_in"].astype(np.int64)
    rate = accepted / (block_moves * iterations) if block_moves else float("nan")
    return BayesResult(acc / kept, acc_b / kept, t, accept_rate=rate)


def geweke_z(x: np.ndarray, *, first: float = 0.1, last: float = 0.5) -> float:
    """Geweke's z: difference of the means of the first 10% and last 50% of a chain over the
    root of their variances (batch means with 20 batches)."""
    x = np.asarray(x, float)
    a, b = x[: max(2, int(first * len(x)))], x[-max(2, int(last * len(x))) :]

    def var_mean(s: np.ndarray) -> float:
        nb = min(20, len(s) // 2)
        if nb < 2:
            return float(np.var(s) / len(s))
        m = np.array([c.mean() for c in np.array_split(s, nb)])
        return float(np.var(m, ddof=1) / nb)

    den = np.sqrt(var_mean(a) + var_mean(b))
    return float((a.mean() - b.mean()) / den) if den > 0 else 0.0


def gelman_rubin(chains: Sequence[np.ndarray]) -> float:
    """Potential scale reduction factor R-hat of equal-length chains."""
    c = np.stack([np.asarray(x, float) for x in chains])
    m, n = c.shape
    B = n * c.mean(axis=1).var(ddof=1)
    Wv = c.var(axis=1, ddof=1).mean()
    return float(np.sqrt(((n - 1) / n * Wv + B / n) / Wv)) if Wv > 0 else float("nan")


@dataclass
class ConvergenceReport:
    """Convergence of several BayesCπ chains on one trait.

    ``table``: one row per parameter (sigma2_e, sigma2_g, pi) with the pooled posterior ``mean``,
    ``mean_chain{c}`` and ``geweke_z{c}`` per chain, ``rhat`` (Gelman-Rubin, unsplit),
    ``split_rhat`` and ``ess_bulk`` (:mod:`varkg.breeding.mcmc`, all chains), ``kept_per_chain`` and
    ``ok`` (split R-hat < ``rhat_max`` and bulk ESS > ``ess_min_per_chain`` × chains).
    ``gebv_cor``: the smallest correlation between two chains' GEBVs (``Z â``, all animals).
    ``converged``: every parameter ok; ``verdict`` says why not."""

    table: pd.DataFrame
    chains: list[BayesResult]
    gebv_cor: float
    converged: bool
    verdict: str


CONVERGENCE_PARAMETERS = ("sigma2_e", "sigma2_g", "pi")


def bayes_convergence(
    data: TraitData,
    *,
    chains: int = 4,
    iterations: int = 12000,
    burn_in: int = 2000,
    thin: int = 10,
    seed: int = 0,
    starts: Literal["overdispersed", "same"] = "overdispersed",
    block_moves: int = 200,
    block_size: int = 8,
    rhat_max: float = 1.01,
    ess_min_per_chain: float = 100.0,
) -> ConvergenceReport:
    """BayesCπ on all animals and markers of ``data``, ``chains`` chains (seeds ``seed``, ``seed + 1``,
    ...), and the diagnostics of Vehtari et al. (2021) for σ²_e, σ²_g and π.

    Args:
        data: the trait (all animals, all QC-passing markers).
        chains: number of chains (>= 2).
        iterations, burn_in, thin: per chain, as :func:`bayes_cpi`.
        seed: seed of the first chain.
        starts: ``overdispersed`` (:func:`overdispersed_starts`: π from 0.5 to 0.99, h² from 0.9
            to 0.1) or ``same`` (every chain at :func:`bayes_cpi`'s default start, the old setup:
            R-hat cannot see a drift the chains share).
        block_moves, block_size: collapsed block moves per iteration (0: plain Gibbs), see :func:`bayes_cpi`.
        rhat_max: a parameter is ok when its split R-hat is below this (1.01, as Vehtari et al. recommend).
        ess_min_per_chain: ... and its bulk ESS above this times ``chains`` (100 per chain, ditto).

    Returns:
        A :class:`ConvergenceReport`.
    """
    if chains < 2:
        raise AnalysisError(f"R-hat needs at least 2 chains (got {chains})")
    if starts not in ("overdispersed", "same"):
        raise AnalysisError(f"starts must be 'overdispersed' or 'same' (got {starts!r})")
    Z = data.X - 2 * data.freq
    W = data.W[:, _fixed_cols(data.W)]
    if starts == "overdispersed":
        WtWinv = np.linalg.inv(W.T @ W)
        vp = float(np.var(data.y - W @ (WtWinv @ (W.T @ data.y))))
        init: list[ChainStart | None] = list(
            overdispersed_starts(chains, phenotypic_variance=vp, sum_2pq=float(np.sum(np.var(Z, axis=0))))
        )
    else:
        init = [None] * chains
    res = [
        bayes_cpi(
            Z,
            data.y,
            W,
            iterations=iterations,
            burn_in=burn_in,
            thin=thin,
            seed=seed + c,
            start=init[c],
            block_moves=block_moves,
            block_size=block_size,
        )
        for c in range(chains)
    ]
    gebv = np.stack([Z @ r.effects for r in res])
    cor = np.corrcoef(gebv)
    gebv_cor = float(np.min(cor[np.triu_indices(chains, 1)]))
    rows = []
    for par in CONVERGENCE_PARAMETERS:
        tr = np.stack([r.trace[par].to_numpy() for r in res])
        row: dict[str, object] = {"trait": data.trait, "parameter": par, "mean": float(np.mean(tr))}
        for c in range(chains):
            row[f"mean_chain{c + 1}"] = float(np.mean(tr[c]))
        for c in range(chains):
            row[f"geweke_z{c + 1}"] = geweke_z(tr[c])
        row["rhat"] = gelman_rubin(list(tr))
        row["split_rhat"] = split_rhat(tr)
        row["ess_bulk"] = ess_bulk(tr)
        row["kept_per_chain"] = tr.shape[1]
        row["ok"] = bool(row["split_rhat"] < rhat_max and row["ess_bulk"] > ess_min_per_chain * chains)  # type: ignore[operator]
        rows.append(row)
    table = pd.DataFrame(rows)
    table["gebv_cor"] = gebv_cor
    bad = table[~table["ok"]]
    converged = bad.empty
    if converged:
        pars = ", ".join(CONVERGENCE_PARAMETERS)
        verdict = f"converged: split R-hat < {rhat_max:g} and bulk ESS > {ess_min_per_chain * chains:g} for {pars}"
    else:
        why = "; ".join(f"{r.parameter} split R-hat {r.split_rhat:.3f}, bulk ESS {r.ess_bulk:.0f}" for r in bad.itertuples())
        verdict = f"NOT converged (need split R-hat < {rhat_max:g}, bulk ESS > {ess_min_per_chain * chains:g}): {why}"
    table["converged"] = converged
    return ConvergenceReport(table=table, chains=res, gebv_cor=gebv_cor, converged=converged, verdict=verdict)


def _adjust(y: np.ndarray, W: np.ndarray) -> np.ndarray:
    beta, *_ = np.linalg.lstsq(W, y, rcond=None)
    return y - W @ beta


def marginal_scores(X: np.ndarray, y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """|correlation| of each marker with ``y`` after projecting ``W`` out of both (a fast ranking)."""
    ya = _adjust(y, W)
    Q, _ = np.linalg.qr(W)
    Xa = X - Q @ (Q.T @ X)
    num = Xa.T @ ya
    den = np.sqrt((Xa * Xa).sum(axis=0) * float(ya @ ya))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.abs(num / den))


def evenly_spaced(n_total: int, k: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_total - 1, min(k, n_total)).round().astype(int))


def cv_folds(
    n: int, *, folds: int, repeats: int, seed: int, progress: bool = False, desc: str = "CV"
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    """Repeated k-fold splits of ``n`` animals: ``(repeat, fold, train rows, test rows)``; repeat ``r``
    shuffles with seed ``seed + r`` (the same folds for every model and panel of a run)."""
    jobs = [(r, f) for r in range(repeats) for f in range(folds)]
    it: Iterable[tuple[int, int]] = jobs
    if progress:
        from tqdm import tqdm

        it = tqdm(jobs, desc=desc, unit="fold")
    assign = {r: np.random.default_rng(seed + r).permutation(n) % folds for r in range(repeats)}
    for r, f in it:
        yield r, f, np.flatnonzero(assign[r] != f), np.flatnonzero(assign[r] == f)


def cross_validate(
    data: TraitData,
    *,
    models: Sequence[str] = ("gblup", "bayescpi"),
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    top_k: int = 200,
    bayes_markers: int | None = None,
    bayes_iterations: int = 12000,
    bayes_burn_in: int = 2000,
    markers: np.ndarray | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Accuracy per (model, repeat, fold) and pooled per repeat (``fold = -1``: the correlation over
    all test animals of the repeat). ``markers`` restricts every model to those marker columns;
    ``bayes_markers`` (default: all) runs BayesCπ on that many evenly spaced ones."""
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise AnalysisError(f"unknown GS model(s) {bad}; expected some of {list(MODELS)}")
    if folds < 2 or folds > data.n:
        raise AnalysisError(f"folds must be in [2, {data.n}] (got {folds})")
    X = data.X if markers is None else data.X[:, markers]
    freq = data.freq if markers is None else data.freq[markers]
    K = grm(X, freq)
    Z = X - 2 * freq
    rows = []
    pooled: dict[tuple[str, int], list[tuple[np.ndarray, np.ndarray]]] = {}
    splits = cv_folds(data.n, folds=folds, repeats=repeats, seed=seed, progress=progress, desc=f"CV {data.trait}")
    for r, f, train, test in splits:
        for m in models:
            if m == "gblup":
                gebv, adj, _ = gblup(K, data.y, data.W, train, test)
            elif m in ("gblup_top", "gblup_mix"):
                cols = _fixed_cols(data.W[train])
                s = marginal_scores(X[train], data.y[train], data.W[np.ix_(train, cols)])
                top = np.argsort(-s)[:top_k]
                Kt = grm(X[:, top], freq[top])
                Kt = Kt / (np.trace(Kt) / data.n) * (np.trace(K) / data.n)
                gebv, adj, _ = gblup(Kt if m == "gblup_top" else 0.5 * (K + Kt), data.y, data.W, train, test)
            else:
                sub = evenly_spaced(X.shape[1], bayes_markers or X.shape[1])
                cols = _fixed_cols(data.W[train])
                res = bayes_cpi(
                    Z[np.ix_(train, sub)],
                    data.y[train],
                    data.W[np.ix_(train, cols)],
                    iterations=bayes_iterations,
                    burn_in=bayes_burn_in,
                    seed=seed + 1000 * r + f,
                )
                gebv = Z[np.ix_(test, sub)] @ res.effects
                adj = data.y[test] - data.W[np.ix_(test, cols)] @ res.b
            acc = float(np.corrcoef(gebv, adj)[0, 1]) if len(test) > 2 else float("nan")
            rows.append({"trait": data.trait, "model": m, "repeat": r, "fold": f, "n_test": len(test), "accuracy": acc})
            pooled.setdefault((m, r), []).append((gebv, adj))
    for (m, r), parts in pooled.items():
        g = np.concatenate([a for a, _ in parts])
        a = np.concatenate([b for _, b in parts])
        rows.append(
            {
                "trait": data.trait,
                "model": m,
                "repeat": r,
                "fold": -1,
                "n_test": len(g),
                "accuracy": float(np.corrcoef(g, a)[0, 1]),
            }
        )
    return pd.DataFrame(rows)


def summarise(cv: pd.DataFrame) -> pd.DataFrame:
    """Per trait and model: mean accuracy over repeats (mean of fold accuracies per repeat) and its
    SE over repeats (sd / sqrt(repeats))."""
    per = cv[cv["fold"] >= 0].groupby(["trait", "model", "repeat"])["accuracy"].mean().reset_index()
    g = per.groupby(["trait", "model"])["accuracy"]
    out = g.agg(["mean", "std", "count"]).reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    return out.rename(columns={"mean": "accuracy", "count": "repeats"}).drop(columns="std")


def gebv_table(data: TraitData) -> pd.DataFrame:
    """GEBVs of every analysed animal from GBLUP fitted on all of them (CSV export)."""
    idx = np.arange(data.n)
    K = grm(data.X, data.freq)
    gebv, adj, fit = gblup(K, data.y, data.W, idx, idx)
    return pd.DataFrame(
        {"animal": data.samples, "trait": data.trait, "gebv": gebv, "adjusted_phenotype": adj, "vg": fit.vg, "ve": fit.ve}
    )
