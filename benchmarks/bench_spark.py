"""Spark (Hail, local[N]) vs the single-machine path: VCF -> Variant frame with AF, and LD windows.

Sizes: the real chr20 VCF (24,990 records x 203 samples) and generated VCFs of N records (the
real records tiled on chromosome 1 with shifted positions, same samples), so the crossover is
visible. Baseline in the same run: the VCF loader (cyvcf2) + numpy r² (varkg.popgen.ld).
Prints one JSON line per (size, engine, step). Run in .venv-spark:

    PYTHONPATH=. .venv-spark/bin/python benchmarks/bench_spark.py --sizes 24990,1000000 --cores 2

LD engines (``--ld-methods``): ``blocks:SIZE`` is ``hl.ld_matrix`` with SIZE-wide blocks (the
previous default 1024), ``buckets`` the window-bucket engine (``varkg.spark.ld``); blocks rows
carry the stage times (``rows_s``, ``standardise_s``, ``multiply_entries_s``). ``load1`` is the
1-minute load average when the row was printed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
KGP = DATA / "variants" / "kgp_chr20_1-4Mb_unphased.vcf.gz"
LD_KB = 20


def generate(n: int, out: Path) -> Path:
    """``n`` records: the real ones repeated, each copy shifted by the span of the file (plain VCF,
    which both engines read; Hail splits it into partitions)."""
    header, body = [], []
    with gzip.open(KGP, "rt") as fh:
        for line in fh:
            (header if line.startswith("#") else body).append(line)
    span = 3_100_000
    with open(out, "w") as w:
        w.writelines(header)
        k = 0
        while k < n:
            shift = (k // len(body)) * span
            for line in body:
                if k >= n:
                    break
                f = line.split("\t", 2)
                # on chromosome 1 (249 Mb in GRCh37): 40 shifted copies of chr20:1-4 Mb exceed chr20's 63 Mb
                w.write(f"1\t{int(f[1]) + shift}\t{f[2]}")
                k += 1
    return out


def local(vcf: Path, tmp: Path, ld: bool) -> dict[str, float]:
    from varkg.loaders.base import LoadContext, get_loader
    from varkg.popgen.genotypes import read_vcf_artifacts
    from varkg.popgen.ld import ld_pairs

    t = time.perf_counter()
    ctx = LoadContext(assembly="GRCh37", artifacts_dir=tmp, options={"consequences": "none", "check_gzip": False})
    n = sum(f.table.num_rows for f in get_loader("vcf").frames([vcf], context=ctx) if f.type == "Variant")
    t_var = time.perf_counter() - t
    g = read_vcf_artifacts(Path(ctx.artifacts[0]))
    if not ld:
        return {"variants_af_s": t_var, "variants": n}
    t = time.perf_counter()
    pairs = len(ld_pairs(g, kb=LD_KB, r2_min=0.2))
    return {"variants_af_s": t_var, "ld_s": time.perf_counter() - t, "variants": n, "pairs": pairs}


def spark(vcf: Path, cores: int, ld: bool, methods: list[str], skip_af: bool) -> list[dict[str, Any]]:
    """The Spark rows: the VCF step, then one row per LD method (``buckets`` or ``blocks:SIZE``).

    Each LD run starts from the lazy MatrixTable, so its time includes reading the VCF again
    (as the CLI's `varkg spark ld` does)."""
    from varkg.spark.genotypes import import_vcf, variant_frame
    from varkg.spark.ld import ld_pairs

    out: list[dict[str, Any]] = []
    mt = import_vcf(vcf, assembly="GRCh37", min_partitions=max(2, cores * 2))
    if not skip_af:
        t = time.perf_counter()
        n = variant_frame(mt, assembly="GRCh37").count()
        out.append({"variants_af_s": time.perf_counter() - t, "variants": n})
    for m in methods if ld else []:
        name, _, size = m.partition(":")
        timings: dict[str, float] = {}
        t = time.perf_counter()
        kw = {"block_size": int(size)} if size else {}
        pairs = len(ld_pairs(mt, kb=LD_KB, r2_min=0.2, method=name, timings=timings, **kw))  # type: ignore[arg-type]
        out.append({"ld_method": m, "ld_s": time.perf_counter() - t, "pairs": pairs, **timings})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="24990,1000000")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--skip-ld-above", type=int, default=2_000_000, help="no LD step above this many records")
    ap.add_argument("--ld-methods", default="blocks:1024,blocks:128,buckets", help="LD engines, comma-separated")
    ap.add_argument("--skip-local", action="store_true", help="no single-machine baseline (already measured)")
    ap.add_argument("--skip-af", action="store_true", help="no VCF -> Variant frame step on Spark")
    a = ap.parse_args()
    from varkg.spark.session import SparkConfig, hail_context, stop

    t = time.perf_counter()
    hail_context(SparkConfig(master=f"local[{a.cores}]"))
    print(
        json.dumps({"step": "hail_init", "engine": f"spark local[{a.cores}]", "s": round(time.perf_counter() - t, 2)}), flush=True
    )
    try:
        with tempfile.TemporaryDirectory() as d:
            for n in [int(x) for x in a.sizes.split(",")]:
                vcf = KGP if n == 24990 else generate(n, Path(d) / f"gen_{n}.vcf")
                ld = n <= a.skip_ld_above
                engines = ([] if a.skip_local else ["local"]) + [f"spark local[{a.cores}]"]
                for engine in engines:
                    tmp = Path(tempfile.mkdtemp(dir=d))
                    if engine == "local":
                        rows = [local(vcf, tmp, ld)]
                    else:
                        rows = spark(vcf, a.cores, ld, a.ld_methods.split(","), a.skip_af)
                    for r in rows:
                        r = {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}
                        print(json.dumps({"records": n, "engine": engine, **r, "load1": os.getloadavg()[0]}), flush=True)
    finally:
        stop()


if __name__ == "__main__":
    main()
