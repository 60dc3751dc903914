"""Batched UNWIND upserts into a live Neo4j Community server vs the embedded Ladybug store, same tables.

Starts a server from tools/neo4j/lib (``make neo4j-lib``) on free loopback ports unless
``VARKG_NEO4J_URI`` (+ ``NEO4J_PASSWORD``) names one. Prints one JSON line per figure:
rows/s for a first upsert of N genes and N INTERACTS edges, and for an idempotent re-upsert; then
the bulk path at M rows (``varkg neo4j bulk-export`` CSVs + the real ``neo4j-admin database import
full``, server stopped, then started and counted) beside the embedded store's upsert of the same tables.

    python benchmarks/bench_neo4j.py --rows 100000 --bulk-rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa


def tables(n: int) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(0)
    ids = [f"ENSG{i:011d}" for i in range(n)]
    genes = pa.table(
        {
            "id": ids,
            "symbol": [f"G{i}" for i in range(n)],
            "chrom": ["1"] * n,
            "start": np.arange(n) * 1000,
            "stop": np.arange(n) * 1000 + 500,
        }
    )
    src, dst = rng.integers(0, n, n), rng.integers(0, n, n)
    edges = pa.table(
        {
            "src": [ids[i] for i in src],
            "dst": [ids[j] for j in dst],
            "type": ["ppi"] * n,
            "source": ["bench"] * n,
            "score": rng.random(n),
        }
    )
    edges = (
        edges.group_by(["src", "dst", "type", "source"])
        .aggregate([("score", "max")])
        .rename_columns(["src", "dst", "type", "source", "score"])
    )
    return genes, edges


def run(store, backend: str, genes: pa.Table, edges: pa.Table) -> dict[str, float]:
    out = {}
    for phase in ("first", "again"):
        t0 = time.perf_counter()
        store.upsert_nodes("Gene", genes, dataset="bench")
        out[f"nodes_{phase}"] = genes.num_rows / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        store.upsert_edges("INTERACTS", edges, src_type="Gene", dst_type="Gene", dataset="bench")
        out[f"edges_{phase}"] = edges.num_rows / (time.perf_counter() - t0)
    for k, v in out.items():
        print(
            json.dumps(
                {
                    "name": f"{backend}_{k}_rows_per_s",
                    "value": round(v, 1),
                    "unit": "rows/s",
                    "nodes": genes.num_rows,
                    "edges": edges.num_rows,
                }
            ),
            flush=True,
        )
    return out


def emit(name: str, value: float, unit: str, **extra) -> None:
    print(json.dumps({"name": name, "value": round(value, 3 if unit == "x" else 1), "unit": unit, **extra}), flush=True)


def bulk(n: int, tmp: Path, password: str) -> None:
    """Ladybug upsert vs neo4j-admin import of the same n genes and ~n edges."""
    from varkg.schema import load_schema
    from varkg.store import open_store
    from varkg.store.neo4j import write_bulk_import
    from varkg.store.neo4j_server import Neo4jServer, NeoServerConfig, free_port

    genes, edges = tables(n)
    rows = genes.num_rows + edges.num_rows
    lb = open_store(tmp / "bulk.db")
    lb.init_schema()
    t0 = time.perf_counter()
    lb.upsert_nodes("Gene", genes, dataset="bench")
    lb.upsert_edges("INTERACTS", edges, src_type="Gene", dst_type="Gene", dataset="bench")
    t_lb = time.perf_counter() - t0
    lb.close()
    t0 = time.perf_counter()
    write_bulk_import(load_schema(), [("Gene", genes, None, None), ("INTERACTS", edges, "Gene", "Gene")], tmp / "import")
    t_csv = time.perf_counter() - t0
    server = Neo4jServer(
        NeoServerConfig(data=tmp / "neo4j-bulk", bolt=f"127.0.0.1:{free_port()}", http=None, heap="2g", pagecache="1g"),
        password=password,
    )
    t0 = time.perf_counter()
    server.admin_import(tmp / "import")
    t_imp = time.perf_counter() - t0
    server.start()
    try:
        os.environ["NEO4J_PASSWORD"] = password
        neo = open_store(server.uri)
        counts = neo.counts()
        neo.close()
    finally:
        server.stop()
    assert counts["Gene"] == genes.num_rows and counts["Gene-INTERACTS->Gene"] == edges.num_rows, counts
    extra = {"nodes": genes.num_rows, "edges": edges.num_rows}
    emit("ladybug_bulk_upsert_rows_per_s", rows / t_lb, "rows/s", **extra)
    emit("neo4j_bulk_csv_rows_per_s", rows / t_csv, "rows/s", **extra)
    emit("neo4j_admin_import_rows_per_s", rows / t_imp, "rows/s", **extra)
    emit("neo4j_bulk_csv_plus_import_rows_per_s", rows / (t_csv + t_imp), "rows/s", **extra)
    emit("ratio_neo4j_bulk_over_ladybug_upsert", t_lb / (t_csv + t_imp), "x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="rows for the batched-upsert comparison")
    ap.add_argument("--bulk-rows", type=int, default=1_000_000, help="rows for the admin-import path (0: skip)")
    args = ap.parse_args()
    from varkg.store import open_store
    from varkg.store.neo4j_server import Neo4jServer, NeoServerConfig, free_port

    genes, edges = tables(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        lb = open_store(Path(tmp) / "g.db")
        lb.init_schema()
        base = run(lb, "ladybug", genes, edges)
        lb.close()
        server = None
        uri = os.environ.get("VARKG_NEO4J_URI")
        if not uri:
            os.environ.setdefault("NEO4J_PASSWORD", "bench-" + os.urandom(6).hex())
            server = Neo4jServer(
                NeoServerConfig(data=Path(tmp) / "neo4j", bolt=f"127.0.0.1:{free_port()}", http=None, heap="2g", pagecache="1g"),
                password=os.environ["NEO4J_PASSWORD"],
            )
            server.start()
            print(json.dumps({"name": "neo4j_server_start", "value": round(server.started_in or 0, 1), "unit": "s"}), flush=True)
            uri = server.uri
        try:
            neo = open_store(uri)
            neo.init_schema()
            got = run(neo, "neo4j", genes, edges)
            heap = neo.query(
                'CALL dbms.queryJmx("java.lang:type=Memory") YIELD attributes '
                "RETURN attributes.HeapMemoryUsage.value.properties.used AS used"
            )
            emit("neo4j_heap_used_after_upserts", heap.column("used")[0].as_py() / 2**20, "MiB")
            neo.close()
        finally:
            if server is not None:
                server.stop()
        for k in got:
            emit(f"ratio_neo4j_over_ladybug_{k}", got[k] / base[k], "x")
        if args.bulk_rows:
            bulk(args.bulk_rows, Path(tmp), os.environ["NEO4J_PASSWORD"])


if __name__ == "__main__":
    main()
