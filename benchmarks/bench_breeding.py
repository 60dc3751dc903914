"""Benchmarks of varkg.breeding vs Debian's gemma in the same run, on the real MSUPRP pig data.

* ``breeding.reml``: GRM eigen decomposition + null-model REML (varkg) vs gemma ``-lmm 1`` on one
  marker with the same K (its time is eigen decomposition + null REML + one test).
* ``breeding.lmm``: the per-marker REML Wald GWAS of pH 24 h (varkg) vs gemma ``-lmm 1``, same K,
  same covariates (sex, slaughter group, carcass weight).
* ``breeding.bayescpi``: Gibbs iterations per second of BayesCπ on pH 24 h (all animals, the same
  markers and covariates): the numba-compiled sampler (``varkg.breeding.gs.bayes_cpi``) vs the pure
  Python/numpy single-site loop it replaced (kept below as the baseline, same model and priors);
  median of 3 runs each (the compiled one after a warm-up call that compiles it).
* ``breeding.chip``: the tag graph (r² >= 0.8 within 250 kb, every marker) and the panel design
  per N on the full chip, the LD coverage of the designed, evenly spaced and random panels, and
  Debian's ``plink1.9 --show-tags`` on the same tag list in the same run (its seconds as the baseline,
  ``ratio`` = plink seconds / varkg tag-graph + coverage seconds, and whether the tagged sets agree).
* ``breeding.convergence`` (``--only convergence``; minutes): BayesCπ chains from overdispersed
  starts, split R-hat and bulk ESS of σ²_e, σ²_g and π (``--chains``, ``--chain-iterations``).

Prints JSON lines ``{"name", "value", "unit", ...}``; gemma lines carry ``ratio`` = gemma seconds /
varkg seconds (> 1: varkg faster) and the p-value agreement.

Usage: python benchmarks/bench_breeding.py [--data ../shared/data] [--markers N]
[--only bayescpi|chip|convergence] [--chains 4 --chain-iterations 30000]
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

from varkg.breeding.data import TraitData
from varkg.popgen.genotypes import GenotypeMatrix


def emit(name: str, value: float, unit: str, **kw: object) -> None:
    print(json.dumps({"name": name, "value": round(float(value), 6), "unit": unit, **kw}), flush=True)


def python_bayes_cpi(Z: np.ndarray, y: np.ndarray, W: np.ndarray, *, iterations: int, seed: int = 0) -> float:
    """The replaced pure-Python BayesCπ sweep (same model, priors and O(n) residual update as the
    compiled one, numpy for each marker's dot product); returns the final sigma2_e."""
    nu, pi0 = 4.0, 0.9
    rng = np.random.default_rng(seed)
    n, p = Z.shape
    Zf = np.asfortranarray(Z)
    cols = [Zf[:, j] for j in range(p)]
    xx = (Z * Z).sum(axis=0)
    WtWinv = np.linalg.inv(W.T @ W)
    Lw = np.linalg.cholesky(WtWinv)
    b = WtWinv @ W.T @ y
    e = y - W @ b
    vy = float(np.var(e))
    S2a = 0.5 * vy * (nu - 2) / nu / ((1 - pi0) * float(np.sum(np.var(Z, axis=0))))
    S2e = 0.5 * vy * (nu - 2) / nu
    s2a, s2e, pi = S2a * nu / (nu - 2), S2e * nu / (nu - 2), pi0
    alpha = np.zeros(p)
    for _ in range(iterations):
        bn = WtWinv @ (W.T @ (e + W @ b)) + np.sqrt(s2e) * (Lw @ rng.standard_normal(W.shape[1]))
        e += W @ (b - bn)
        b = bn
        u, zs = np.asarray(rng.random(p)), np.asarray(rng.standard_normal(p))
        lo = np.log(pi) - np.log1p(-pi)
        for j in range(p):
            x, aj = cols[j], alpha[j]
            r = float(x @ e) + xx[j] * aj
            v0 = xx[j] * s2e
            v1 = xx[j] * xx[j] * s2a + v0
            d = 0.5 * (np.log(v1 / v0) + r * r / v1 - r * r / v0)
            if u[j] < 1.0 / (1.0 + np.exp(min(d + lo, 700.0))):
                C = xx[j] + s2e / s2a
                an = r / C + np.sqrt(s2e / C) * zs[j]
            else:
                an = 0.0
            if an != aj:
                e += x * (aj - an)
                alpha[j] = an
        k = int(np.count_nonzero(alpha))
        s2a = (float(alpha @ alpha) + nu * S2a) / rng.chisquare(nu + k)
        s2e = (float(e @ e) + nu * S2e) / rng.chisquare(nu + n)
        pi = float(rng.beta(p - k + 1, k + 1))
    return s2e


def bench_bayes(td: TraitData, meta: dict[str, object], *, py_iterations: int, nb_iterations: int) -> None:
    from varkg.breeding.gs import bayes_cpi

    Z = td.X - 2 * td.freq
    y, W = td.y, td.W
    t = time.perf_counter()
    bayes_cpi(Z, y, W, iterations=5, burn_in=0, thin=1)
    emit("breeding.bayescpi.first_call_seconds", time.perf_counter() - t, "s", note="numba compile or cache load", **meta)
    py, nb = [], []
    for rep in range(3):
        t = time.perf_counter()
        python_bayes_cpi(Z, y, W, iterations=py_iterations, seed=rep)
        py.append(py_iterations / (time.perf_counter() - t))
        t = time.perf_counter()
        bayes_cpi(Z, y, W, iterations=nb_iterations, burn_in=0, thin=10, seed=rep)
        nb.append(nb_iterations / (time.perf_counter() - t))
    p_med, n_med = float(np.median(py)), float(np.median(nb))
    emit("breeding.bayescpi.python_iterations_per_s", p_med, "it/s", iterations=py_iterations, runs=py, **meta)
    emit("breeding.bayescpi.numba_iterations_per_s", n_med, "it/s", iterations=nb_iterations, runs=nb,
         ratio=round(n_med / p_med, 2), **meta)  # fmt: skip


CHIP_SIZES = (500, 1000, 2000, 5000)


def bench_chip(td: TraitData, g: GenotypeMatrix, meta: dict[str, object], *, sizes: tuple[int, ...] = CHIP_SIZES) -> None:
    from varkg.breeding.chip import design_panel
    from varkg.breeding.gs import evenly_spaced
    from varkg.breeding.tagging import ld_coverage, tag_neighbours

    chrom, pos = td.variants["chrom"].astype(str).to_numpy(), td.variants["pos"].to_numpy()
    maf = np.minimum(td.freq, 1 - td.freq)
    elig = maf >= 0.05
    t = time.perf_counter()
    neigh = tag_neighbours(td.X, chrom=chrom, pos=pos)
    t_neigh = time.perf_counter() - t
    sizes_ = np.array([len(x) for x in neigh])
    emit("breeding.chip.tag_graph_seconds", t_neigh, "s", mean_tagged_per_marker=round(float(sizes_.mean()), 3),
         markers_tagging_another=int((sizes_ >= 2).sum()), **meta)  # fmt: skip
    s = -np.log10(np.clip(np.abs(np.corrcoef(td.X.T, td.y)[-1, :-1]), 1e-12, None))  # any score will do for timing
    rng = np.random.default_rng(0)
    last_panel = None
    for n in sizes:
        if n > int(elig.sum()):
            continue
        t = time.perf_counter()
        man = design_panel(td.variants, td.X, n=n, scores=-s, neighbours=neigh)
        t_design = time.perf_counter() - t
        cov = {}
        for kind, idx in {
            "designed": man["index"].to_numpy(),
            "evenly_spaced": evenly_spaced(td.X.shape[1], n),
            "random": np.sort(rng.choice(td.X.shape[1], n, replace=False)),
        }.items():
            c = ld_coverage(td.X, chrom=chrom, pos=pos, panel=idx, eligible=elig)
            cov[kind] = {"coverage": round(c.fraction, 4), "mean_r2": round(c.mean_r2, 4)}
        emit("breeding.chip.design_seconds", t_design, "s", size=n, reasons=man["reason"].value_counts().to_dict(),
             coverage=cov, **meta)  # fmt: skip
        last_panel = man["index"].to_numpy()
    exe = shutil.which("plink1.9") or shutil.which("plink")
    if exe is None or last_panel is None:
        emit("breeding.chip.plink_missing", 1, "flag")
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_chip_"))
    sub = g.select_samples(samples=td.samples)  # plink gets every marker; tagged sets compared on the QC-kept ones
    sub.to_plink(tmp / "g")
    names = td.variants["name"].astype(str).to_numpy()
    (tmp / "tags.txt").write_text("\n".join(names[last_panel]) + "\n")
    cmd = [exe, "--threads", "1", "--allow-no-sex", "--bfile", str(tmp / "g"), "--show-tags", str(tmp / "tags.txt")]
    t = time.perf_counter()
    subprocess.run([*cmd, "--out", str(tmp / "o")], check=True, capture_output=True)
    t_plink = time.perf_counter() - t
    col = {n: j for j, n in enumerate(sub.variants["name"].astype(str))}
    X = sub.dosages()[:, [col[n] for n in names]]
    t = time.perf_counter()
    ours = ld_coverage(X, chrom=chrom, pos=pos, panel=last_panel)
    t_ours = time.perf_counter() - t
    keep = set(names)
    theirs = {x for x in (tmp / "o.tags").read_text().split() if x in keep}
    agree = theirs == set(names[ours.tagged])
    emit("breeding.chip.show_tags_seconds", t_ours, "s", plink_seconds=round(t_plink, 3),
         ratio=round(t_plink / t_ours, 3), panel=len(last_panel), tagged=int(ours.tagged.sum()), agree_with_plink=agree,
         note="varkg: ld_coverage on int8 dosages (pairwise-complete r²), same rule as --show-tags", **meta)  # fmt: skip
    shutil.rmtree(tmp, ignore_errors=True)


def bench_convergence(td: TraitData, meta: dict[str, object], *, chains: int, iterations: int) -> None:
    from varkg.breeding.gs import bayes_convergence

    burn = iterations // 5
    t = time.perf_counter()
    rep = bayes_convergence(td, chains=chains, iterations=iterations, burn_in=burn, thin=10)
    dt = time.perf_counter() - t
    for row in rep.table.itertuples():
        emit(f"breeding.convergence.{row.parameter}.split_rhat", row.split_rhat, "R-hat", ess_bulk=round(float(row.ess_bulk), 1),
             mean=float(row.mean), ok=bool(row.ok), chains=chains, iterations=iterations, burn_in=burn, **meta)  # fmt: skip
    emit("breeding.convergence.seconds", dt, "s", iterations_per_s=round(chains * iterations / dt, 1),
         converged=rep.converged, gebv_cor=round(rep.gebv_cor, 4), verdict=rep.verdict, **meta)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--markers", type=int, default=None, help="only the first N markers (default: all 20,597)")
    ap.add_argument("--only", choices=["all", "bayescpi", "chip", "convergence"], default="all",
                    help="one part only (convergence is not in 'all': minutes)")  # fmt: skip
    ap.add_argument("--py-iterations", type=int, default=10, help="iterations per run of the Python baseline")
    ap.add_argument("--nb-iterations", type=int, default=300, help="iterations per run of the compiled sampler")
    ap.add_argument("--chains", type=int, default=4, help="--only convergence: chains")
    ap.add_argument("--chain-iterations", type=int, default=30000, help="--only convergence: iterations per chain")
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
    meta: dict[str, object] = {"animals": td.n, "markers": td.X.shape[1], "fixed_effects": td.W.shape[1]}
    if args.only == "convergence":
        bench_convergence(td, meta, chains=args.chains, iterations=args.chain_iterations)
        return
    if args.only in ("all", "chip"):
        bench_chip(td, g, meta)
        if args.only == "chip":
            return
    bench_bayes(td, meta, py_iterations=args.py_iterations, nb_iterations=args.nb_iterations)
    if args.only == "bayescpi":
        return
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
