"""Pairwise LD against Debian's plink1.9 --r2 on the real chr20 1000 Genomes VCF and the pig markers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from varkg.popgen.genotypes import GenotypeMatrix
from varkg.popgen.ld import LdWindow, dprime_ci, genotype_counts, ld_pairs, r2_matrix


def _compare(ours: pd.DataFrame, plink_ld, column: str = "r2"):
    p = pd.read_csv(plink_ld, sep=r"\s+")
    m = ours.merge(p, left_on=["id_a", "id_b"], right_on=["SNP_A", "SNP_B"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m["_merge"].value_counts().to_dict()
    return float(np.max(np.abs(m[column] - m["R2"])))


@pytest.fixture(scope="module")
def kgp_sub(kgp, tmp_path_factory):
    g = kgp.slice_variants(0, 1500)
    prefix = tmp_path_factory.mktemp("kgp_plink") / "kgp"
    g.to_plink(prefix)
    return g, prefix


def test_r2_matches_plink_on_chr20(kgp_sub, run_plink):
    g, prefix = kgp_sub
    run_plink(
        "--bfile",
        str(prefix),
        "--r2",
        "--ld-window-kb",
        "100",
        "--ld-window",
        "99999",
        "--ld-window-r2",
        "0",
        "--out",
        str(prefix),
    )
    ours = ld_pairs(g, window=LdWindow(kb=100, r2_min=0.0))
    assert len(ours) > 200_000
    assert _compare(ours.assign(id_a=ours["id_a"], id_b=ours["id_b"]).pipe(_names, g), f"{prefix}.ld") < 1e-4


def _names(t: pd.DataFrame, g: GenotypeMatrix) -> pd.DataFrame:
    """Our ids are graph keys; the .bim names are the same strings (to_plink writes ``name``)."""
    name = dict(zip(g.variants["id"], g.variants["name"], strict=True))
    return t.assign(id_a=t["id_a"].map(name), id_b=t["id_b"].map(name))


def test_dprime_and_haplotype_r2_match_plink_dprime(kgp_sub, run_plink):
    g, prefix = kgp_sub
    g = g.slice_variants(0, 600)
    run_plink(
        "--bfile",
        str(prefix),
        "--r2",
        "dprime",
        "--ld-window-kb",
        "50",
        "--ld-window",
        "99999",
        "--ld-window-r2",
        "0.1",
        "--out",
        f"{prefix}_dp",
    )
    ours = _names(ld_pairs(g, window=LdWindow(kb=50, r2_min=0.0), dprime=True), g)
    p = pd.read_csv(f"{prefix}_dp.ld", sep=r"\s+")
    p = p[p["BP_B"] <= g.variants["pos"].iloc[-1]]
    m = p.merge(ours, left_on=["SNP_A", "SNP_B"], right_on=["id_a", "id_b"], how="left")
    assert len(m) > 1000 and m["dprime"].notna().all()
    assert np.max(np.abs(m["r2_haplotype"] - m["R2"])) < 1e-4  # PLINK's --r2 dprime reports haplotype r²
    assert np.max(np.abs(m["dprime"] - m["DP"])) < 1e-4


def test_r2_matches_plink_on_pig_markers(pig_founders, run_plink, tmp_path):
    g = pig_founders.slice_variants(0, 3387)  # chromosomes 1 and 2
    g.to_plink(tmp_path / "pig")
    run_plink(
        "--bfile",
        str(tmp_path / "pig"),
        "--r2",
        "--ld-window-kb",
        "1000",
        "--ld-window",
        "99999",
        "--ld-window-r2",
        "0",
        "--out",
        str(tmp_path / "pig"),
    )
    ours = ld_pairs(g, window=LdWindow(kb=1000, r2_min=0.0))
    assert set(ours["chrom"]) == {"1", "2"}
    assert _compare(ours, tmp_path / "pig.ld") < 1e-4


def test_window_limits_and_threshold(pig):
    g = pig.slice_variants(0, 400)
    t = ld_pairs(g, window=LdWindow(kb=500, variants=5, r2_min=0.3))
    assert (t["j"] - t["i"]).max() <= 5 and (t["pos_b"] - t["pos_a"]).max() <= 500_000
    assert t["r2"].min() >= 0.3


def test_dprime_ci_brackets_the_estimate(kgp):
    g = kgp.slice_variants(0, 400)
    t = ld_pairs(g, window=LdWindow(kb=20, r2_min=0.05), dprime=True, ci=True)
    ok = t["dprime_low"].notna()
    assert ok.mean() > 0.95
    assert (t.loc[ok, "dprime_low"] <= t.loc[ok, "dprime_high"]).all()
    assert (
        (t.loc[ok, "dprime"] >= t.loc[ok, "dprime_low"] - 0.01) & (t.loc[ok, "dprime"] <= t.loc[ok, "dprime_high"] + 0.01)
    ).mean() > 0.99


def test_perfect_ld_interval():
    # 50 AA/BB, 50 aa/bb, no recombinant: D' = 1 with a tight interval
    x = np.array([[2] * 50 + [0] * 50], dtype=np.int8).T
    c = genotype_counts(x, x)
    ci = dprime_ci(c[0])
    assert ci.high_i[0] == 100 and ci.low_i[0] >= 90


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.3))
def test_r2_is_symmetric_and_bounded(seed, missing):
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 3, size=(40, 6)).astype(np.int8)
    d[rng.random(d.shape) < missing] = -1
    r = r2_matrix(d, d)
    fin = np.isfinite(r)
    assert np.allclose(r[fin], r.T[fin])
    assert ((r[fin] >= 0) & (r[fin] <= 1 + 1e-12)).all()


def test_band_scan_matches_dense_r2_with_and_without_missing(pig):
    g = pig.slice_variants(0, 600)
    d = g.dosages().copy()
    rng = np.random.default_rng(7)
    for label, dd in (("complete", d), ("missing", np.where(rng.random(d.shape) < 0.05, -1, d).astype(np.int8))):
        m = GenotypeMatrix.from_arrays(
            dd, chrom=["1"] * dd.shape[1], pos=g.variants["pos"].tolist(), samples=g.samples["sample"].tolist()
        )
        for chunk in (None, 37):
            t = ld_pairs(m, window=LdWindow(kb=2000, r2_min=0.0), chunk=chunk)
            dense = r2_matrix(dd, dd)[t["i"], t["j"]]
            assert len(t) > 1000, label
            assert np.max(np.abs(t["r2"].to_numpy() - dense)) < 1e-9, label
