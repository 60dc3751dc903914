"""Benchmarks of varkg.causal: MR for 20,000 genes, coloc for 1,000 loci, SuSiE on 1,000 × 5,000.

Prints one JSON object per line: ``{"name", "value", "unit", ...}``; baselines measured in the same
run carry a ``ratio`` (baseline time / varkg time). Data are simulated from the real LD of
``../shared/data/variants/kgp_chr20_1-4Mb_reference.vcf.gz`` (1000 Genomes chr20, 300 samples).
R's susieR is timed on the same input when ``Rscript`` and susieR are installed.

Usage: python benchmarks/bench_causal.py [--data ../shared/data] [--quick]
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


def timed(fn, repeat: int = 3):  # type: ignore[no-untyped-def]
    ts, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts)), out


def emit_against_loop(name: str, sec: float, loop, baseline: str, **kw: object) -> None:  # type: ignore[no-untyped-def]
    """Emit ``sec`` (s) for ``name`` with the baseline: ``loop`` (the per-item loop) timed once here,
    its seconds and the ratio baseline / varkg."""
    base, _ = timed(loop, repeat=1)
    emit(name, sec, "s", **kw, baseline=baseline, baseline_s=round(base, 3), ratio=round(base / sec, 1))


def bench_mr(rng: np.random.Generator, n_genes: int, quick: bool) -> None:
    from varkg.causal.mr import ivw, ivw_grouped, mendelian_randomisation, wald_ratio

    k = rng.integers(1, 11, size=n_genes)
    gene = np.repeat([f"ENSG{i:011d}" for i in range(n_genes)], k)
    m = len(gene)
    bx = rng.normal(0.3, 0.08, m) * rng.choice([-1, 1], m)
    gamma = np.repeat(rng.normal(0, 0.05, n_genes), k)
    sy = rng.uniform(0.005, 0.02, m)
    t = pd.DataFrame(
        dict(exposure=gene, beta_exposure=bx, se_exposure=0.02, beta_outcome=gamma * bx + rng.normal(0, sy), se_outcome=sy)
    )
    sec, res = timed(lambda: ivw_grouped(t))
    groups = list(t.groupby("exposure", sort=False))

    def loop() -> int:
        for _, g in groups:
            if len(g) > 1:
                ivw(g["beta_exposure"].to_numpy(), g["beta_outcome"].to_numpy(), g["se_outcome"].to_numpy())
            else:
                wald_ratio(g["beta_exposure"].iat[0], g["beta_outcome"].iat[0], g["se_outcome"].iat[0])
        return len(groups)

    emit_against_loop("mr_ivw_grouped_20k_genes", sec, loop, "per-gene ivw() loop", genes=n_genes, instruments=m)
    sub = groups[: (200 if quick else 1000)]
    t0 = time.perf_counter()
    for _, g in sub:
        mendelian_randomisation(g, n_boot=1000)
    per = (time.perf_counter() - t0) / len(sub)
    emit(
        "mr_all_methods_per_gene",
        per * 1e3,
        "ms",
        methods="ivw,ivw_fe,egger,weighted_median(1000 boot)",
        genes_timed=len(sub),
        extrapolated_20k_s=round(per * n_genes, 1),
    )


def bench_coloc(rng: np.random.Generator, R: np.ndarray, n_loci: int, m: int) -> None:
    from varkg.causal.coloc import coloc_abf, coloc_grouped

    w, V = np.linalg.eigh(R[:m, :m])
    L = w.clip(0)[None, :] ** 0.5 * V  # noise ~ N(0, R)
    rows = []
    for i in range(n_loci):
        c = rng.integers(0, m)
        b1 = R[:m, c] * 0.15 + L @ rng.normal(size=m) / np.sqrt(4000)
        b2 = R[:m, c] * 0.10 + L @ rng.normal(size=m) / np.sqrt(8000)
        rows.append(
            pd.DataFrame(
                dict(
                    locus=f"L{i:04d}",
                    snp=[f"s{j}" for j in range(m)],
                    beta1=b1,
                    se1=1 / np.sqrt(4000),
                    beta2=b2,
                    se2=1 / np.sqrt(8000),
                )
            )
        )
    t = pd.concat(rows, ignore_index=True)
    sec, out = timed(lambda: coloc_grouped(t))
    loci = list(t.groupby("locus", sort=False))

    def loop() -> None:
        for _, g in loci:
            coloc_abf(
                g[["snp", "beta1", "se1"]].set_axis(["snp", "beta", "se"], axis=1),
                g[["snp", "beta2", "se2"]].set_axis(["snp", "beta", "se"], axis=1),
            )

    emit_against_loop(
        "coloc_grouped_1000_loci",
        sec,
        loop,
        "per-locus coloc_abf loop",
        loci=n_loci,
        snps_per_locus=m,
        median_pp_h4=round(float(out["pp_h4"].median()), 4),
    )


def bench_susie(panel, n: int, p: int, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    from varkg.causal.simulate import sample_genotypes, simulate_trait
    from varkg.causal.susie import susie

    G = sample_genotypes(panel, n, seed=rng)[:, :p]
    keep = np.flatnonzero(G.std(0) > 0)[:p]
    G = G[:, keep]
    causal = [int(j) for j in rng.choice(G.shape[1], 3, replace=False)]
    y = simulate_trait(G, {j: 0.1 for j in causal}, seed=rng)
    sec, fit = timed(lambda: susie(G, y), repeat=3)
    found = sorted({j for cs in fit.credible_sets for j in cs.variants} & set(causal))
    rec: dict[str, object] = dict(
        samples=n, variants=G.shape[1], iterations=fit.niter, credible_sets=len(fit.credible_sets), causal_in_cs=f"{len(found)}/3"
    )
    if shutil.which("Rscript") and subprocess.run(["Rscript", "-e", "library(susieR)"], capture_output=True).returncode == 0:
        with tempfile.TemporaryDirectory() as d:
            np.save(Path(d) / "G.npy", G)
            np.savetxt(Path(d) / "X.tsv", G, fmt="%d", delimiter="\t")
            np.savetxt(Path(d) / "y.tsv", y)
            script = (
                "suppressMessages(library(susieR)); X <- as.matrix(read.table('X.tsv')); storage.mode(X) <- 'double';"
                "y <- scan('y.tsv', quiet=TRUE); ts <- c(); for (i in 1:3) { t0 <- proc.time()[['elapsed']];"
                "f <- susie(X, y, L=10); ts <- c(ts, proc.time()[['elapsed']] - t0) };"
                "cat(median(ts), '\\n'); write.table(f$pip, 'pip.tsv', row.names=FALSE, col.names=FALSE)"
            )
            r = subprocess.run(["Rscript", "-e", script], cwd=d, capture_output=True, text=True, check=True)
            r_sec = float(r.stdout.split()[0])
            r_pip = np.loadtxt(Path(d) / "pip.tsv")
        rec.update(
            baseline="susieR::susie (R, same input)",
            baseline_s=round(r_sec, 3),
            ratio=round(r_sec / sec, 2),
            max_abs_pip_diff_vs_susieR=float(f"{np.max(np.abs(r_pip - fit.pip)):.3g}"),
        )
    emit("susie_1000x5000", sec, "s", **rec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    a = ap.parse_args()
    from varkg.causal.ld import ld_matrix
    from varkg.causal.simulate import load_reference_panel

    rng = np.random.default_rng(0)
    vcf = a.data / "variants" / "kgp_chr20_1-4Mb_reference.vcf.gz"
    t = time.perf_counter()
    panel = load_reference_panel(vcf, region="20:1000000-1700000", min_maf=0.05)
    emit("load_reference_panel", time.perf_counter() - t, "s", variants=len(panel.snp), haplotypes=panel.haplotypes.shape[0])
    R = ld_matrix(panel.haplotypes[0::2] + panel.haplotypes[1::2])
    bench_mr(rng, 2000 if a.quick else 20000, a.quick)
    bench_coloc(rng, R, 100 if a.quick else 1000, 500)
    bench_susie(panel, 1000 if a.quick else 5000, 1000, rng)


if __name__ == "__main__":
    main()
