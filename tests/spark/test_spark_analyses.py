"""Hail LD, pruning, GWAS and Fst vs the single-machine path on real data: r² and Fst to 1e-9 on
the chr20 VCF (no missing calls), GWAS betas/p-values to 1e-6 on the MSUPRP pig markers (missing
calls mean-imputed on both sides)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.spark

REGION = (1_000_000, 1_400_000)  # a 400 kb slice of chr20 keeps the block matrix small


@pytest.fixture(scope="module")
def region(hl, kgp_mt, kgp_local):
    _, geno = kgp_local
    pos = geno.variants["pos"].to_numpy()
    a, b = np.searchsorted(pos, REGION[0]), np.searchsorted(pos, REGION[1])
    mt = kgp_mt.filter_rows((kgp_mt.pos >= REGION[0]) & (kgp_mt.pos < REGION[1]))
    return mt, geno.slice_variants(int(a), int(b))


@pytest.mark.parametrize("method", ["buckets", "blocks"])
def test_ld_windows_match_r2_matrix(region, method):
    from varkg.popgen.ld import ld_pairs as local_pairs
    from varkg.spark.ld import LD_COLUMNS, ld_pairs

    mt, geno = region
    lo = local_pairs(geno, kb=50, r2_min=0.2).set_index(["id_a", "id_b"])
    sp = ld_pairs(mt, kb=50, r2_min=0.2, method=method)
    assert list(sp.columns) == LD_COLUMNS and (sp["i"] < sp["j"]).all()
    sp = sp.set_index(["id_a", "id_b"])
    assert len(lo) > 1000
    edge = lambda t: set(t.index[(t["r2"] - 0.2).abs() > 1e-9])  # noqa: E731
    assert edge(lo) == edge(sp)
    both = lo.index.intersection(sp.index)
    np.testing.assert_allclose(sp.loc[both, "r2"].to_numpy(), lo.loc[both, "r2"].to_numpy(), rtol=0, atol=1e-9)


def test_ld_prune_leaves_no_pair_above_the_threshold(region):
    from varkg.popgen.ld import r2_matrix
    from varkg.spark.ld import ld_prune

    mt, geno = region
    kept = ld_prune(mt, r2=0.2, kb=50)
    ids = geno.variants["id"].to_numpy()
    idx = np.flatnonzero(np.isin(ids, kept))
    assert 50 < len(idx) < len(ids)
    d = geno.dosages()[:, idx]
    pos = geno.variants["pos"].to_numpy()[idx]
    r2 = r2_matrix(d, d)
    near = np.abs(pos[:, None] - pos[None, :]) <= 50_000
    np.fill_diagonal(near, False)
    assert np.nanmax(np.where(near, r2, 0.0)) < 0.2


def test_fst_matches_numpy(region):
    from varkg.popgen.fst import fst
    from varkg.spark.fst import hudson_fst

    mt, geno = region
    local = fst(geno, pop1="CEU", pop2="TSI", method="hudson")
    lo = local.per_variant.set_index("id")
    sp = hudson_fst(mt, populations=geno.samples, pop_a="CEU", pop_b="TSI").set_index("id").loc[lo.index]
    ok = np.isfinite(lo["fst"].to_numpy())  # the local path leaves uninformative variants NaN
    assert ok.sum() > 100
    for sc, lc in (("fst_num", "num"), ("fst_den", "den"), ("fst", "fst")):
        np.testing.assert_allclose(sp[sc].to_numpy()[ok], lo[lc].to_numpy()[ok], rtol=0, atol=1e-9)
    assert 0 < local.value < 0.05  # two European populations


def test_linear_gwas_matches_local_ols(pig_mt, pig_local, pig_pheno):
    from varkg.popgen.gwas import linear_gwas as local_gwas
    from varkg.spark.gwas import linear_gwas

    lo = local_gwas(pig_local, phenotype=pig_pheno["ph_24h"].to_numpy(), covariates=pig_pheno[["male", "car_wt"]].to_numpy())
    sp = linear_gwas(pig_mt, phenotype=pig_pheno, y="ph_24h", covariates=["male", "car_wt"]).set_index("id").loc[lo["id"]]
    assert (sp["n"].to_numpy() == lo["n"].to_numpy()).all() and lo["n"].iloc[0] > 100
    ok = np.isfinite(lo["beta"].to_numpy())
    assert ok.sum() > 15_000
    for col in ("beta", "se", "pvalue"):
        np.testing.assert_allclose(sp[col].to_numpy()[ok], lo[col].to_numpy()[ok], rtol=1e-6, atol=1e-6, err_msg=col)
