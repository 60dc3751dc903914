"""SMR and HEIDI: closed forms, the chi-square mixture tail, planted effects on real LD."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from varkg.causal.simulate import marginal_sumstats, sample_genotypes, simulate_trait
from varkg.causal.smr import psum_chisq, smr_heidi, smr_test
from varkg.errors import AnalysisError


def test_smr_statistic_closed_form() -> None:
    b, se, p = smr_test(0.5, 0.05, 0.1, 0.02)
    zx2, zy2 = 100.0, 25.0
    assert b == pytest.approx(0.2)
    assert p == pytest.approx(stats.chi2.sf(zx2 * zy2 / (zx2 + zy2), 1))
    # the delta-method SE gives exactly the SMR statistic: (b/se)^2 == T_SMR
    assert (b / se) ** 2 == pytest.approx(zx2 * zy2 / (zx2 + zy2))
    with pytest.raises(AnalysisError, match="se > 0"):
        smr_test(0.5, 0.0, 0.1, 0.02)


def test_chisq_mixture_tail() -> None:
    assert psum_chisq(3.841458820694124, np.array([1.0])) == pytest.approx(0.05, abs=1e-6)  # exact case
    lam = np.array([2.0, 1.0, 0.5, 0.25])
    rng = np.random.default_rng(0)
    sims = (rng.chisquare(1, size=(400_000, 4)) * lam).sum(1)
    for q in (2.0, 5.0, 10.0, 20.0):  # saddlepoint: a few per cent relative error
        mc = np.mean(sims > q)
        assert psum_chisq(q, lam) == pytest.approx(mc, rel=0.08, abs=2e-3)
    # equal weights: exactly chi-square with k df
    assert psum_chisq(12.0, np.ones(5)) == pytest.approx(stats.chi2.sf(12.0, 5), abs=1e-6)


@pytest.fixture(scope="module")
def samples(panel):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(21)
    return sample_genotypes(panel, 3000, seed=rng), sample_genotypes(panel, 5000, seed=rng), rng


def _smr_on(panel, ref_genotypes, exposure, outcome, **probe):  # type: ignore[no-untyped-def]
    """SMR/HEIDI of the marginal statistics of ``exposure`` and ``outcome`` (each ``(genotypes, trait)``)
    on the panel, with the reference genotypes for the LD."""
    return smr_heidi(
        marginal_sumstats(*exposure, panel),
        marginal_sumstats(*outcome, panel),
        genotypes=ref_genotypes,
        variant_ids=panel.snp,
        coded_alleles=panel.alt,
        **probe,
    )


def test_smr_recovers_planted_effect_and_heidi_accepts_pleiotropy(panel, ref_genotypes, ld, samples) -> None:  # type: ignore[no-untyped-def]
    Gx, Gy, rng = samples
    gamma = 0.4
    c = int(np.argmax((ld**2 > 0.5).sum(0)))  # a causal variant with many LD partners
    ex = simulate_trait(Gx, {c: 0.3}, seed=rng)
    ey = simulate_trait(Gy, {c: 0.3}, seed=rng)
    y = simulate_trait(Gy, {}, extra=gamma * ey, seed=rng)
    res = _smr_on(panel, ref_genotypes, (Gx, ex), (Gy, y), probe_chrom="20", probe_pos=int(panel.pos[c]))
    assert res.ci_low < gamma < res.ci_high
    assert res.p_smr < 1e-6
    assert 3 <= res.n_heidi <= 20
    assert res.p_heidi > 0.05


def test_heidi_rejects_linkage(panel, ref_genotypes, ld, samples) -> None:  # type: ignore[no-untyped-def]
    Gx, Gy, rng = samples
    pairs = np.argwhere(np.triu((ld**2 > 0.3) & (ld**2 < 0.5), 1))
    a, b = pairs[len(pairs) // 2]
    ex = simulate_trait(Gx, {a: 0.3}, seed=rng)
    y = simulate_trait(Gy, {b: 0.2}, seed=rng)
    res = _smr_on(panel, ref_genotypes, (Gx, ex), (Gy, y))
    assert res.p_smr < 1e-4  # SMR alone is fooled by LD
    assert res.p_heidi < 0.01  # HEIDI sees two causal variants


def test_smr_input_errors(panel, samples) -> None:  # type: ignore[no-untyped-def]
    Gx, Gy, rng = samples
    weak = marginal_sumstats(Gx[:200], simulate_trait(Gx[:200], {}, seed=rng), panel)
    with pytest.raises(AnalysisError, match="not below p_smr"):
        smr_heidi(weak, weak, heidi=False)
    strong = marginal_sumstats(Gx, simulate_trait(Gx, {5: 0.5}, seed=rng), panel)
    with pytest.raises(AnalysisError, match="HEIDI needs LD"):
        smr_heidi(strong, strong)
    with pytest.raises(AnalysisError, match="within ±2000000 bp"):
        smr_heidi(strong, strong, probe_chrom="20", probe_pos=50_000_000, heidi=False)
    ld_df = pd.DataFrame(np.eye(3), index=strong["snp"][:3], columns=strong["snp"][:3])
    with pytest.raises(AnalysisError, match="not in the LD matrix"):
        smr_heidi(strong, strong, ld=ld_df)
