"""Same answers on both stores: one real graph loaded into Ladybug and into a live Neo4j server from
the same files, write-backs (GNN predictions, LM scores and embeddings, causal edges, fine-mapping,
their run nodes) applied to both, then every table and every named library query compared row for row."""

from __future__ import annotations

import datetime as dt
import math
import shlex

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from varkg.cypher import library

pytestmark = pytest.mark.neo4j


def _embeddings(n: int, dim: int = 256) -> np.ndarray:
    """Unit vectors whose cosine to the first is 1, 0.97, 0.94, ...: a known ranking with gaps wider
    than the error of Neo4j's quantised vector index."""
    rng = np.random.default_rng(0)
    u = rng.standard_normal(dim)
    u /= np.linalg.norm(u)
    q = rng.standard_normal((n, dim))
    q -= np.outer(q @ u, u)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    c = 1 - 0.03 * np.arange(n)
    return (c[:, None] * u + np.sqrt(1 - c**2)[:, None] * q).astype(np.float32)


def _writebacks(store) -> None:
    """The write-back calls the pipeline makes, with deterministic values derived from the graph."""
    from varkg.causal.writeback import new_run, write_causal_edges, write_finemap
    from varkg.gnn.writeback import write_predictions
    from varkg.lm.score import Variant, VariantScore
    from varkg.lm.writeback import write_embeddings, write_variant_scores

    var = store.query(
        "MATCH (v:Variant) RETURN v.id AS id, v.chrom AS chrom, v.pos AS pos, v.ref AS ref, v.alt AS alt ORDER BY v.id"
    ).to_pylist()
    keys = np.array([v["id"] for v in var])
    prob = np.array([(v["pos"] % 997) / 997 for v in var])
    rank = np.argsort(np.argsort(-prob, kind="stable"), kind="stable") + 1
    write_predictions(
        store,
        {"key": keys, "logit": np.log(prob + 1e-3) - np.log1p(-prob + 1e-3), "probability": prob, "rank": rank},
        run_id="gnn-test",
        checkpoint_hash="abc123",
        release_id="r0",
        metrics={"auroc": 0.8},
    )
    snvs = [v for v in var if len(v["ref"]) == 1 and len(v["alt"]) == 1][:50]
    write_variant_scores(
        store,
        [Variant(v["chrom"], v["pos"], v["ref"], v["alt"], id=v["id"]) for v in snvs],
        [VariantScore(llr=(v["pos"] % 101) / 10 - 5, llr_forward=0.0, llr_reverse=0.0, method="masked") for v in snvs],
        assembly="GRCh38",
        model_id="lm-test@1",
    )
    write_embeddings(store, "Variant", [v["id"] for v in snvs], _embeddings(len(snvs)), model_id="lm-test@1")
    aff = store.query(
        "MATCH (v:Variant)-[:AFFECTS]->(g:Gene) RETURN v.id AS vid, g.id AS gid ORDER BY vid, gid LIMIT 4"
    ).to_pylist()
    phen = store.query("MATCH (p:Phenotype) RETURN p.id AS id ORDER BY p.id LIMIT 2").column("id").to_pylist()
    smr = new_run("smr", method_version="test/1", parameters={"heidi": True}, scope="test-smr")
    write_causal_edges(
        store,
        smr,
        pd.DataFrame(
            {
                "src": [a["vid"] for a in aff],
                "dst": [a["gid"] for a in aff],
                "estimate": [0.5, 0.4, -0.3, 0.2],
                "se": [0.1] * 4,
                "pvalue": [1e-6, 1e-4, 0.01, 0.3],
            }
        ),
        src_type="Variant",
        dst_type="Gene",
    )
    mr = new_run("mr_ivw", method_version="test/1", parameters={"p": 5e-8}, scope="test")
    write_causal_edges(
        store,
        mr,
        pd.DataFrame(
            {
                "src": [a["gid"] for a in aff],
                "dst": [phen[0], phen[0], phen[1], phen[1]],
                "estimate": [0.1, -0.2, 0.3, 0.05],
                "se": [0.01, 0.02, 0.03, 0.04],
                "pvalue": [1e-9, 1e-3, 0.2, 0.5],
                "n_instruments": [3, 4, 5, 6],
            }
        ).drop_duplicates(["src", "dst"]),
        src_type="Gene",
        dst_type="Phenotype",
    )
    fm = new_run("susie", method_version="test/1", parameters={"L": 2}, scope="test-fm")
    ids = [v["id"] for v in var[:20]]
    write_finemap(
        store,
        fm,
        variant_ids=ids,
        pip=np.linspace(0.99, 0.01, len(ids)),
        credible_set=["L1" if i < 3 else None for i in range(len(ids))],
        trait="LDL",
    )


