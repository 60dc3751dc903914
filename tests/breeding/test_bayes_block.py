"""The collapsed block move of BayesCπ against the exact posterior of the number of included markers,
enumerated over all 2^6 indicator vectors of a 6-marker problem on real pig genotypes."""

from __future__ import annotations

import itertools
from math import lgamma

import numpy as np
import pytest

from varkg.breeding.gs import ChainStart, bayes_cpi, overdispersed_starts
from varkg.breeding.mcmc import ess_bulk, split_rhat
from varkg.errors import AnalysisError


def _exact_k(Z: np.ndarray, y: np.ndarray, W: np.ndarray, *, nu: float = 4.0, pi0: float = 0.9, grid: int = 200) -> np.ndarray:
    """P(k | y): π integrated (Beta-binomial), b integrated (flat prior), σ²_a and σ²_e on a log grid."""
    n, p = Z.shape
    e0 = y - W @ np.linalg.lstsq(W, y, rcond=None)[0]
    vy, s2p = float(np.var(e0)), float(np.sum(np.var(Z, axis=0)))
    S2a, S2e = 0.5 * vy * (nu - 2) / nu / ((1 - pi0) * s2p), 0.5 * vy * (nu - 2) / nu
    ta = np.linspace(np.log(S2a) - 14, np.log(S2a) + 10, grid)
    te = np.linspace(np.log(S2e) - 8, np.log(S2e) + 6, grid)

    def logprior(t: np.ndarray, S: float) -> np.ndarray:  # scaled inv-χ² density × Jacobian of log grid
        x = np.exp(t)
        return (nu / 2) * np.log(nu * S / 2) - lgamma(nu / 2) - (nu / 2) * np.log(x) - nu * S / (2 * x)

    lp = logprior(ta, S2a)[:, None] + logprior(te, S2e)[None, :]
    A, E = np.exp(ta)[:, None, None], np.exp(te)[None, :, None]
    logpost, ks = [], []
    for delta in itertools.product([0, 1], repeat=p):
        inc = [j for j in range(p) if delta[j]]
        G = Z[:, inc] @ Z[:, inc].T if inc else np.zeros((n, n))
        d, U = np.linalg.eigh(G)
        yu, Wu = U.T @ y, U.T @ W
        v = E + A * np.clip(d, 0, None)[None, None, :]
        WVW = np.einsum("ic,abi,id->abcd", Wu, 1 / v, Wu)
        WVy = np.einsum("ic,abi,i->abc", Wu, 1 / v, yu)
        yPy = (yu**2 / v).sum(-1) - np.einsum("abc,abc->ab", WVy, np.linalg.solve(WVW, WVy[..., None])[..., 0])
        ll = -0.5 * (np.log(v).sum(-1) + np.linalg.slogdet(WVW)[1] + yPy) + lp
        mx = ll.max()
        logpost.append(lgamma(p - len(inc) + 1) + lgamma(len(inc) + 1) + mx + np.log(np.exp(ll - mx).sum()))
        ks.append(len(inc))
    w = np.exp(np.array(logpost) - max(logpost))
    return np.bincount(ks, weights=w / w.sum(), minlength=p + 1)


@pytest.fixture(scope="module")
def tiny(ph24):
    rng = np.random.default_rng(11)
    rows = rng.choice(ph24.n, 40, replace=False)
    X = ph24.X[np.ix_(rows, [10, 200, 400, 800, 1200, 1600])]
    Z = X - X.mean(0)
    y = 0.7 * Z[:, 2] + rng.standard_normal(40) + 3
    return Z, y, np.ones((40, 1)), _exact_k(Z, y, np.ones((40, 1)))


@pytest.mark.parametrize(
    "kw", [{}, {"block_moves": 2, "block_size": 3}, {"block_moves": 3, "block_size": 3, "single_site": False}]
)
def test_number_included_matches_enumeration(tiny, kw):
    """Gibbs alone, Gibbs + block moves, block moves alone: the same exact P(k | y) (total variation
    < 0.015 over 200,000 draws; dropping the Beta-binomial prior or the ½|I| log λ term of the
    acceptance ratio gives 0.09-0.40)."""
    Z, y, W, pk = tiny
    r = bayes_cpi(Z, y, W, iterations=200_000, burn_in=1000, thin=1, seed=3, **kw)
    emp = np.bincount(r.trace["n_in"], minlength=Z.shape[1] + 1) / len(r.trace)
    assert 0.5 * np.abs(emp - pk).sum() < 0.015
    if kw:
        assert 0.05 < r.accept_rate < 0.95


def test_overdispersed_starts_and_bad_start():
    st = overdispersed_starts(4, phenotypic_variance=2.0, sum_2pq=100.0)
    assert st[0].pi == pytest.approx(0.5) and st[-1].pi == pytest.approx(0.99)
    assert all(a.pi < b.pi for a, b in zip(st, st[1:], strict=False))
    assert st[0].sigma2_e == pytest.approx(0.2) and st[-1].sigma2_e == pytest.approx(1.8)
    with pytest.raises(AnalysisError, match=r"pi must be in \(0, 1\) \(got 1.0\)"):
        ChainStart(pi=1.0, sigma2_a=1.0, sigma2_e=1.0)


def test_ess_and_rhat_on_ar1():
    """AR(1) with ρ = 0.9: ESS ≈ N (1-ρ)/(1+ρ); chains shifted apart: split R-hat ≫ 1.01."""
    rng = np.random.default_rng(0)
    x = np.zeros((4, 4000))
    for c in range(4):
        eps = rng.standard_normal(4000)
        for t in range(1, 4000):
            x[c, t] = 0.9 * x[c, t - 1] + eps[t]
    assert 0.7 < ess_bulk(x) / (16000 * 0.1 / 1.9) < 1.3
    assert split_rhat(x) < 1.01
    assert split_rhat(x + np.arange(4)[:, None] * 3.0) > 1.1
