"""Contract tests: the same behaviour from every GraphStore backend.

Runs on Ladybug always and on Neo4j where VARKG_NEO4J_URI is set (marker ``neo4j``).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pytest

from varkg.errors import DanglingEdgeError, ReadOnlyError, SchemaError, StoreError, ValidationError


def genes(n=3, symbol_suffix=""):
    return pa.table(
        {
            "id": [f"ENSG{i:011d}" for i in range(n)],
            "symbol": [f"G{i}{symbol_suffix}" for i in range(n)],
            "chrom": ["20"] * n,
            "start": list(range(0, 1000 * n, 1000)),
            "stop": list(range(500, 1000 * n + 500, 1000)),
            "text_embedding": [[float(i)] * 384 for i in range(n)],
        }
    )


def interactions():
    return pa.table(
        {
            "src": ["ENSG00000000000", "ENSG00000000001"],
            "dst": ["ENSG00000000001", "ENSG00000000002"],
            "type": ["ppi", "ppi"],
            "source": ["STRING", "STRING"],
            "score": [0.9, 0.4],
        }
    )


def test_what_goes_in_comes_out(any_store):
    any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    out = any_store.export_nodes("Gene", properties=["symbol", "start", "stop", "text_embedding", "datasets"])
    assert out.column("id").to_pylist() == sorted(genes().column("id").to_pylist())
    assert out.column("symbol").to_pylist() == ["G0", "G1", "G2"]
    assert out.column("start").to_pylist() == [0, 1000, 2000]
    assert out.column("datasets").to_pylist() == [["ds1"]] * 3
    assert np.allclose(np.array(out.column("text_embedding").to_pylist())[:, 0], [0, 1, 2])
    any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene", dataset="ds1")
    e = any_store.export_edges("INTERACTS", src_type="Gene", dst_type="Gene", properties=["score", "type"])
    got = sorted(zip(e.column("src").to_pylist(), e.column("dst").to_pylist(), e.column("score").to_pylist(), strict=False))
    assert got == [("ENSG00000000000", "ENSG00000000001", 0.9), ("ENSG00000000001", "ENSG00000000002", 0.4)]
    idx = any_store.export_edge_index("INTERACTS", src_type="Gene", dst_type="Gene")
    assert sorted(map(tuple, idx.T.tolist())) == [(0, 1), (1, 2)]
    q = any_store.query("MATCH (g:Gene {symbol: $s}) RETURN g.id AS id", {"s": "G1"})
    assert q.column("id").to_pylist() == ["ENSG00000000001"]


def test_reload_is_idempotent(any_store):
    any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene", dataset="ds1")
    before = any_store.counts()
    snap = any_store.export_nodes("Gene").to_pylist()
    r1 = any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    r2 = any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene", dataset="ds1")
    assert r1.inserted == 0 and r2.inserted == 0
    assert any_store.counts() == before
    assert any_store.export_nodes("Gene").to_pylist() == snap


def test_second_dataset_is_recorded_and_values_update(any_store):
    any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    r = any_store.upsert_nodes("Gene", genes(2, symbol_suffix="x"), dataset="ds2")
    assert r.inserted == 0
    out = any_store.export_nodes("Gene", properties=["symbol", "start", "datasets"]).to_pylist()
    assert out[0]["symbol"] == "G0x" and out[0]["datasets"] == ["ds1", "ds2"]
    assert out[2]["symbol"] == "G2" and out[2]["datasets"] == ["ds1"]
    # properties absent from the table are untouched
    any_store.upsert_nodes("Gene", pa.table({"id": ["ENSG00000000000"], "biotype": ["protein_coding"]}))
    row = any_store.export_nodes("Gene", properties=["symbol", "biotype"]).to_pylist()[0]
    assert row == {"id": "ENSG00000000000", "symbol": "G0x", "biotype": "protein_coding"}


def test_edge_identity_uses_key_properties(any_store):
    any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene")
    other = interactions().set_column(3, "source", pa.array(["BioGRID", "BioGRID"]))
    any_store.upsert_edges("INTERACTS", other, src_type="Gene", dst_type="Gene")
    assert any_store.counts()["Gene-INTERACTS->Gene"] == 4
    changed = interactions().set_column(4, "score", pa.array([0.1, 0.4]))
    r = any_store.upsert_edges("INTERACTS", changed, src_type="Gene", dst_type="Gene")
    assert (r.inserted, any_store.counts()["Gene-INTERACTS->Gene"]) == (0, 4)
    e = any_store.export_edges("INTERACTS", src_type="Gene", dst_type="Gene", properties=["source", "score"]).to_pylist()
    assert {(x["src"], x["source"], x["score"]) for x in e} >= {
        ("ENSG00000000000", "STRING", 0.1),
        ("ENSG00000000000", "BioGRID", 0.9),
    }


def test_multi_endpoint_edges(any_store):
    any_store.upsert_nodes("Gene", genes())
    any_store.upsert_nodes("Phenotype", pa.table({"id": ["HP:0001250"], "name": ["Seizure"]}))
    any_store.upsert_nodes(
        "Variant",
        pa.table(
            {"id": ["GRCh38:20:100:A:G"], "assembly": ["GRCh38"], "chrom": ["20"], "pos": [100], "ref": ["A"], "alt": ["G"]}
        ),
    )
    g = pa.table({"src": ["ENSG00000000000"], "dst": ["HP:0001250"], "source": ["HPO"], "study": [""]})
    v = pa.table(
        {
            "src": ["GRCh38:20:100:A:G"],
            "dst": ["HP:0001250"],
            "source": ["GWAS"],
            "study": ["GCST1"],
            "beta": [0.2],
            "pvalue": [1e-9],
        }
    )
    any_store.upsert_edges("ASSOCIATED_WITH", g, src_type="Gene", dst_type="Phenotype")
    any_store.upsert_edges("ASSOCIATED_WITH", v, src_type="Variant", dst_type="Phenotype")
    c = any_store.counts()
    assert c["Gene-ASSOCIATED_WITH->Phenotype"] == 1 and c["Variant-ASSOCIATED_WITH->Phenotype"] == 1


def test_failed_batch_leaves_graph_unchanged(any_store):
    any_store.upsert_nodes("Gene", genes())
    before = any_store.counts()
    dangling = pa.table(
        {
            "src": ["ENSG00000000000", "ENSG00000000001"],
            "dst": ["ENSG00000000002", "ENSG99999999999"],
            "type": ["ppi"] * 2,
            "source": ["S"] * 2,
        }
    )
    with pytest.raises(DanglingEdgeError, match="ENSG99999999999"):
        any_store.upsert_edges("INTERACTS", dangling, src_type="Gene", dst_type="Gene")
    bad_type = pa.table({"id": ["ENSG00000000009", "ENSG00000000010"], "start": ["one", "two"]})
    with pytest.raises(ValidationError, match="Gene.start.type"):
        any_store.upsert_nodes("Gene", bad_type)
    missing_key = pa.table({"symbol": ["X"]})
    with pytest.raises(ValidationError, match="Gene.id.present"):
        any_store.upsert_nodes("Gene", missing_key)
    with pytest.raises(SchemaError, match="unknown node type 'Gen'"):
        any_store.upsert_nodes("Gen", genes())
    with pytest.raises(SchemaError, match="unknown edge type"):
        any_store.upsert_edges("INTERACTS_WITH", dangling, src_type="Gene", dst_type="Gene")
    assert any_store.counts() == before
    r = any_store.upsert_edges("INTERACTS", dangling, src_type="Gene", dst_type="Gene", missing="skip")
    assert r.skipped == 1


def test_edges_without_properties(any_store):
    any_store.upsert_nodes("Gene", genes())
    any_store.upsert_nodes(
        "ChromatinRegion", pa.table({"id": ["GRCh38:20:0-100000"], "chrom": ["20"], "start": [0], "stop": [100000]})
    )
    e = pa.table({"src": ["ENSG00000000000", "ENSG00000000001"], "dst": ["GRCh38:20:0-100000"] * 2})
    assert any_store.upsert_edges("IN_REGION", e, src_type="Gene", dst_type="ChromatinRegion").inserted in (2, 0)
    assert any_store.upsert_edges("IN_REGION", e, src_type="Gene", dst_type="ChromatinRegion").inserted == 0
    assert any_store.counts()["Gene-IN_REGION->ChromatinRegion"] == 2


def test_partial_rows_update_but_cannot_create(any_store):
    v = pa.table({"id": ["GRCh38:20:100:A:G"], "assembly": ["GRCh38"], "chrom": ["20"], "pos": [100], "ref": ["A"], "alt": ["G"]})
    any_store.upsert_nodes("Variant", v)
    any_store.upsert_nodes("Variant", pa.table({"id": ["GRCh38:20:100:A:G"], "pip": [0.9]}))
    with pytest.raises(ValidationError, match=r"Variant.assembly.present: required to create new nodes.*GRCh38:20:200:C:T"):
        any_store.upsert_nodes("Variant", pa.table({"id": ["GRCh38:20:100:A:G", "GRCh38:20:200:C:T"], "pip": [0.5, 0.1]}))
    assert any_store.counts()["Variant"] == 1
    assert any_store.export_nodes("Variant", properties=["pip"]).column("pip").to_pylist() == [0.9]


def test_read_only_queries_refuse_writes(any_store):
    with pytest.raises(ReadOnlyError, match="CREATE"):
        any_store.query("CREATE (g:Gene {id: 'x'})")
    assert any_store.query("MATCH (g:Gene) WHERE g.symbol = 'CREATE' RETURN count(g) AS n").column("n").to_pylist() == [0]


def test_write_back_replacement(any_store):
    any_store.upsert_nodes("Gene", genes())
    any_store.upsert_nodes("Phenotype", pa.table({"id": ["EFO:1"]}))
    e = pa.table(
        {
            "src": ["ENSG00000000000"],
            "dst": ["EFO:1"],
            "method": ["mr_ivw"],
            "run_id": ["r1"],
            "estimate": [0.3],
            "created_at": pa.array([datetime(2026, 1, 1)], pa.timestamp("us")),
        }
    )
    any_store.upsert_edges("CAUSAL_FOR", e, src_type="Gene", dst_type="Phenotype")
    assert any_store.delete_edges("CAUSAL_FOR", src_type="Gene", dst_type="Phenotype", where={"run_id": "r1"}) == 1
    assert any_store.counts()["Gene-CAUSAL_FOR->Phenotype"] == 0
    any_store.upsert_nodes(
        "Gene", pa.table({"id": ["ENSG00000000000"], "expression_prediction": [1.5], "prediction_run_id": ["p1"]})
    )
    assert any_store.unset_node_properties("Gene", properties=["expression_prediction"], where={"prediction_run_id": "p1"}) == 1
    assert (
        any_store.export_nodes("Gene", properties=["expression_prediction"]).column("expression_prediction").to_pylist()
        == [None] * 3
    )
    with pytest.raises(StoreError, match="unconditional"):
        any_store.delete_edges("CAUSAL_FOR", src_type="Gene", dst_type="Phenotype", where={})


def test_schema_version_recorded(any_store):
    from varkg.schema import load_schema

    info = any_store.schema_info()
    assert info["hash"] == load_schema().hash and info["version"] == load_schema().version


def test_upsert_accounting_nodes_and_edges(any_store):
    """inserted / updated / unchanged are the same numbers on every backend, for nodes and edges."""
    r = any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (3, 0, 0)
    r = any_store.upsert_nodes("Gene", genes(), dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 3)
    changed = genes(4, symbol_suffix="")
    changed = changed.set_column(1, "symbol", pa.array(["G0", "G1x", "G2", "G3"]))
    r = any_store.upsert_nodes("Gene", changed, dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (1, 1, 2)
    r = any_store.upsert_nodes("Gene", genes(1), dataset="ds2")  # new provenance counts as an update
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 0)
    r = any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene", dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (2, 0, 0)
    r = any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene", dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (0, 0, 2)
    e = interactions().set_column(4, "score", pa.array([0.9, 0.5]))
    r = any_store.upsert_edges("INTERACTS", e, src_type="Gene", dst_type="Gene", dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 1)
    other = pa.table(
        {"src": ["ENSG00000000000"], "dst": ["ENSG00000000001"], "type": ["coexpression"], "source": ["STRING"], "score": [0.2]}
    )
    r = any_store.upsert_edges("INTERACTS", other, src_type="Gene", dst_type="Gene", dataset="ds1")
    assert (r.inserted, r.updated, r.unchanged) == (1, 0, 0)  # another key property value: a new edge
    assert any_store.counts()["Gene-INTERACTS->Gene"] == 3


def test_transaction_groups_upserts_and_rolls_back(any_store):
    """Upserts inside ``transaction()`` commit together; an error rolls all of them back."""
    with any_store.transaction():
        any_store.upsert_nodes("Gene", genes(), dataset="ds1")
        # edges see the nodes written earlier in the same, uncommitted transaction
        any_store.upsert_edges("INTERACTS", interactions(), src_type="Gene", dst_type="Gene", dataset="ds1")
    assert any_store.counts()["Gene-INTERACTS->Gene"] == 2
    before = any_store.counts()
    with pytest.raises(DanglingEdgeError):
        with any_store.transaction():
            any_store.upsert_nodes(
                "Gene", pa.table({"id": ["ENSG00000000007"], "symbol": ["N"], "chrom": ["20"], "start": [1], "stop": [2]})
            )
            any_store.upsert_edges(
                "INTERACTS",
                pa.table({"src": ["ENSG00000000007"], "dst": ["ENSG00000000099"], "type": ["ppi"], "source": ["S"]}),
                src_type="Gene",
                dst_type="Gene",
            )
    assert any_store.counts() == before


def test_nearest_neighbours_by_embedding(any_store):
    """Cosine top-k over stored embeddings: Neo4j's vector index (db.index.vector.queryNodes) and the
    embedded store's exact scan give the same hits and scores as numpy."""
    rng = np.random.default_rng(7)
    n = 60
    # cosines to the probe spaced 0.03 apart (random vectors are near-orthogonal: their ranks past the
    # first are ties within the error of Neo4j's quantised index)
    u = rng.normal(size=384)
    u /= np.linalg.norm(u)
    other = rng.normal(size=(n, 384))
    other -= np.outer(other @ u, u)
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    c = (1 - 0.03 * rng.permutation(n))[:, None]
    emb = (c * u + np.sqrt(1 - c**2) * other).astype(np.float32)
    t = pa.table(
        {
            "id": [f"ENSG{i:011d}" for i in range(n)],
            "symbol": [f"G{i}" for i in range(n)],
            "chrom": ["20"] * n,
            "start": list(range(n)),
            "stop": list(range(1, n + 1)),
            "text_embedding": emb.tolist(),
        }
    )
    any_store.upsert_nodes("Gene", t)
    q = u.astype(np.float32)
    cos = emb @ q / (np.linalg.norm(emb, axis=1) * np.linalg.norm(q))
    want = [f"ENSG{i:011d}" for i in np.argsort(-cos)[:5]]
    got = any_store.nearest("Gene", property="text_embedding", vector=q.tolist(), k=5)
    assert got.column("id").to_pylist() == want
    # Neo4j 5.26 quantises indexed vectors by default (scores within a few 1e-3); the ranking is exact here
    assert np.allclose(got.column("score").to_numpy(), np.sort(cos)[::-1][:5], atol=1e-2)
    with pytest.raises(SchemaError, match="dimension 384"):
        any_store.nearest("Gene", property="text_embedding", vector=[1.0, 2.0], k=5)
    with pytest.raises(SchemaError, match="not an embedding"):
        any_store.nearest("Gene", property="symbol", vector=q.tolist(), k=5)
