"""LMM GWAS against Debian's gemma (-lmm 1) on the real MSUPRP pig data: same K, same covariates."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from varkg.breeding.gwas import genomic_inflation, run_gwas
from varkg.breeding.lmm import eigen, grm, reml


@pytest.fixture(scope="module")
def gemma_run(ph24, tmp_path_factory):
    exe = shutil.which("gemma")
    if exe is None:
        pytest.skip("gemma is not installed (apt-get install -y gemma)")
    d = tmp_path_factory.mktemp("gemma")
    with open(d / "geno.txt", "w") as fh:
        for j, name in enumerate(ph24.variants["name"]):
            fh.write(name + ",B,A," + ",".join(f"{v:g}" for v in ph24.X[:, j]) + "\n")
    np.savetxt(d / "pheno.txt", ph24.y, fmt="%.6g")
    np.savetxt(d / "covar.txt", ph24.W, fmt="%.10g")
    np.savetxt(d / "K.txt", grm(ph24.X, ph24.freq), fmt="%.12g")
    args = ["-g", "geno.txt", "-p", "pheno.txt", "-c", "covar.txt", "-outdir", "out"]
    subprocess.run([exe, *args, "-k", "K.txt", "-lmm", "1", "-o", "lmm"], check=True, capture_output=True, cwd=d)
    subprocess.run(
        [exe, "-g", "geno.txt", "-p", "pheno.txt", "-gk", "1", "-outdir", "out", "-o", "gk"],
        check=True,
        capture_output=True,
        cwd=d,
    )
    log = {}
    for line in (d / "out" / "lmm.log.txt").read_text().splitlines():
        if "=" in line and line.startswith("##"):
            k, v = line[2:].split("=", 1)
            log[k.strip()] = v.strip()
    return pd.read_csv(d / "out" / "lmm.assoc.txt", sep="\t"), log, np.loadtxt(d / "out" / "gk.cXX.txt")


def test_reml_matches_gemma(ph24, gemma_run):
    _, log, _ = gemma_run
    fit = reml(ph24.y, ph24.W, eigen(grm(ph24.X, ph24.freq)))
    assert fit.vg == pytest.approx(float(log["vg estimate in the null model"]), rel=1e-3)
    assert fit.ve == pytest.approx(float(log["ve estimate in the null model"]), rel=1e-3)
    assert fit.pve == pytest.approx(float(log["pve estimate in the null model"]), abs=1e-4)
    assert fit.loglik == pytest.approx(float(log["REMLE log-likelihood in the null model"]), abs=1e-3)


def test_gemma_gk_is_vanraden_rescaled(ph24, gemma_run):
    _, _, kg = gemma_run
    k = grm(ph24.X, ph24.freq)
    scale = 2 * np.sum(ph24.freq * (1 - ph24.freq)) / ph24.X.shape[1]
    np.testing.assert_allclose(kg, k * scale, atol=1e-6)


def test_wald_pvalues_match_gemma(ph24, gemma_run):
    assoc, _, _ = gemma_run
    res = run_gwas(ph24)
    m = assoc.merge(res.table, left_on="rs", right_on="rsid")
    assert len(m) == len(res.table) == len(assoc)
    a, b = -np.log10(m["p_wald"]), -np.log10(m["pvalue"])
    assert np.corrcoef(a, b)[0, 1] > 0.999
    assert np.max(np.abs(a - b)) < 1e-3
    np.testing.assert_allclose(m["beta_x"], m["beta_y"], rtol=1e-3, atol=1e-6)
    assert list(m.nsmallest(10, "p_wald")["rs"]) == list(m.nsmallest(10, "pvalue")["rs"])
    assert 0.5 < res.inflation < 2.0 and res.inflation == pytest.approx(genomic_inflation(m["p_wald"].to_numpy()), rel=1e-3)
