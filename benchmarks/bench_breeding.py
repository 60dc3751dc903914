"""Benchmarks of varkg.breeding vs Debian's gemma in the same run, on the real MSUPRP pig data.

* ``breeding.reml``: GRM eigen decomposition + null-model REML (varkg) vs gemma ``-lmm 1`` on one
  marker with the same K (its time is eigen decomposition + null REML + one test).
* ``breeding.lmm``: the per-marker REML Wald GWAS of pH 24 h (varkg) vs gemma ``-lmm 1``, same K,
  same covariates (sex, slaughter group, carcass weight).

Prints JSON lines ``{"name", "value", "unit", ...}``; gemma lines carry ``ratio`` = gemma seconds /
varkg seconds (> 1: varkg faster) and the p-value agreement.

Usage: python benchmarks/bench_breeding.py [--data ../shared/data] [--markers N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def emit(name: str, value: float, unit: str, **kw: object) -> None:
    print(json.dumps({"name": name, "value": round(float(value), 6), "unit": unit, **kw}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--markers", type=int, default=None, help="only the first N markers (default: all 20,597)")
    args = ap.parse_args()

    from varkg.breeding.data import read_covariates, read_phenotypes, trait_data
    from varkg.breeding.gwas import run_gwas
    from varkg.breeding.lmm import eigen, grm, reml
    from varkg.popgen.genotypes import read_msuprp

    d = args.data / "pig"
    g = read_msuprp(d / "pig_MSUPRP_geno.tsv.gz", d / "pig_MSUPRP_map.tsv")
    if args.markers:
        g = g.slice_variants(0, min(args.markers, g.n_variants))
    td = trait_data(
        g, read_phenotypes(d / "pig_MSUPRP_pheno.tsv"), trait="ph_24h", covariates=read_covariates(d / "pig_MSUPRP_covar.tsv")
    )
    meta = {"animals": td.n, "markers": td.X.shape[1], "fixed_effects": td.W.shape[1]}
    t = time.perf_counter()
    K = grm(td.X, td.freq)
    fit = reml(td.y, td.W, eigen(K))
    t_reml = time.perf_counter() - t
    emit("breeding.reml.seconds", t_reml, "s", vg=fit.vg, ve=fit.ve, pve=fit.pve, **meta)
    t = time.perf_counter()
    res = run_gwas(td)
    t_lmm = time.perf_counter() - t
    emit("breeding.lmm.seconds", t_lmm, "s", lambda_gc=res.inflation, **meta)
    exe = shutil.which("gemma")
    if exe is None:
        emit("breeding.gemma.missing", 1, "flag")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_breeding_"))
    with open(tmp / "geno.txt", "w") as fh:
        for j, name in enumerate(td.variants["name"]):
            fh.write(name + ",B,A," + ",".join(f"{v:g}" for v in td.X[:, j]) + "\n")
    with open(tmp / "one.txt", "w") as fh:
        fh.write(td.variants["name"].iloc[0] + ",B,A," + ",".join(f"{v:g}" for v in td.X[:, 0]) + "\n")
    np.savetxt(tmp / "pheno.txt", td.y, fmt="%.6g")
    np.savetxt(tmp / "covar.txt", td.W, fmt="%.10g")
    np.savetxt(tmp / "K.txt", K, fmt="%.12g")
    base = ["-p", "pheno.txt", "-c", "covar.txt", "-k", "K.txt", "-lmm", "1", "-outdir", "out"]
    t = time.perf_counter()
    subprocess.run([exe, "-g", "one.txt", *base, "-o", "one"], check=True, capture_output=True, cwd=tmp)
    g_reml = time.perf_counter() - t
    emit("breeding.reml.gemma_seconds", g_reml, "s", ratio=round(g_reml / t_reml, 3), **meta)
    t = time.perf_counter()
    subprocess.run([exe, "-g", "geno.txt", *base, "-o", "all"], check=True, capture_output=True, cwd=tmp)
    g_lmm = time.perf_counter() - t
    a = pd.read_csv(tmp / "out" / "all.assoc.txt", sep="\t").merge(res.table, left_on="rs", right_on="rsid")
    r = float(np.corrcoef(-np.log10(a["p_wald"]), -np.log10(a["pvalue"]))[0, 1])
    emit("breeding.lmm.gemma_seconds", g_lmm, "s", ratio=round(g_lmm / t_lmm, 3), cor_log10p=round(r, 9), **meta)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
