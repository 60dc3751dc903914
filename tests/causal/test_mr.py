"""Mendelian randomisation: closed forms on a worked example, harmonisation, planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from varkg.causal.harmonise import harmonise
from varkg.causal.ld import ld_clump
from varkg.causal.mr import (
    cochran_q,
    ivw,
    ivw_grouped,
    mendelian_randomisation,
    mr_egger,
    run_mr,
    wald_ratio,
    weighted_median,
)
from varkg.causal.simulate import marginal_sumstats, pick_low_ld, sample_genotypes, simulate_trait
from varkg.errors import AnalysisError

# a small worked example: 5 instruments
BX = np.array([0.12, 0.25, -0.18, 0.30, 0.08])
SX = np.array([0.01, 0.02, 0.015, 0.02, 0.01])
BY = np.array([0.030, 0.070, -0.040, 0.095, 0.015])
SY = np.array([0.010, 0.012, 0.011, 0.015, 0.009])


def test_ivw_is_weighted_regression_through_origin() -> None:
    w = 1 / SY**2
    # WLS through the origin via lstsq on sqrt-weighted data
    coef, res, *_ = np.linalg.lstsq((BX * np.sqrt(w))[:, None], BY * np.sqrt(w), rcond=None)
    k = len(BX)
    sigma = np.sqrt(res[0] / (k - 1))
    se_unit = 1 / np.sqrt(np.sum(w * BX**2))
    fe = ivw(BX, BY, SY, model="fixed")
    re = ivw(BX, BY, SY, model="random")
    assert fe.estimate == pytest.approx(coef[0], rel=1e-12)
    assert fe.se == pytest.approx(se_unit, rel=1e-12)
    assert re.se == pytest.approx(se_unit * max(1.0, sigma), rel=1e-12)
    # IVW is also the inverse-variance weighted mean of the ratio estimates (first-order weights)
    ratio, vr = BY / BX, (SY / np.abs(BX)) ** 2
    assert fe.estimate == pytest.approx(np.sum(ratio / vr) / np.sum(1 / vr), rel=1e-12)
    assert fe.p == pytest.approx(2 * stats.norm.sf(abs(coef[0] / se_unit)))


def test_cochran_q_and_i2() -> None:
    est = ivw(BX, BY, SY).estimate
    ratio, vr = BY / BX, (SY / np.abs(BX)) ** 2
    q_ref = np.sum((ratio - est) ** 2 / vr)
    q, df, p, i2 = cochran_q(BX, BY, SY, estimate=est)
    assert q == pytest.approx(q_ref, rel=1e-10)
    assert df == 4
    assert p == pytest.approx(stats.chi2.sf(q_ref, 4))
    assert i2 == pytest.approx(max(0.0, (q_ref - 4) / q_ref))


def test_egger_is_weighted_regression_with_intercept() -> None:
    s = np.sign(BX)
    bx, by = BX * s, BY * s
    w = 1 / SY**2
    A = np.column_stack([np.ones(5), bx])
    cov_unit = np.linalg.inv(A.T @ (A * w[:, None]))
    coef = cov_unit @ A.T @ (w * by)
    rss = np.sum(w * (by - A @ coef) ** 2)
    sigma = np.sqrt(rss / 3)
    r = mr_egger(BX, BY, SY)
    assert r.estimate == pytest.approx(coef[1], rel=1e-10)
    assert r.intercept == pytest.approx(coef[0], abs=1e-12)
    assert r.se == pytest.approx(np.sqrt(cov_unit[1, 1]) * max(1, sigma), rel=1e-10)
    assert r.intercept_p == pytest.approx(2 * stats.t.sf(abs(coef[0]) / (np.sqrt(cov_unit[0, 0]) * max(1, sigma)), 3))
    assert r.q == pytest.approx(rss) and r.q_df == 3


def test_weighted_median_by_hand() -> None:
    # ratio estimates 1, 2, 3 with weights 1, 1, 2: cumulative midpoints 1/8, 3/8, 3/4 -> interpolate 2..3
    bx = np.array([1.0, 1.0, 1.0])
    by = np.array([1.0, 2.0, 3.0])
    sy = np.array([1.0, 1.0, 1 / np.sqrt(2)])
    r = weighted_median(bx, by, sy, np.full(3, 0.01), n_boot=200)
    assert r.estimate == pytest.approx(2 + (0.5 - 3 / 8) / (3 / 4 - 3 / 8))
    assert r.se > 0 and r.n_instruments == 3


def test_wald_ratio_and_single_instrument() -> None:
    r = wald_ratio(0.2, 0.05, 0.01)
    assert r.estimate == pytest.approx(0.25) and r.se == pytest.approx(0.05)
    r2 = wald_ratio(0.2, 0.05, 0.01, sx=0.02, order=2)
    assert r2.se == pytest.approx(np.sqrt(0.01**2 / 0.04 + 0.05**2 * 0.02**2 / 0.2**4))
    t = pd.DataFrame(dict(beta_exposure=[0.2], se_exposure=[0.02], beta_outcome=[0.05], se_outcome=[0.01]))
    (only,) = mendelian_randomisation(t)
    assert only.method == "wald_ratio"


def test_estimator_input_errors() -> None:
    with pytest.raises(AnalysisError, match="'sy' must be > 0"):
        ivw(BX, BY, np.array([0.01, 0.0, 0.01, 0.01, 0.01]))
    with pytest.raises(AnalysisError, match="at least 3"):
        mr_egger(BX[:2], BY[:2], SY[:2])
    with pytest.raises(AnalysisError, match="differ in length"):
        ivw(BX, BY[:3], SY)
    with pytest.raises(AnalysisError, match="unknown MR method"):
        mendelian_randomisation(
            pd.DataFrame(dict(beta_exposure=BX, se_exposure=SX, beta_outcome=BY, se_outcome=SY)), methods=["mr_magic"]
        )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=5, max_size=5))
def test_ivw_and_egger_invariant_to_allele_coding(flips: list[bool]) -> None:
    s = np.where(flips, -1.0, 1.0)
    a, b = ivw(BX, BY, SY), ivw(BX * s, BY * s, SY)
    assert b.estimate == pytest.approx(a.estimate) and b.se == pytest.approx(a.se)
    assert mr_egger(BX * s, BY * s, SY).estimate == pytest.approx(mr_egger(BX, BY, SY).estimate)


def test_ivw_grouped_matches_per_exposure() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for g in range(30):
        k = int(rng.integers(1, 6))
        bx = rng.normal(0.3, 0.1, k)
        rows.append(
            pd.DataFrame(
                dict(
                    exposure=f"G{g:02d}",
                    beta_exposure=bx,
                    beta_outcome=0.2 * bx + rng.normal(0, 0.01, k),
                    se_outcome=rng.uniform(0.005, 0.02, k),
                )
            )
        )
    t = pd.concat(rows, ignore_index=True)
    out = ivw_grouped(t).set_index("exposure")
    for g, sub in t.groupby("exposure"):
        r = (
            ivw(sub["beta_exposure"], sub["beta_outcome"], sub["se_outcome"])
            if len(sub) > 1
            else wald_ratio(sub["beta_exposure"].iat[0], sub["beta_outcome"].iat[0], sub["se_outcome"].iat[0])
        )
        assert out.loc[g, "estimate"] == pytest.approx(r.estimate, rel=1e-9)
        assert out.loc[g, "se"] == pytest.approx(r.se, rel=1e-9)
        assert out.loc[g, "method"] == r.method


# ---------------------------------------------------------------- harmonisation and bad input


def _ss(snp, ea, oa, beta, se=0.01, **kw):  # type: ignore[no-untyped-def]
    return pd.DataFrame(dict(snp=snp, effect_allele=ea, other_allele=oa, beta=beta, se=se, **kw))


def test_harmonise_flip_strand_and_palindromes() -> None:
    exp = _ss(
        ["a", "b", "c", "d", "e", "f"],
        ["A", "A", "A", "A", "C", "A"],
        ["G", "G", "G", "T", "G", "T"],
        [0.1] * 6,
        eaf=[0.3, 0.3, 0.3, 0.2, 0.45, 0.2],
    )
    out = _ss(
        ["a", "b", "c", "d", "e", "f"],
        ["A", "G", "T", "A", "C", "T"],
        ["G", "A", "C", "T", "G", "A"],
        [0.05] * 6,
        eaf=[0.3, 0.7, 0.3, 0.8, 0.45, 0.8],
    )
    h = harmonise(exp, out)
    t = h.table.set_index("snp")
    assert t.loc["a", "action"] == "keep" and t.loc["a", "beta_outcome"] == 0.05
    assert t.loc["b", "action"] == "flip" and t.loc["b", "beta_outcome"] == -0.05
    assert t.loc["b", "eaf_outcome"] == pytest.approx(0.3)
    assert t.loc["c", "action"] == "strand" and t.loc["c", "beta_outcome"] == 0.05
    # d: A/T, outcome says A with freq 0.8 while exposure A is 0.2: other strand -> flip
    assert t.loc["d", "action"] == "palindromic_flip" and t.loc["d", "beta_outcome"] == -0.05
    # f: A/T, outcome says T with freq 0.8, so its A is 0.2 like the exposure: same strand, alleles swapped
    assert t.loc["f", "beta_outcome"] == -0.05
    assert h.dropped.set_index("snp").loc["e", "reason"] == "palindromic_ambiguous"
    h2 = harmonise(exp, out, palindromic="drop")
    assert set(h2.dropped["snp"]) == {"d", "e", "f"}


def test_harmonise_bad_input() -> None:
    exp = _ss(["a", "b"], ["A", "C"], ["G", "T"], [0.1, 0.2])
    with pytest.raises(AnalysisError, match=r"match on neither strand.*b exposure C/T vs outcome A/C"):
        harmonise(exp, _ss(["a", "b"], ["A", "A"], ["G", "C"], [0.1, 0.2]))
    h = harmonise(exp, _ss(["a", "b"], ["A", "A"], ["G", "C"], [0.1, 0.2]), on_mismatch="drop")
    assert h.dropped.values.tolist() == [["b", "allele_mismatch"]]
    with pytest.raises(AnalysisError, match=r"se\.is_positive.*snp 'b' se=0"):
        harmonise(_ss(["a", "b"], ["A", "C"], ["G", "T"], [0.1, 0.2], se=[0.01, 0.0]), exp)
    with pytest.raises(AnalysisError, match=r"se\.is_positive.*se=-0\.1"):
        harmonise(exp, _ss(["a", "b"], ["A", "C"], ["G", "T"], [0.1, 0.2], se=[-0.1, 0.01]))
    with pytest.raises(AnalysisError, match=r"snp\.is_unique.*\['a'\]"):
        harmonise(_ss(["a", "a"], ["A", "A"], ["G", "G"], [0.1, 0.2]), exp)
    with pytest.raises(AnalysisError, match="missing column"):
        harmonise(exp.drop(columns="se"), exp)
    with pytest.raises(AnalysisError, match="share no variant"):
        harmonise(exp, _ss(["x"], ["A"], ["G"], [0.1]))


# ---------------------------------------------------------------- planted effect on real LD


def test_planted_effect_recovered_on_real_ld(panel, ld, ref_genotypes) -> None:  # type: ignore[no-untyped-def]
    """Expression has 4 causal eQTLs in low LD; the trait = 0.4 × expression + noise."""
    gamma = 0.4
    causal = pick_low_ld(ld, 4, seed=1)
    rng = np.random.default_rng(7)
    Gx = sample_genotypes(panel, 3000, seed=rng)
    Gy = sample_genotypes(panel, 5000, seed=rng)
    eff = {j: 0.3 for j in causal}
    expr_x = simulate_trait(Gx, eff, seed=rng)
    expr_y = simulate_trait(Gy, eff, seed=rng)
    trait = simulate_trait(Gy, {}, extra=gamma * expr_y, seed=rng)
    exposure = marginal_sumstats(Gx, expr_x, panel)
    outcome = marginal_sumstats(Gy, trait, panel)
    results, h = run_mr(exposure, outcome, genotypes=ref_genotypes, variant_ids=panel.snp, clump_r2=0.01)
    assert set(h.table["snp"]) == {panel.snp[j] for j in causal}
    by = {r.method: r for r in results}
    assert set(by) == {"mr_ivw", "mr_ivw_fe", "mr_egger", "mr_weighted_median"}
    for m in ("mr_ivw", "mr_weighted_median"):
        assert by[m].ci_low < gamma < by[m].ci_high, (m, by[m])
        assert by[m].p < 1e-6
    assert by["mr_egger"].intercept_p > 0.01
    # a null exposure (no causal link): IVW is not significant
    null_trait = simulate_trait(Gy, {}, seed=rng)
    res0, _ = run_mr(
        exposure, marginal_sumstats(Gy, null_trait, panel), genotypes=ref_genotypes, variant_ids=panel.snp, clump_r2=0.01
    )
    assert {r.method: r for r in res0}["mr_ivw"].ci_low < 0 < {r.method: r for r in res0}["mr_ivw"].ci_high


def test_clumping_keeps_lead_and_drops_ld_partners(panel, ld, ref_genotypes) -> None:  # type: ignore[no-untyped-def]
    i, j = np.argwhere(np.triu(ld**2 > 0.8, 1))[0]
    t = pd.DataFrame(
        dict(snp=[panel.snp[i], panel.snp[j]], p=[1e-10, 1e-9], chrom=["20", "20"], pos=[panel.pos[i], panel.pos[j]])
    )
    kept = ld_clump(t, genotypes=ref_genotypes, variant_ids=panel.snp, r2=0.5)
    assert kept["snp"].tolist() == [panel.snp[i]]
    kept_far = ld_clump(t, genotypes=ref_genotypes, variant_ids=panel.snp, r2=0.5, window_bp=0)
    assert len(kept_far) == (2 if panel.pos[i] != panel.pos[j] else 1)
    with pytest.raises(AnalysisError, match="not in the LD reference"):
        ld_clump(pd.DataFrame(dict(snp=["nope"], p=[1e-9])), genotypes=ref_genotypes, variant_ids=panel.snp)


def test_no_instrument_is_a_clear_error() -> None:
    exp = _ss(["a", "b"], ["A", "C"], ["G", "T"], [0.01, 0.02], se=0.01)
    with pytest.raises(AnalysisError, match=r"no exposure variant has p < 5e-08"):
        run_mr(exp, exp)
