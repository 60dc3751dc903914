"""Fst on the real chr20 1000 Genomes VCF, FIN vs IBS: scikit-allel (per variant and the block
jackknife) and Debian's plink2 ``--fst`` (per variant and genome-wide) as independent oracles."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from varkg.errors import AnalysisError
from varkg.popgen.fst import fst, population_frequencies
from varkg.popgen.genotypes import GenotypeMatrix

KGP = "variants/kgp_chr20_1-4Mb_reference.vcf.gz"
PANEL = "variants/1000G_phase3_integrated_call_samples.panel"

allel = pytest.importorskip("allel")


def _counts(g: GenotypeMatrix, pop: str) -> np.ndarray:
    d = g.select_samples(population=pop).dosages()
    ok = d >= 0
    alt = np.where(ok, d, 0).sum(axis=0)
    return np.stack([2 * ok.sum(axis=0) - alt, alt], axis=1)


def _genotype_array(g: GenotypeMatrix):
    d = g.dosages().T
    return allel.GenotypeArray(np.stack([np.where(d < 0, -1, d >= 1), np.where(d < 0, -1, d >= 2)], axis=2).astype(np.int8))


def test_frequencies_per_population(kgp):
    t = population_frequencies(kgp, ["FIN", "IBS"])
    assert list(t.columns) == ["id", "chrom", "pos", "freq_FIN", "n_FIN", "freq_IBS", "n_IBS"]
    assert (t["n_FIN"] == 2 * 99).all() and (t["n_IBS"] == 2 * 107).all()
    c = _counts(kgp, "FIN")
    np.testing.assert_allclose(t["freq_FIN"], c[:, 1] / c.sum(axis=1))
    assert np.abs(t["freq_FIN"] - t["freq_IBS"]).max() > 0.25  # FIN and IBS do differ somewhere (max 0.294 here)


def test_hudson_matches_scikit_allel(kgp):
    r = fst(kgp, pop1="FIN", pop2="IBS", method="hudson", blen=100)
    num, den = allel.hudson_fst(_counts(kgp, "FIN"), _counts(kgp, "IBS"))
    ok = den > 0
    np.testing.assert_allclose(r.per_variant["fst"].to_numpy()[ok], num[ok] / den[ok], atol=1e-9, rtol=0)
    assert r.per_variant["fst"][~ok].isna().all() and r.n_uninformative == int((~ok).sum()) > 0
    value, se, *_ = allel.average_hudson_fst(_counts(kgp, "FIN"), _counts(kgp, "IBS"), 100)
    assert r.value == pytest.approx(value, abs=1e-12) and r.se == pytest.approx(se, rel=1e-9)


def test_weir_cockerham_matches_scikit_allel(kgp):
    r = fst(kgp, pop1="FIN", pop2="IBS", method="wc", blen=100)
    pops = kgp.samples["population"].to_numpy()
    sub = [list(np.flatnonzero(pops == "FIN")), list(np.flatnonzero(pops == "IBS"))]
    a, b, c = allel.weir_cockerham_fst(_genotype_array(kgp), sub, max_allele=1)
    with np.errstate(invalid="ignore"):
        theirs = a.sum(axis=1) / (a.sum(axis=1) + b.sum(axis=1) + c.sum(axis=1))
    np.testing.assert_allclose(r.per_variant["fst"], theirs, atol=1e-9, rtol=0, equal_nan=True)
    value, se, *_ = allel.average_weir_cockerham_fst(_genotype_array(kgp), sub, 100, max_allele=1)
    assert r.value == pytest.approx(value, abs=1e-12) and r.se == pytest.approx(se, rel=1e-9)


@pytest.mark.parametrize(("method", "column"), [("hudson", "HUDSON_FST"), ("wc", "WC_FST")])
def test_matches_plink2_fst(kgp, shared_data, tmp_path, method, column):
    exe = shutil.which("plink2")
    if exe is None:
        pytest.skip("plink2 is not installed (apt-get install -y plink2)")
    panel = pd.read_csv(shared_data / PANEL, sep="\t")
    pop = panel[panel["pop"].isin(["FIN", "IBS"])][["sample", "pop"]]
    pop.columns = ["#IID", "POP"]
    pop.to_csv(tmp_path / "pop.txt", sep="\t", index=False)
    args = ["--vcf", str(shared_data / KGP), "--keep", str(tmp_path / "pop.txt"), "--pheno", str(tmp_path / "pop.txt")]
    out = tmp_path / method
    subprocess.run(
        [exe, "--threads", "1", *args, "--fst", "POP", f"method={method}", "report-variants", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    summary = pd.read_csv(f"{out}.fst.summary", sep="\t")
    per = pd.read_csv(f"{out}.FIN.IBS.fst.var", sep="\t")
    r = fst(kgp, pop1="FIN", pop2="IBS", method=method)
    assert r.value == pytest.approx(float(summary[column].iloc[0]), abs=1e-6)  # plink prints 6 digits
    ours = r.per_variant.drop_duplicates("pos", keep=False)
    m = ours.merge(per.drop_duplicates("POS", keep=False), left_on="pos", right_on="POS")
    assert len(m) > 24_000
    assert (m["fst"].isna() == m[column].isna()).all()
    np.testing.assert_allclose(m["fst"], m[column], atol=1e-6, equal_nan=True)


def test_windowed_is_ratio_of_sums(kgp):
    r = fst(kgp, pop1="FIN", pop2="IBS", window=100_000)
    w = r.windows.iloc[3]
    t = r.per_variant
    sel = (t["pos"] >= w["start"]) & (t["pos"] <= w["stop"]) & t["fst"].notna()
    assert w["n_variants"] == sel.sum() > 0
    assert w["fst"] == pytest.approx(t["num"][sel].sum() / t["den"][sel].sum())
    allel_w, _, counts = allel.windowed_hudson_fst(
        kgp.variants["pos"].to_numpy(), _counts(kgp, "FIN"), _counts(kgp, "IBS"), size=100_000
    )
    np.testing.assert_allclose(r.windows["fst"].to_numpy()[: len(allel_w)], allel_w, atol=1e-9, equal_nan=True)


def test_bad_input():
    d = np.array([[0, 2, -1], [0, 1, 1], [0, 1, 2], [0, 0, 0]], dtype=np.int8)
    g = GenotypeMatrix.from_arrays(d, chrom=["1"] * 3, pos=[1, 2, 3], samples=list("abcd"))
    g.samples["population"] = ["A", "A", "B", "B"]
    with pytest.raises(AnalysisError, match=r"unknown population 'XX'; known populations: \['A', 'B'\]"):
        fst(g, pop1="A", pop2="XX")
    with pytest.raises(AnalysisError, match="same population"):
        fst(g, pop1="A", pop2="A")
    r = fst(g, pop1="A", pop2="B")
    assert r.n_uninformative == 1 and np.isnan(r.per_variant["fst"][0])  # monomorphic marker: NaN, counted
    assert r.per_variant["freq_A"][2] == 0.5  # the missing call of "a" is left out: only b (dosage 1) counts
