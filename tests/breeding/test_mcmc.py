"""Split R-hat and bulk ESS (varkg.breeding.mcmc) against ArviZ's ``rhat(method="rank")`` and
``ess(method="bulk")`` (the reference implementation of Vehtari et al. 2021) on AR(1) chains and on
real BayesCπ chains of the pig pH 24 h data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from varkg.breeding.mcmc import ess_bulk, split_rhat

with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    az = pytest.importorskip("arviz")


def _ar1(rng: np.random.Generator, chains: int, n: int, rho: float) -> np.ndarray:
    x = np.zeros((chains, n))
    for c in range(chains):
        e = rng.standard_normal(n)
        for t in range(1, n):
            x[c, t] = rho * x[c, t - 1] + e[t]
    return x


@pytest.mark.parametrize(("shift", "n"), [(0.0, 1000), (0.0, 1001), (0.3, 800), (3.0, 600), (0.0, 9), (0.0, 8)])
def test_matches_arviz_on_skewed_ar1(shift, n):
    x = np.exp(_ar1(np.random.default_rng(int(10 * shift) + n), 4, n, 0.9) / 3 + np.arange(4)[:, None] * shift)
    assert split_rhat(x) == pytest.approx(float(az.rhat(x, method="rank")), rel=1e-10)
    assert ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-9)


def test_matches_arviz_on_bayescpi_chains(ph24):
    from varkg.breeding.gs import bayes_convergence

    rep = bayes_convergence(ph24, chains=3, iterations=900, burn_in=300, thin=3, block_moves=20)
    for row in rep.table.itertuples():
        draws = np.array([c.trace[row.parameter].to_numpy() for c in rep.chains])
        assert row.split_rhat == pytest.approx(float(az.rhat(draws, method="rank")), rel=1e-9), row.parameter
        assert row.ess_bulk == pytest.approx(float(az.ess(draws, method="bulk")), rel=1e-9), row.parameter
