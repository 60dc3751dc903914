"""Spark (Hail, local[N]) vs the single-machine path: VCF -> Variant frame with AF, and LD windows.

Sizes: the real chr20 VCF (24,990 records x 203 samples) and generated VCFs of N records (the
real records tiled on chromosome 1 with shifted positions, same samples), so the crossover is
visible. Baseline in the same run: the VCF loader (cyvcf2) + numpy r² (varkg.popgen.ld).
Prints one JSON line per (size, engine, step). Run in .venv-spark:

    PYTHONPATH=. .venv-spark/bin/python benchmarks/bench_spark.py --sizes 24990,1000000 --cores 2
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from pathlib import Path

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


def spark(vcf: Path, cores: int, ld: bool) -> dict[str, float]:
    from varkg.spark.genotypes import import_vcf, variant_frame
    from varkg.spark.ld import ld_pairs

    t = time.perf_counter()
    mt = import_vcf(vcf, assembly="GRCh37", min_partitions=max(2, cores * 2))
    n = variant_frame(mt, assembly="GRCh37").count()
    t_var = time.perf_counter() - t
    if not ld:
        return {"variants_af_s": t_var, "variants": n}
    t = time.perf_counter()
    pairs = len(ld_pairs(mt, kb=LD_KB, r2_min=0.2))
    return {"variants_af_s": t_var, "ld_s": time.perf_counter() - t, "variants": n, "pairs": pairs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="24990,1000000")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--skip-ld-above", type=int, default=200_000, help="no LD step above this many records")
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
                for engine in ("local", f"spark local[{a.cores}]"):
                    tmp = Path(tempfile.mkdtemp(dir=d))
                    ld = n <= a.skip_ld_above
                    r = local(vcf, tmp, ld) if engine == "local" else spark(vcf, a.cores, ld)
                    print(
                        json.dumps(
                            {
                                "records": n,
                                "engine": engine,
                                **{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()},
                            }
                        ),
                        flush=True,
                    )
    finally:
        stop()


if __name__ == "__main__":
    main()
