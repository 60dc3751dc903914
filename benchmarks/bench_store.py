"""Ladybug upsert throughput vs raw COPY, and idempotent re-upsert time.

Prints one JSON object per line. For each size (10^5, 10^6 rows) and kind (nodes, edges):
  * raw_copy: Ladybug's own ``COPY`` of the same Arrow table into an empty table (the baseline),
  * upsert_new: varkg ``upsert_nodes``/``upsert_edges`` of the same rows into an empty graph
    (validation + existing-key lookup + COPY), with ``ratio`` = upsert / raw,
  * reupsert: the same rows again (every row already present: lookup + compare, no writes).

Usage: python benchmarks/bench_store.py [--sizes 100000,1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa


def variants(n: int) -> pa.Table:
    pos = np.arange(1, n + 1, dtype=np.int64) * 7
    ids = np.char.add("GRCh38:1:", pos.astype(str))
    ids = np.char.add(ids, ":A:G")
    return pa.table(
        {
            "id": pa.array(ids.tolist()),
            "assembly": pa.array(["GRCh38"] * n),
            "chrom": pa.array(["1"] * n),
            "pos": pa.array(pos),
            "ref": pa.array(["A"] * n),
            "alt": pa.array(["G"] * n),
            "af": pa.array(np.random.default_rng(0).random(n)),
        }
    )


def ld_edges(nodes: pa.Table) -> pa.Table:
    ids = nodes.column("id")
    n = len(ids)
    return pa.table(
        {
            "src": ids.slice(0, n - 1),
            "dst": ids.slice(1, n - 1),
            "population": pa.array(["EUR"] * (n - 1)),
            "r2": pa.array(np.random.default_rng(1).random(n - 1)),
        }
    )


def fresh(tmp: Path):
    from varkg.store import open_store

    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    s = open_store(tmp / "g.db")
    s.init_schema()
    return s


def raw_copy(store, table_name: str, arrow_tbl: pa.Table, extra: str = "") -> float:
    conn = store._conn  # the raw Ladybug connection: the baseline uses no varkg code
    cols = ", ".join(c for c in arrow_tbl.column_names if c not in ("src", "dst"))
    t0 = time.perf_counter()
    conn.execute(f"COPY {table_name}({cols}) FROM arrow_tbl{extra}")
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="varkg-bench-"))
    for n in [int(x) for x in args.sizes.split(",")]:
        nodes = variants(n)
        edges = ld_edges(nodes)
        res: dict[str, list[float]] = {k: [] for k in ("raw_nodes", "up_nodes", "re_nodes", "raw_edges", "up_edges", "re_edges")}
        for _ in range(args.repeats):
            s = fresh(root / "raw")
            res["raw_nodes"].append(raw_copy(s, "Variant", nodes))
            res["raw_edges"].append(raw_copy(s, "LD_WITH", edges))
            s.close()
            s = fresh(root / "up")
            t0 = time.perf_counter()
            s.upsert_nodes("Variant", nodes, dataset="bench")
            res["up_nodes"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            s.upsert_edges("LD_WITH", edges, src_type="Variant", dst_type="Variant", dataset="bench")
            res["up_edges"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = s.upsert_nodes("Variant", nodes, dataset="bench")
            res["re_nodes"].append(time.perf_counter() - t0)
            assert r.inserted == 0 and r.updated == 0
            t0 = time.perf_counter()
            r = s.upsert_edges("LD_WITH", edges, src_type="Variant", dst_type="Variant", dataset="bench")
            res["re_edges"].append(time.perf_counter() - t0)
            assert r.inserted == 0 and r.updated == 0
            s.close()
        med = {k: statistics.median(v) for k, v in res.items()}
        for kind, rows in (("nodes", n), ("edges", n - 1)):
            raw, up, re = med[f"raw_{kind}"], med[f"up_{kind}"], med[f"re_{kind}"]
            print(
                json.dumps(
                    {
                        "name": f"ladybug_raw_copy_{kind}",
                        "rows": rows,
                        "value": round(rows / raw),
                        "unit": "rows/s",
                        "seconds": round(raw, 3),
                    }
                )
            )
            print(
                json.dumps(
                    {
                        "name": f"varkg_upsert_new_{kind}",
                        "rows": rows,
                        "value": round(rows / up),
                        "unit": "rows/s",
                        "seconds": round(up, 3),
                        "ratio_vs_raw_copy": round(up / raw, 2),
                        "target_ratio": 1.5,
                    }
                )
            )
            print(
                json.dumps(
                    {
                        "name": f"varkg_reupsert_existing_{kind}",
                        "rows": rows,
                        "value": round(re, 3),
                        "unit": "s",
                        "target_s": 30 if rows >= 10**6 else None,
                    }
                )
            )
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