@pytest.fixture(scope="module")
def stores(shared_data, neo4j_server, tmp_path_factory):
    from varkg.demo.build import build_graph
    from varkg.store import open_store

    d = tmp_path_factory.mktemp("both")
    lb = open_store(str(d / "graph.lbug"))
    neo = open_store(neo4j_server[0])
    while neo.execute("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n").column("n")[0].as_py():
        pass
    for s in (lb, neo):
        build_graph(s, shared_data, quick=True, work_dir=d, log=None)
        _writebacks(s)
    yield lb, neo
    lb.close()
    neo.close()


def _norm(v, times: bool = False):
    if isinstance(v, float):
        return None if math.isnan(v) else float(f"{v:.6g}")
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x, times) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((k, _norm(x, times)) for k, x in v.items()))
    if isinstance(v, (dt.datetime, dt.date)) and not times:
        return "<time>"  # written at load time: differs between two loads by design
    return v


# where each store keeps its derived files (artifact paths) differs by design
_PER_STORE = {"artifacts"}


def _no_empty_lists(t: pa.Table) -> pa.Table:
    """neo4j-admin's CSV cannot say "empty array": an empty list arrives as an absent property."""
    cols = {}
    for c in t.column_names:
        col = t.column(c)
        if pa.types.is_list(col.type):
            col = pa.array([None if v == [] else v for v in col.to_pylist()], col.type)
        cols[c] = col
    return pa.table(cols)


def _rows(t: pa.Table, *, times: bool = False) -> list[tuple]:
    """Rows as sorted tuples, floats to 6 significant digits; load-time timestamps and per-store
    artifact paths left out unless ``times`` (a copy of one graph keeps them)."""
    cols = [c for c in t.column_names if (times or not pa.types.is_timestamp(t.schema.field(c).type)) and c not in _PER_STORE]
    return sorted((tuple(_norm(r[c], times) for c in cols) for r in t.select(cols).to_pylist()), key=repr)


def test_every_table_is_equal(stores):
    lb, neo = stores
    schema = lb.schema
    for name in schema.nodes:
        a, b = lb.export_nodes(name), neo.export_nodes(name)
        assert a.num_rows == b.num_rows, name
        key = schema.node(name).key
        for c in a.column_names:  # column by column: a failure names the property
            cols = [key] if c == key else [key, c]
            assert _rows(a.select(cols)) == _rows(b.select(cols)), (name, c)
    n_edges = 0
    for e in schema.edges.values():
        for s, d in e.endpoints:
            a, b = lb.export_edges(e.name, src_type=s, dst_type=d), neo.export_edges(e.name, src_type=s, dst_type=d)
            assert _rows(a) == _rows(b), (e.name, s, d)
            n_edges += a.num_rows
    assert n_edges > 2_000


def _example_params(q: library.Query) -> dict[str, str]:
    words = shlex.split(q.example)
    return dict(words[i + 1].split("=", 1) for i, w in enumerate(words) if w == "--param")


# params that make the examples bite on the quick graph (its genes are chr20's); limits lifted so
# ties at a LIMIT cannot pick different rows on the two stores
_EXTRA = {
    "variants_in_gene_regulatory_elements": [{"gene": "SLX4IP"}],
    "credible_set_variants": [{"trait": "LDL", "min_pip": "0.1"}],
    "top_effect_variants_near_gene": [{"gene": "SLX4IP", "window": "500000"}],
}


