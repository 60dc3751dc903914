"""Where the bucket LD engine's time goes on Spark: VCF read, Hail standardisation, the hand-over
to a Spark DataFrame, and the whole ``ld_pairs(method="buckets")`` (the rest: bucket shuffle,
numpy r², ``toPandas``). Each stage is timed from the lazy MatrixTable, so each includes the ones
before it. One JSON line. Run in .venv-spark:

    PYTHONPATH=. .venv-spark/bin/python benchmarks/bench_spark_ld_stages.py --records 100000 --cores 2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spark import LD_KB, generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--cores", type=int, default=2)
    a = ap.parse_args()
    from varkg.spark import ld
    from varkg.spark.genotypes import import_vcf
    from varkg.spark.session import SparkConfig, hail_context, stop

    hl = hail_context(SparkConfig(master=f"local[{a.cores}]"))
    from pyspark.sql import functions as F

    r: dict[str, float | int] = {"records": a.records, "cores": a.cores}
    try:
        with tempfile.TemporaryDirectory() as d:
            mt = import_vcf(generate(a.records, Path(d) / "g.vcf"), assembly="GRCh37", min_partitions=2 * a.cores)
            t = time.perf_counter()
            mt.count_rows()
            r["vcf_read_s"] = time.perf_counter() - t
            t = time.perf_counter()
            tab = ld._standardised(hl, mt)
            tab.aggregate(hl.agg.sum(tab.x[0]))
            r["read_standardise_s"] = time.perf_counter() - t
            t = time.perf_counter()
            df = ld._standardised(hl, mt).to_spark(flatten=False)
            df.select(F.col("x")[0].alias("x0")).agg(F.sum("x0")).collect()
            r["read_standardise_to_spark_s"] = time.perf_counter() - t
            t = time.perf_counter()
            r["pairs"] = len(ld.ld_pairs(mt, kb=LD_KB, r2_min=0.2, method="buckets"))
            r["ld_pairs_buckets_s"] = time.perf_counter() - t
    finally:
        stop()
    r["load1"] = os.getloadavg()[0]
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}), flush=True)


if __name__ == "__main__":
    main()
