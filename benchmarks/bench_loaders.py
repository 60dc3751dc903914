"""VCF loader throughput end to end into Ladybug vs raw cyvcf2 iteration, and peak memory.

Inputs: the 1000 Genomes chr20 excerpt (``../shared/data/variants/kgp_chr20_1-4Mb_reference.vcf.gz``,
24,990 records x 300 samples) and a 10^6-record VCF made from it (shifted copies: copy k adds
k x 4 Mb to POS), written bgzipped to a temporary directory.

Each measurement runs in its own subprocess so its peak RSS (``ru_maxrss``) is its own (the large
file is generated in a subprocess too: Linux carries a forking parent's RSS into a child's
``ru_maxrss``); the
end-to-end load is measured with the runner's default ``atomic="load"`` (one transaction) and with
``atomic="batch"`` (frames spooled to disk, committed per batch). Rates are medians of
``--repeats`` runs on the chr20 file (one run on the large file unless ``--repeats-large``); peak RSS
is the largest of those runs. ``atomic="batch"`` commits every ``--commit-rows`` rows (default: the
runner's ``BATCH_COMMIT_ROWS``) and reopens the database between commits; every end-to-end line
carries the settings it ran with. One-time imports (cyvcf2, the loader registry) happen before the timer
in every child.
Prints one JSON object per line: ``{"name", "value", "unit", ...}``; ratios compare the end-to-end
rate with the raw cyvcf2 rate measured in the same run.

Usage: ``python benchmarks/bench_loaders.py [--records 1000000] [--repeats 3] [--repeats-large 1] [--commit-rows N] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
SOURCE = SHARED / "variants" / "kgp_chr20_1-4Mb_reference.vcf.gz"
SHIFT = 4_000_000


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_raw(path: str, genotypes: bool) -> dict:
    import cyvcf2

    t0 = time.perf_counter()
    n = 0
    acc = 0
    for v in cyvcf2.VCF(path, gts012=True, lazy=True):
        acc += v.POS + len(v.REF) + len(v.ALT) + len(v.CHROM)
        if genotypes:
            acc += int(v.gt_types[0])
        n += 1
    dt = time.perf_counter() - t0
    return {"records": n, "seconds": dt, "rate": n / dt, "peak_rss_mb": _peak_rss_mb()}


def child_e2e(path: str, atomic: str = "load", commit_rows: int | None = None) -> dict:
    from varkg.loaders.base import get_loader
    from varkg.loaders.run import BATCH_COMMIT_ROWS, load
    from varkg.store import open_store

    get_loader("vcf")  # imports the loader registry (a one-time cost, like `import cyvcf2` in child_raw)

    d = Path(tempfile.mkdtemp(prefix="varkg-bench-"))
    try:
        store = open_store(d / "g.db")
        store.init_schema()
        t0 = time.perf_counter()
        rows = commit_rows or BATCH_COMMIT_ROWS
        r = load(store, "vcf", [path], assembly="GRCh37", progress=False, atomic=atomic, commit_rows=rows)
        dt = time.perf_counter() - t0
        n = r.results["Variant"]["inserted"]
        got = store.query("MATCH (v:Variant) RETURN count(*) AS n").column("n")[0].as_py()
        store.close()
        settings = {
            "atomic": atomic,
            "commit_rows": rows if atomic == "batch" else None,
            "buffer_pool_mb": int(os.environ["VARKG_LADYBUG_BUFFER_POOL_MB"])
            if os.environ.get("VARKG_LADYBUG_BUFFER_POOL_MB")
            else "ladybug default",
            "vcf_batch_size": 50_000,
            "ladybug": _version("ladybug"),
        }
        return {"records": n, "in_graph": got, "seconds": dt, "rate": n / dt, "peak_rss_mb": _peak_rss_mb(), "settings": settings}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def make_big_vcf(out: Path, n_records: int) -> Path:
    header, body = [], []
    with gzip.open(SOURCE, "rt") as fh:
        for line in fh:
            (header if line.startswith("#") else body).append(line)
    bgzip = shutil.which("bgzip")
    target = out / "kgp_chr20_shifted_1e6.vcf.gz"
    with open(target, "wb") as fo:
        proc = subprocess.Popen([bgzip, "-c", "-@", "2"], stdin=subprocess.PIPE, stdout=fo) if bgzip else None
        sink = proc.stdin if proc else gzip.open(fo, "wb", compresslevel=1)
        sink.write("".join(header).encode())
        written, k = 0, 0
        while written < n_records:
            chunk = []
            for line in body:
                if written >= n_records:
                    break
                c, p, rest = line.split("\t", 2)
                chunk.append(f"{c}\t{int(p) + k * SHIFT}\t{rest}")
                written += 1
            sink.write("".join(chunk).encode())
            k += 1
        sink.close()
        if proc:
            proc.wait()
    return target


def _run_child(mode: str, path: Path, genotypes: bool = False, atomic: str = "load", commit_rows: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, str(path), "--atomic", atomic] + (["--genotypes"] if genotypes else [])
    cmd += ["--commit-rows", str(commit_rows)] if commit_rows else []
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def _median_runs(repeats: int, mode: str, path: Path, **kw) -> dict:
    """Median rate over ``repeats`` child runs (each its own process); peak RSS is the largest."""
    runs = [_run_child(mode, path, **kw) for _ in range(max(1, repeats))]
    runs.sort(key=lambda r: r["rate"])
    med = dict(runs[len(runs) // 2])
    med["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    med["peaks_mb"] = [round(r["peak_rss_mb"]) for r in runs]
    med["rates"] = [round(r["rate"]) for r in runs]
    return med


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", choices=["raw", "e2e", "gen"])
    ap.add_argument("path", nargs="?")
    ap.add_argument("--genotypes", action="store_true")
    ap.add_argument("--atomic", choices=["load", "batch"], default="load")
    ap.add_argument("--commit-rows", type=int, help="rows per transaction with --atomic batch (default: the runner's)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per measurement on the chr20 file (median)")
    ap.add_argument("--repeats-large", type=int, default=1, help="runs per measurement on the large file")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path)
    a = ap.parse_args()
    if a.child == "gen":  # in its own process: the parent stays small, so forked children don't inherit its peak RSS
        big = make_big_vcf(Path(a.path), a.records)
        print(json.dumps({"path": str(big)}))
        return
    if a.child:
        res = child_raw(a.path, a.genotypes) if a.child == "raw" else child_e2e(a.path, a.atomic, a.commit_rows)
        print(json.dumps(res))
        return
    if not SOURCE.exists():
        print(json.dumps({"name": "vcf_loader", "skipped": f"{SOURCE} is absent"}))
        return
    tmp = a.keep or Path(tempfile.mkdtemp(prefix="varkg-bench-vcf-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        cmd = [sys.executable, __file__, "--child", "gen", str(tmp), "--records", str(a.records)]
        big = Path(
            json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])["path"]
        )
        print(
            json.dumps(
                {
                    "name": "generate_vcf",
                    "value": round(time.perf_counter() - t0, 1),
                    "unit": "s",
                    "records": a.records,
                    "bytes": big.stat().st_size,
                }
            ),
            flush=True,
        )
        for label, path, reps in (("kgp_chr20_24990", SOURCE, a.repeats), (f"kgp_shifted_{a.records}", big, a.repeats_large)):
            raw = _median_runs(reps, "raw", path)
            raw_gt = _median_runs(reps, "raw", path, genotypes=True)
            for name, res in (("cyvcf2_raw", raw), ("cyvcf2_raw_with_genotypes", raw_gt)):
                print(
                    json.dumps(
                        {
                            "name": f"{name}_rate",
                            "file": label,
                            "value": round(res["rate"]),
                            "unit": "records/s",
                            "runs": res["rates"],
                            "peak_rss_mb": round(res["peak_rss_mb"], 1),
                        }
                    ),
                    flush=True,
                )
            for atomic in ("load", "batch"):
                e2e = _median_runs(reps, "e2e", path, atomic=atomic, commit_rows=a.commit_rows)
                suffix = "" if atomic == "load" else "_atomic_batch"
                print(
                    json.dumps(
                        {
                            "name": f"vcf_loader_end_to_end_rate{suffix}",
                            "file": label,
                            "atomic": atomic,
                            "value": round(e2e["rate"]),
                            "unit": "variants/s",
                            "runs": e2e["rates"],
                            "records": e2e["records"],
                            "in_graph": e2e["in_graph"],
                            "seconds": round(e2e["seconds"], 1),
                            "baseline": "cyvcf2_raw",
                            "ratio": round(e2e["rate"] / raw["rate"], 3),
                            "ratio_vs_raw_with_genotypes": round(e2e["rate"] / raw_gt["rate"], 3),
                            "target_ratio": 0.30,
                            "settings": e2e["settings"],
                        }
                    ),
                    flush=True,
                )
                print(
                    json.dumps(
                        {
                            "name": f"vcf_loader_peak_rss{suffix}",
                            "file": label,
                            "atomic": atomic,
                            "value": round(e2e["peak_rss_mb"], 1),
                            "unit": "MiB",
                            "runs_mb": e2e["peaks_mb"],
                            "settings": e2e["settings"],
                        }
                    ),
                    flush=True,
                )
    finally:
        if a.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