def _graph_params(s) -> dict[str, list[dict[str, str]]]:
    """Parameters taken from the graph itself, so each query has a case with rows."""

    def one(q: str) -> dict:
        rows = s.query(q).to_pylist()
        assert rows, q
        return rows[0]

    g = one("MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway) RETURN g.symbol AS sym, count(p) AS n ORDER BY n DESC, sym LIMIT 1")["sym"]
    p = one("MATCH (:Gene)-[:IN_PATHWAY]->(p:Pathway) RETURN p.id AS pid ORDER BY pid LIMIT 1")["pid"]
    a = one("MATCH (g:Gene)-[:ASSOCIATED_WITH]->(p:Phenotype) RETURN g.symbol AS sym, p.id AS pid ORDER BY sym, pid LIMIT 1")
    v = one("MATCH (v:Variant)-[:IN_ELEMENT]->(:RegulatoryElement) RETURN v.id AS vid ORDER BY vid LIMIT 1")["vid"]
    x = one("MATCH (:Variant)-[:AFFECTS]->(g:Gene) RETURN g.symbol AS sym ORDER BY sym LIMIT 1")["sym"]
    c = one("MATCH (:Gene)-[:CAUSAL_FOR]->(p:Phenotype) RETURN p.id AS pid ORDER BY pid LIMIT 1")["pid"]
    return {
        "genes_sharing_pathways": [{"gene": g, "min_shared": "1"}],
        "pathway_members": [{"pathway": p}],
        "phenotypes_of_gene": [{"gene": a["sym"]}],
        "genes_for_phenotype": [{"phenotype": a["pid"]}],
        "variant_report": [{"variant": v}],
        "tfs_disrupted_by_variant": [{"variant": v, "min_abs_delta": "0"}],
        "variants_affecting_gene": [{"gene": x}],
        "causal_paths_to_phenotype": [{"phenotype": c}],
    }


def test_every_library_query_gives_the_same_rows(stores):
    lb, neo = stores
    nonempty = 0
    derived = _graph_params(lb)
    for q in library.all_queries():
        for params in [_example_params(q), *_EXTRA.get(q.name, []), *derived.get(q.name, [])]:
            if any(p.name == "limit" for p in q.parameters):
                params = params | {"limit": "100000"}
            a, b = library.run(lb, q.name, params), library.run(neo, q.name, params)
            assert a.column_names == b.column_names, q.name
            assert _rows(a) == _rows(b), (q.name, params)
            nonempty += a.num_rows > 0
    assert nonempty >= 15


def test_nearest_neighbours_agree(stores):
    lb, neo = stores
    emb = lb.query("MATCH (v:Variant) WHERE v.seq_embedding IS NOT NULL RETURN v.id AS id, v.seq_embedding AS e ORDER BY v.id")
    assert emb.num_rows == 50
    probe = _embeddings(50)[0]
    want = emb.column("id").to_pylist()[:5]  # embeddings were written in id order, nearest first
    a = lb.nearest("Variant", property="seq_embedding", vector=probe, k=5)
    b = neo.nearest("Variant", property="seq_embedding", vector=probe, k=5)
    assert a.column("id").to_pylist() == b.column("id").to_pylist() == want
    assert a.column("score").to_pylist() == pytest.approx([1, 0.97, 0.94, 0.91, 0.88], abs=1e-5)
    assert b.column("score").to_pylist() == pytest.approx([1, 0.97, 0.94, 0.91, 0.88], abs=1e-2)


def test_bulk_export_then_admin_import_gives_the_same_graph(stores, tmp_path):
    """`varkg neo4j bulk-export` of the embedded graph, the real `neo4j-admin database import full`
    into a second server's (stopped) database, then that server started: every table equal, timestamps
    included; the schema's constraints and indexes (Community DDL) then apply on the imported data."""
    import os

    from varkg.store import open_store
    from varkg.store.neo4j import bulk_export
    from varkg.store.neo4j_server import Neo4jServer, NeoServerConfig, free_port, lib_ready

    if not lib_ready():
        pytest.skip("the Neo4j jars are not in tools/neo4j/lib (run `make neo4j-lib`)")
    lb, _ = stores
    cmd, n = bulk_export(lb, tmp_path / "import")
    assert n >= 15 and cmd.startswith("neo4j-admin database import full")
    server = Neo4jServer(
        NeoServerConfig(data=tmp_path / "neo4j", bolt=f"127.0.0.1:{free_port()}", http=None, heap="512m", pagecache="128m"),
        password=os.environ["NEO4J_PASSWORD"],
    )
    report = server.admin_import(tmp_path / "import")
    assert "IMPORT DONE" in report, report[-2000:]
    server.start()
    try:
        neo = open_store(server.uri)
        for name in lb.schema.nodes:
            assert _rows(_no_empty_lists(lb.export_nodes(name)), times=True) == _rows(neo.export_nodes(name), times=True), name
        for e in lb.schema.edges.values():
            for s, d in e.endpoints:
                a, b = lb.export_edges(e.name, src_type=s, dst_type=d), neo.export_edges(e.name, src_type=s, dst_type=d)
                assert _rows(_no_empty_lists(a), times=True) == _rows(b, times=True), (e.name, s, d)
        neo.init_schema()
        genes = lb.export_nodes("Gene")
        assert neo.upsert_nodes("Gene", genes).unchanged == genes.num_rows
        neo.close()
    finally:
        server.stop()
