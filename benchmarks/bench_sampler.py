"""Sampler throughput and full-export time on a schema-shaped graph of 10^6 nodes / 10^7 edges.

The graph is generated from the schema (``pyg_metadata``): node counts spread over the
biological node types, edges over every schema edge type with skewed (hub-heavy) destinations,
one float and one categorical property per type. Figures (one JSON line each):

* ``export_build_s``: Arrow node tables + int64 edge indices -> ``HeteroData`` (feature encoding
  fitted and applied, reverse edges added) — the in-memory half of ``export_graph``; reading the
  tables out of a store is not included (store-side export is the store's benchmark).
* ``csr_build_s``: CSR arrays for every edge type (sampler start-up).
* ``sampler_seeds_per_s``: Variant seeds per second, fan-outs [10, 10], batches of 1024, with
  the mini-batch ``HeteroData`` assembled; baseline: a per-seed Python loop sampler (same
  semantics) measured in the same run, ``ratio`` = vectorised / loop.
* ``peak_rss_gib``: peak resident memory of the process.

Usage: python benchmarks/bench_sampler.py [--nodes 1000000] [--edges 10000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np
import pyarrow as pa

SHARE = {
    "Variant": 0.40,
    "RegulatoryElement": 0.18,
    "Gene": 0.06,
    "ChromatinRegion": 0.10,
    "Pathway": 0.04,
    "Phenotype": 0.04,
    "Text": 0.08,
    "TranscriptionFactor": 0.02,
    "Motif": 0.02,
    "Tissue": 0.03,
    "CellType": 0.03,
}


def emit(name: str, value: float, unit: str, **kw) -> None:
    print(json.dumps({"name": name, "value": round(float(value), 4), "unit": unit, **kw}), flush=True)


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def generate(n_nodes: int, n_edges: int, seed: int = 0):
    from varkg.schema import load_schema
    from varkg.schema.pyg import pyg_metadata

    schema = load_schema()
    rng = np.random.default_rng(seed)
    types, triples = pyg_metadata(schema)
    counts = {t: max(1, int(SHARE.get(t, 0.01) * n_nodes)) for t in types}
    tables = {}
    for t in types:
        n = counts[t]
        cols = {"id": pa.array(np.char.add(f"{t}:", np.arange(n).astype(str)).astype(object))}
        spec = schema.node(t)
        num = [p.name for p in spec.properties.values() if p.kind == "float"][:1]
        cat = [p.name for p in spec.properties.values() if p.name in ("kind", "impact", "biotype", "source", "ontology")][:1]
        for p in num:
            x = rng.normal(size=n)
            x[rng.random(n) < 0.1] = np.nan
            cols[p] = pa.array(x, from_pandas=True)
        for p in cat:
            cols[p] = pa.array(rng.choice(["a", "b", "c", "d"], n))
        tables[t] = pa.table(cols)
    per = n_edges // len(triples)
    edges = {}
    for s, r, d in triples:
        src = rng.integers(0, counts[s], per)
        dst = (counts[d] * rng.random(per) ** 2).astype(np.int64)  # skewed: hubs at low indices
        edges[(s, r, d)] = np.stack([src, dst])
    return tables, edges


def loop_sampler(csr_by_dst, seeds, fanouts, rng):
    """Reference: per-node Python loop, same semantics (baseline)."""
    nodes = {("Variant", int(s)) for s in seeds}
    frontier = list(nodes)
    n_edges = 0
    for k in fanouts:
        nxt = []
        for t, v in frontier:
            for (s, _, d), csr in csr_by_dst.items():
                if d != t:
                    continue
                nb = csr.indices[csr.indptr[v] : csr.indptr[v + 1]]
                if nb.size > k:
                    nb = rng.choice(nb, k, replace=False)
                n_edges += nb.size
                for u in nb.tolist():
                    if (s, u) not in nodes:
                        nodes.add((s, u))
                        nxt.append((s, u))
        frontier = nxt
    return len(nodes), n_edges


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    from varkg.gnn.export import build_hetero
    from varkg.gnn.sampler import NeighborSampler

    t0 = time.perf_counter()
    tables, edges = generate(a.nodes, a.edges)
    gen_s = time.perf_counter() - t0
    n_nodes = sum(t.num_rows for t in tables.values())
    n_edges = sum(e.shape[1] for e in edges.values())
    emit("generate_s", gen_s, "s", nodes=n_nodes, edges=n_edges)
    t0 = time.perf_counter()
    ex = build_hetero(tables, edges, reverse=True)
    emit(
        "export_build_s",
        time.perf_counter() - t0,
        "s",
        nodes=n_nodes,
        edges=n_edges,
        edges_with_reverse=2 * n_edges,
        peak_rss_gib=round(peak_gib(), 2),
    )
    t0 = time.perf_counter()
    sampler = NeighborSampler(ex.data, fanouts=[10, 10], seed=0)
    emit("csr_build_s", time.perf_counter() - t0, "s", edge_types=len(sampler.csr))
    rng = np.random.default_rng(1)
    nv = ex.data["Variant"].num_nodes
    times, sizes = [], []
    for _ in range(a.batches):
        seeds = rng.choice(nv, 1024, replace=False)
        t0 = time.perf_counter()
        b = sampler.sample({"Variant": seeds})
        times.append(time.perf_counter() - t0)
        sizes.append(sum(b[t].num_nodes for t in b.node_types))
    med = float(np.median(times))
    loop_times = []
    for _ in range(3):
        seeds = rng.choice(nv, 64, replace=False)
        t0 = time.perf_counter()
        loop_sampler(sampler.csr, seeds, [10, 10], rng)
        loop_times.append((time.perf_counter() - t0) / 64)
    loop_rate = 1.0 / float(np.median(loop_times))
    rate = 1024 / med
    emit(
        "sampler_seeds_per_s",
        rate,
        "seeds/s",
        fanouts=[10, 10],
        batch=1024,
        median_batch_s=round(med, 4),
        median_batch_nodes=int(np.median(sizes)),
        baseline="python loop sampler",
        baseline_value=round(loop_rate, 1),
        ratio=round(rate / loop_rate, 1),
    )
    emit("peak_rss_gib", peak_gib(), "GiB")


if __name__ == "__main__":
    main()
