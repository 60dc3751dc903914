"""Benchmarks of varkg.popgen: windowed r² and Gabriel LD blocks vs Debian's plink1.9, same input, same run.

Inputs: the real chr20 1000 Genomes VCF (``variants/kgp_chr20_1-4Mb_reference.vcf.gz``, 300 samples x
24,990 variants, through the VCF loader's genotype artifacts) and the MSUPRP pig markers
(251 x 20,597). Each input is written once as PLINK .bed so both tools read the same genotypes.

Prints one JSON object per line: ``{"name", "value", "unit", ...}``; plink1.9 timings of the same
task carry ``ratio`` = plink seconds / varkg seconds (> 1: varkg faster). plink runs on one thread,
as varkg's numpy/BLAS does here (``OPENBLAS_NUM_THREADS=1``); the blocks result is checked equal to
plink's. r² and blocks times are medians of ``--repeats`` runs; plink's include reading the .bed and writing
its ``.ld`` text, varkg's reading the dosages and building the pairs DataFrame (not writing it).

Also on chr20, FIN vs IBS: Hudson and Weir-Cockerham Fst vs Debian's ``plink2 --fst`` (plink2
reads the VCF, varkg the loader's matrix; ``ratio`` = plink2 seconds / varkg seconds), and iHS,
nSL, XP-EHH vs scikit-allel's ``ihs``/``nsl``/``xpehh`` (one thread each, same haplotypes; the
scores are checked equal, ``max_abs_diff``). varkg's first call includes numba's compile, so the
kernel is warmed on 50 variants first.

Usage: python benchmarks/bench_popgen.py [--data ../shared/data] [--quick] [--only ld|selection]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread, as plink --threads 1; before numpy loads
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pandas as pd  # noqa: E402


def emit(name: str, value: float, unit: str, **kw: object) -> None:
    print(json.dumps({"name": name, "value": round(float(value), 6), "unit": unit, **kw}), flush=True)


def plink_time(exe: str, *args: str) -> float:
    t = time.perf_counter()
    subprocess.run([exe, "--threads", "1", "--allow-no-sex", *args], check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    ap.add_argument("--quick", action="store_true", help="first 5,000 chr20 variants and pig chromosomes 1-3 only")
    ap.add_argument("--repeats", type=int, default=3, help="r² and blocks timings: median of this many runs (each tool)")
    ap.add_argument("--only", choices=["ld", "selection"], help="run one half only")
    args = ap.parse_args()

    from varkg.loaders.base import LoadContext, get_loader
    from varkg.popgen.blocks import blocks_table, gabriel_blocks
    from varkg.popgen.genotypes import GenotypeMatrix, read_msuprp, read_vcf_artifacts
    from varkg.popgen.ld import LdWindow, ld_pairs

    exe = shutil.which("plink1.9") or shutil.which("plink")
    tmp = Path(tempfile.mkdtemp(prefix="bench_popgen_"))
    ctx = LoadContext(assembly="GRCh37", artifacts_dir=tmp, options={"consequences": "none"})
    for _ in get_loader("vcf").frames([args.data / "variants" / "kgp_chr20_1-4Mb_reference.vcf.gz"], context=ctx):
        pass
    kgp = read_vcf_artifacts(ctx.artifacts[0])
    if args.only != "ld":
        bench_selection(args, ctx.artifacts[0], tmp)
    if args.only == "selection":
        shutil.rmtree(tmp, ignore_errors=True)
        return
    d = args.data / "pig"
    pig = read_msuprp(d / "pig_MSUPRP_geno.tsv.gz", d / "pig_MSUPRP_map.tsv")
    pig = GenotypeMatrix(pig.variants, pig.samples, pig.reader, pig.source)  # founders only: no pedigree
    if args.quick:
        kgp, pig = kgp.slice_variants(0, 5000), pig.slice_variants(0, 4648)
    for label, g, kb in (("chr20", kgp, 100.0), ("pig", pig, 1000.0)):
        prefix = tmp / label
        g.to_plink(prefix)
        meta = {"input": label, "samples": g.n_samples, "variants": g.n_variants}
        ld_pairs(g.slice_variants(0, 300), window=LdWindow(kb=kb, r2_min=0.0))  # numba compile / cache load
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            n_pairs = len(ld_pairs(g, window=LdWindow(kb=kb, r2_min=0.0)))
            times.append(time.perf_counter() - t)
        ours = statistics.median(times)
        emit(
            f"popgen.r2.{label}.pairs_per_s",
            n_pairs / ours,
            "pairs/s",
            pairs=n_pairs,
            window_kb=kb,
            seconds=round(ours, 3),
            repeats=[round(x, 3) for x in times],
            **meta,
        )
        if exe:
            pts = [
                plink_time(
                    exe,
                    "--bfile",
                    str(prefix),
                    "--r2",
                    "--ld-window-kb",
                    str(int(kb)),
                    "--ld-window",
                    "999999",
                    "--ld-window-r2",
                    "0",
                    "--out",
                    str(prefix),
                )
                for _ in range(args.repeats)
            ]
            pt = statistics.median(pts)
            emit(
                f"plink1.9.r2.{label}.pairs_per_s",
                n_pairs / pt,
                "pairs/s",
                seconds=round(pt, 3),
                repeats=[round(x, 3) for x in pts],
                ratio=round(pt / ours, 3),
                **meta,
            )
        gabriel_blocks(g.slice_variants(0, 300))  # numba compile / cache load
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            blocks = blocks_table(gabriel_blocks(g))
            times.append(time.perf_counter() - t)
        ours = statistics.median(times)
        emit(f"popgen.blocks.{label}.seconds", ours, "s", blocks=len(blocks), repeats=[round(x, 3) for x in times], **meta)
        if exe:
            pts = [
                plink_time(exe, "--bfile", str(prefix), "--blocks", "no-pheno-req", "--out", str(prefix))
                for _ in range(args.repeats)
            ]
            pt = statistics.median(pts)
            theirs = pd.read_csv(f"{prefix}.blocks.det", sep=r"\s+", dtype={"CHR": str})
            same = (
                blocks[["CHR", "BP1", "BP2", "NSNPS"]].values.tolist() == theirs[["CHR", "BP1", "BP2", "NSNPS"]].values.tolist()
            )
            emit(
                f"plink1.9.blocks.{label}.seconds",
                pt,
                "s",
                blocks=len(theirs),
                same_blocks=same,
                repeats=[round(x, 3) for x in pts],
                ratio=round(pt / ours, 3),
                **meta,
            )
    shutil.rmtree(tmp, ignore_errors=True)


def bench_selection(args: argparse.Namespace, npy: Path, tmp: Path) -> None:
    import numpy as np

    from varkg.popgen import selection as sel
    from varkg.popgen.fst import fst
    from varkg.popgen.genotypes import read_vcf_artifacts

    vcf = args.data / "variants" / "kgp_chr20_1-4Mb_reference.vcf.gz"
    panel = args.data / "variants" / "1000G_phase3_integrated_call_samples.panel"
    g = read_vcf_artifacts(npy, panel=panel, vcf=vcf)
    if args.quick:
        g = g.slice_variants(0, 5000)
    meta = {"input": "chr20", "variants": g.n_variants, "pop1": "FIN", "pop2": "IBS"}
    p2 = shutil.which("plink2")
    pops = pd.read_csv(panel, sep="\t")
    pops = pops[pops["pop"].isin(["FIN", "IBS"])][["sample", "pop"]]
    pops.columns = ["#IID", "POP"]
    pops.to_csv(tmp / "pop.txt", sep="\t", index=False)
    for method in ("hudson", "wc"):
        t = time.perf_counter()
        r = fst(g, pop1="FIN", pop2="IBS", method=method)
        ours = time.perf_counter() - t
        emit(f"popgen.fst.{method}.seconds", ours, "s", fst=round(r.value, 7), se=round(r.se, 7), **meta)
        if p2 and not args.quick:
            t = time.perf_counter()
            subprocess.run(
                [
                    p2,
                    "--threads",
                    "1",
                    "--vcf",
                    str(vcf),
                    "--keep",
                    str(tmp / "pop.txt"),
                    "--pheno",
                    str(tmp / "pop.txt"),
                    "--fst",
                    "POP",
                    f"method={method}",
                    "report-variants",
                    "--out",
                    str(tmp / method),
                ],
                check=True,
                capture_output=True,
            )
            pt = time.perf_counter() - t
            theirs = float(pd.read_csv(tmp / f"{method}.fst.summary", sep="\t").iloc[0, 2])
            emit(f"plink2.fst.{method}.seconds", pt, "s", fst=theirs, ratio=round(pt / ours, 3), **meta)
    t = time.perf_counter()
    fin = sel.haplotype_array(g.select_samples(population="FIN"))
    ibs = sel.haplotype_array(g.select_samples(population="IBS"))
    emit("popgen.haplotypes.read.seconds", time.perf_counter() - t, "s", **meta)
    keep = (fin >= 0).all(axis=1) & (ibs >= 0).all(axis=1)
    fin, ibs, pos = fin[keep], ibs[keep], g.variants["pos"].to_numpy()[keep]
    sel.ihs_array(fin[:50], pos[:50])  # numba compile
    sel.xpehh_array(fin[:50], ibs[:50], pos[:50])
    sel.nsl_array(fin[:50])
    try:
        import allel
    except ImportError:
        allel = None
    runs = {
        "ihs": (lambda: sel.ihs_array(fin, pos), lambda: allel.ihs(fin, pos, use_threads=False)),
        "nsl": (lambda: sel.nsl_array(fin), lambda: allel.nsl(fin, use_threads=False)),
        "xpehh": (lambda: sel.xpehh_array(fin, ibs, pos), lambda: allel.xpehh(fin, ibs, pos, use_threads=False)),
    }
    for name, (ours_fn, theirs_fn) in runs.items():
        t = time.perf_counter()
        a = ours_fn()
        ours = time.perf_counter() - t
        emit(f"popgen.{name}.seconds", ours, "s", scored=int(np.isfinite(a).sum()), haplotypes=fin.shape[1], **meta)
        if allel is not None:
            t = time.perf_counter()
            b = theirs_fn()
            theirs = time.perf_counter() - t
            ok = np.isfinite(a) & np.isfinite(b)
            emit(
                f"scikit-allel.{name}.seconds",
                theirs,
                "s",
                ratio=round(theirs / ours, 3),
                same_nan=bool((np.isnan(a) == np.isnan(b)).all()),
                max_abs_diff=float(np.abs(a[ok] - b[ok]).max()) if ok.any() else None,
                **meta,
            )


if __name__ == "__main__":
    main()
