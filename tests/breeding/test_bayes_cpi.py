"""The compiled BayesCπ sampler on real MSUPRP pig genotypes with a simulated phenotype of known
QTL effects: it must recover the QTL, their genetic values and π, with converged chains."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.breeding.gs import bayes_cpi, gelman_rubin, geweke_z
from varkg.errors import AnalysisError

N_QTL, H2 = 5, 0.8


@pytest.fixture(scope="module")
def simulated(ph24):
    """Every 6th of the first 3,000 real markers (498 after QC), 5 QTL with effects ±(1-2), genetic
    variance scaled to h² = 0.8, the real fixed-effect design (sex, slaughter group, carcass weight)
    with random effects, N(0, 1 - h²) noise."""
    Z = ph24.X[:, ::6] - 2 * ph24.freq[::6]
    rng = np.random.default_rng(7)
    qtl = rng.choice(Z.shape[1], N_QTL, replace=False)
    a = rng.choice([-1.0, 1.0], N_QTL) * (1 + rng.random(N_QTL))
    g = Z[:, qtl] @ a
    scale = np.sqrt(H2 / np.var(g))
    g *= scale
    y = ph24.W @ (0.3 * rng.standard_normal(ph24.W.shape[1])) + g + np.sqrt(1 - H2) * rng.standard_normal(ph24.n)
    return Z, y, ph24.W, qtl, a * scale, g


@pytest.fixture(scope="module")
def chains(simulated):
    Z, y, W, *_ = simulated
    return [bayes_cpi(Z, y, W, iterations=4000, burn_in=1000, thin=5, seed=s) for s in (1, 2)]


def test_recovers_known_qtl(simulated, chains):
    Z, _, _, qtl, a, g = simulated
    pi_true = 1 - N_QTL / Z.shape[1]
    for c in chains:
        assert np.corrcoef(Z @ c.effects, g)[0, 1] > 0.95
        top = np.argsort(-np.abs(c.effects))[:N_QTL]
        assert len(set(top) & set(qtl)) >= 4
        # the effects of the recovered QTL have the simulated sign and size
        hit = [q for q in qtl if q in set(top)]
        np.testing.assert_allclose(c.effects[hit], a[np.isin(qtl, hit)], rtol=0.5)
        assert abs(float(c.trace["pi"].mean()) - pi_true) < 0.03
        assert c.trace["n_in"].median() < 6 * N_QTL
        assert 0.5 * (1 - H2) < float(c.trace["sigma2_e"].mean()) < 1.5 * (1 - H2)


def test_chains_converge(chains):
    assert len(chains[0].trace) == 600
    for par in ("sigma2_e", "sigma2_g", "pi"):
        tr = [c.trace[par].to_numpy() for c in chains]
        assert gelman_rubin(tr) < 1.1
        assert all(abs(geweke_z(t)) < 3 for t in tr)


def test_no_signal_gives_no_qtl(simulated):
    """The same genotypes with the phenotype permuted: π goes up, few markers in, no prediction."""
    Z, y, W, _, _, g = simulated
    yp = np.random.default_rng(3).permutation(y)
    c = bayes_cpi(Z, yp, W, iterations=2000, burn_in=500, thin=5, seed=1)
    assert abs(np.corrcoef(Z @ c.effects, g)[0, 1]) < 0.5
    assert float(c.trace["sigma2_g"].mean()) < 0.5 * float(np.var(yp))


def test_same_seed_same_chain(simulated):
    Z, y, W, *_ = simulated
    a, b, c = (bayes_cpi(Z, y, W, iterations=300, burn_in=100, thin=2, seed=s) for s in (5, 5, 6))
    np.testing.assert_array_equal(a.trace.to_numpy(), b.trace.to_numpy())
    np.testing.assert_array_equal(a.effects, b.effects)
    np.testing.assert_array_equal(a.b, b.b)
    assert not np.array_equal(a.trace["sigma2_e"].to_numpy(), c.trace["sigma2_e"].to_numpy())


def test_bad_arguments(simulated):
    Z, y, W, *_ = simulated
    with pytest.raises(AnalysisError, match="burn_in"):
        bayes_cpi(Z, y, W, iterations=100, burn_in=100)
    with pytest.raises(AnalysisError, match="thin"):
        bayes_cpi(Z, y, W, iterations=100, burn_in=10, thin=0)
    with pytest.raises(AnalysisError, match="must agree"):
        bayes_cpi(Z, y[:-1], W, iterations=100, burn_in=10)
