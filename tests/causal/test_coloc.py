"""coloc.abf: closed forms, equivalences, and planted shared/distinct causal variants on real LD."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from varkg.causal.coloc import coloc_abf, coloc_from_labf, coloc_grouped, log_abf
from varkg.causal.simulate import marginal_sumstats, pick_low_ld, sample_genotypes, simulate_trait
from varkg.errors import AnalysisError


def test_single_snp_closed_form() -> None:
    # one SNP: H3 is impossible; H4 ∝ p12·ABF1·ABF2
    l1, l2 = np.array([3.0]), np.array([2.0])
    r = coloc_from_labf(l1, l2)
    w = np.array([1.0, 1e-4 * math.e**3, 1e-4 * math.e**2, 0.0, 1e-5 * math.e**5])
    assert [r.pp_h0, r.pp_h1, r.pp_h2, r.pp_h3, r.pp_h4] == pytest.approx(list(w / w.sum()))


def test_wakefield_abf_formula() -> None:
    beta, se = np.array([0.2]), np.array([0.05])
    W, V = 0.15, 0.0025
    r = W**2 / (W**2 + V)
    assert log_abf(beta=beta, se=se)[0] == pytest.approx(0.5 * (math.log(1 - r) + r * 16.0))
    # from p, maf, n with sd_y = 1: the same z and V give the same ABF
    maf, n = 0.3, 1 / (2 * 0.3 * 0.7 * V)
    p = 2 * (1 - __import__("scipy").stats.norm.cdf(4.0))
    assert log_abf(p=np.array([p]), maf=np.array([maf]), n=n)[0] == pytest.approx(log_abf(beta=beta, se=se)[0], rel=1e-6)


def test_grouped_equals_per_locus() -> None:
    rng = np.random.default_rng(2)
    t = pd.DataFrame(
        dict(
            locus=np.repeat([f"L{i}" for i in range(12)], 25),
            snp=np.tile([f"s{j}" for j in range(25)], 12),
            beta1=rng.normal(0, 0.05, 300),
            se1=0.02,
            beta2=rng.normal(0, 0.05, 300),
            se2=0.03,
        )
    )
    t.loc[t.snp == "s7", ["beta1", "beta2"]] = [0.2, 0.25]
    g = coloc_grouped(t).set_index("locus")
    for loc, sub in t.groupby("locus"):
        r = coloc_abf(
            sub.rename(columns={"beta1": "beta", "se1": "se"})[["snp", "beta", "se"]],
            sub.rename(columns={"beta2": "beta", "se2": "se"})[["snp", "beta", "se"]],
        )
        assert g.loc[loc, ["pp_h0", "pp_h1", "pp_h2", "pp_h3", "pp_h4"]].to_numpy(float) == pytest.approx(
            [r.pp_h0, r.pp_h1, r.pp_h2, r.pp_h3, r.pp_h4], abs=1e-12
        )
        assert r.pp_h4 > 0.8 and r.top_snp == "s7"


def test_bad_input() -> None:
    t = pd.DataFrame(dict(snp=["a", "b"], beta=[0.1, 0.2], se=[0.01, -0.01]))
    with pytest.raises(AnalysisError, match=r"trait1: se must be > 0 \(got -0.01 at index 1\)"):
        coloc_abf(t, t.assign(se=0.01))
    with pytest.raises(AnalysisError, match="duplicated snp"):
        coloc_abf(pd.concat([t, t]), t)
    with pytest.raises(AnalysisError, match="share no variants"):
        coloc_abf(t.assign(se=0.01), t.assign(snp=["x", "y"], se=0.01))
    with pytest.raises(AnalysisError, match="case fraction"):
        log_abf(p=np.array([0.01]), maf=np.array([0.2]), n=1000, kind="cc")


@pytest.fixture(scope="module")
def sims(panel, ld):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(31)
    G1, G2 = sample_genotypes(panel, 2000, seed=rng), sample_genotypes(panel, 4000, seed=rng)
    a, b = pick_low_ld(ld, 2, max_r2=0.01, seed=4)
    return G1, G2, a, b, rng


def test_shared_causal_variant_gives_h4(panel, sims) -> None:  # type: ignore[no-untyped-def]
    G1, G2, a, _, rng = sims
    t1 = marginal_sumstats(G1, simulate_trait(G1, {a: 0.25}, seed=rng), panel)
    t2 = marginal_sumstats(G2, simulate_trait(G2, {a: 0.15}, seed=rng), panel)
    r = coloc_abf(t1, t2)
    assert r.pp_h4 > 0.8
    assert r.n_snps == len(panel.snp)
    assert sum([r.pp_h0, r.pp_h1, r.pp_h2, r.pp_h3, r.pp_h4]) == pytest.approx(1.0)


def test_distinct_causal_variants_give_h3(panel, ld, sims) -> None:  # type: ignore[no-untyped-def]
    G1, G2, a, b, rng = sims
    assert ld[a, b] ** 2 < 0.01
    t1 = marginal_sumstats(G1, simulate_trait(G1, {a: 0.25}, seed=rng), panel)
    t2 = marginal_sumstats(G2, simulate_trait(G2, {b: 0.15}, seed=rng), panel)
    r = coloc_abf(t1, t2)
    assert r.pp_h3 == max(r.pp_h0, r.pp_h1, r.pp_h2, r.pp_h3, r.pp_h4)
    assert r.pp_h3 > 0.8
