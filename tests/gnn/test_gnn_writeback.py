"""Write-back idempotence, the Cypher k-hop path, and the CLI on a real store."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _graphs import planted_store
from typer.testing import CliRunner

from varkg.gnn.export import export_graph
from varkg.gnn.model import ModelConfig
from varkg.gnn.query import khop_subgraph
from varkg.gnn.train import TrainConfig, infer_logits, load_checkpoint, predict_variants, train_variant_effect
from varkg.gnn.writeback import EFFECT_PROPERTIES, run_id_for, write_predictions

TINY = ModelConfig(hidden=16, layers=2, heads=2, ea_heads=2, memory_units=8)


@pytest.fixture
def trained(ladybug_store, tmp_path):
    keys, y = planted_store(ladybug_store, n_variants=120)
    ex = export_graph(ladybug_store)
    cfg = TrainConfig(model=TINY, epochs=2, test_chroms=["1"], val_chroms=["2"], device="cpu")
    train_variant_effect(ex, ex.index_of("Variant", keys), y, config=cfg, out_dir=tmp_path / "run")
    return ladybug_store, ex, load_checkpoint(tmp_path / "run" / "model.pt"), keys


def snapshot(store):
    return store.query(
        "MATCH (v:Variant) RETURN v.id AS id, v.effect_score AS s, v.effect_probability AS p, v.effect_rank AS r, "
        "v.prediction_run_id AS run ORDER BY id"
    ).to_pylist()


def test_write_back_is_idempotent_and_queryable(trained):
    store, ex, ck, keys = trained
    pred = predict_variants(ck, ex)
    rid = run_id_for(checkpoint_hash=ck.sha256, release_id=ex.release_id)
    assert rid == run_id_for(checkpoint_hash=ck.sha256, release_id=ex.release_id)
    write_predictions(store, pred, run_id=rid, checkpoint_hash=ck.sha256, release_id=ex.release_id, metrics={"auroc": 0.9})
    first = snapshot(store)
    counts = store.counts()
    again = write_predictions(
        store, pred, run_id=rid, checkpoint_hash=ck.sha256, release_id=ex.release_id, metrics={"auroc": 0.9}
    )
    assert snapshot(store) == first and store.counts() == counts
    assert again["cleared"] == 120 and counts["PredictionRun"] == 1
    assert sorted(r["r"] for r in first) == list(range(1, 121))
    hi = store.query("MATCH (v:Variant) WHERE v.effect_probability > $t RETURN v.id AS id ORDER BY id", {"t": 0.5})
    assert hi.column("id").to_pylist() == sorted(k for k, p in zip(pred["key"], pred["probability"], strict=False) if p > 0.5)
    run = store.query("MATCH (r:PredictionRun) RETURN r.id AS id, r.checkpoint_hash AS h, r.release_id AS rel").to_pylist()
    assert run == [{"id": rid, "h": ck.sha256, "rel": ex.release_id}]
    # a re-run that scores fewer variants replaces the run's values: no stale predictions remain
    half = {k: v[:60] for k, v in pred.items()}
    write_predictions(store, half, run_id=rid, checkpoint_hash=ck.sha256, release_id=ex.release_id)
    now = snapshot(store)
    assert sum(r["run"] == rid for r in now) == 60
    assert all(r["p"] is None for r in now if r["run"] is None)
    assert set(EFFECT_PROPERTIES) <= set(store.schema.node("Variant").properties)


def test_cypher_khop_gives_the_same_predictions_as_the_full_export(trained):
    store, ex, ck, keys = trained
    seeds = keys[5:12]
    sub = khop_subgraph(store, seeds, node_type="Variant", edge_types=ck.model.metadata[1], num_hops=2, encoder=ck.encoder)
    assert sub.keys["Variant"][: len(seeds)].tolist() == seeds
    got = infer_logits(ck.model, ck.conform(sub.data), np.arange(len(seeds)))
    full = infer_logits(ck.model, ck.conform(ex.data), ex.index_of("Variant", seeds))
    np.testing.assert_allclose(got, full, atol=1e-5)
    small = khop_subgraph(
        store, seeds, node_type="Variant", edge_types=ck.model.metadata[1], num_hops=2, encoder=ck.encoder, fanouts=[1, 2]
    )
    for et in small.data.edge_types:
        ei = small.data[et].edge_index
        if ei.numel():
            assert np.bincount(ei[1].numpy()).max() <= 2


def test_cli_predict_writes_back(trained, tmp_path):
    from varkg.cli.gnn import app

    store, ex, ck, keys = trained
    loc = store.location
    store.close()
    r = CliRunner().invoke(app, ["predict", "--checkpoint", str(ck.path), "--store", loc])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["predicted"] == 120 and out["written"] == 120
    r2 = CliRunner().invoke(app, ["predict", "--checkpoint", str(ck.path), "--store", loc])
    assert json.loads(r2.output.strip().splitlines()[-1])["run_id"] == out["run_id"]


def test_a_biologist_can_filter_the_ranking_by_gene_and_read_the_lineage_in_cypher(trained, tmp_path):
    from varkg.gnn.evaluate import predict_and_write

    store, ex, ck, keys = trained
    out = predict_and_write(store, checkpoint=ck.path)
    pred = predict_variants(ck, ex)
    top = store.query(
        "MATCH (v:Variant)-[:AFFECTS]->(g:Gene) WHERE v.prediction_run_id = $run AND v.effect_rank <= $k "
        "RETURN g.id AS gene, v.id AS id, v.effect_probability AS p, v.effect_rank AS r ORDER BY r",
        {"run": out["run_id"], "k": 10},
    ).to_pylist()
    order = np.argsort(pred["rank"])[:10]
    assert [t["id"] for t in top] == [pred["key"][i] for i in order]
    assert [t["r"] for t in top] == list(range(1, 11))
    assert all(a["p"] >= b["p"] for a, b in zip(top, top[1:], strict=False))
    assert all(t["gene"].startswith("ENSG") for t in top)
    run = store.query(
        "MATCH (r:PredictionRun {id: $run}) RETURN r.metrics AS m, r.parameters AS p, r.checkpoint_hash AS h",
        {"run": out["run_id"]},
    ).to_pylist()[0]
    m, p = json.loads(run["m"]), json.loads(run["p"])
    assert run["h"] == ck.sha256 and p["calibration"] == "platt"
    assert m["calibration"]["fitted_on"] == "validation" and {"ece", "brier"} <= set(m["calibration"]["platt"])
    assert "logistic_regression" in m["baselines"] and m["auroc"] == ck.metrics["model"]["auroc"]
