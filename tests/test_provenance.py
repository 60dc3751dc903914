"""varkg.provenance on the embedded Ladybug store: replace_run, run ids, Dataset and Release nodes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from varkg.errors import VarkgError
from varkg.provenance import (
    CausalRun,
    EdgeWrite,
    NodeWrite,
    PredictionRun,
    cut_release,
    latest_release,
    record_dataset,
    replace_run,
    run_id,
    utc_now,
)

VARIANTS = ["GRCh38:20:100:A:G", "GRCh38:20:200:C:T", "GRCh38:20:300:G:A"]
GENES = ["ENSG00000000001", "ENSG00000000002"]


@pytest.fixture()
def store(tmp_path: Path, variant_nodes):  # type: ignore[no-untyped-def]
    from varkg.store import open_store

    s = open_store(tmp_path / "kg.db")
    s.init_schema()
    s.upsert_nodes("Variant", variant_nodes(VARIANTS))
    s.upsert_nodes("Gene", pa.table({"id": GENES}))
    s.upsert_nodes("Phenotype", pa.table({"id": ["EFO:1"]}))
    yield s
    s.close()


def _effects(ids: list[str], scores: list[float], rid: str) -> pa.Table:
    return pa.table({"id": ids, "effect_score": pa.array(scores, pa.float64()), "prediction_run_id": [rid] * len(ids)})


def _prediction_run(rid: str) -> PredictionRun:
    return PredictionRun(rid, "variant-effect", "toy", "abc", "release-1", parameters={"lr": 0.1}, metrics={"auroc": 0.9})


def _node_values(store) -> dict:  # type: ignore[no-untyped-def]
    t = store.query("MATCH (v:Variant) RETURN v.id AS id, v.effect_score AS s, v.prediction_run_id AS run ORDER BY id")
    return {r["id"]: (r["s"], r["run"]) for r in t.to_pylist()}


def test_rerun_replaces_node_properties_and_keeps_one_run_node(store) -> None:  # type: ignore[no-untyped-def]
    rid = run_id("gnn-variant-effect", checkpoint_hash="abc", release_id="release-1")
    props = ["effect_score", "prediction_run_id"]
    r1 = replace_run(
        store,
        _prediction_run(rid),
        nodes=[NodeWrite("Variant", _effects(VARIANTS, [1.0, 2.0, 3.0], rid), clear=props, run_property="prediction_run_id")],
    )
    assert (r1.cleared, r1.written) == (0, 3)
    # the same run again on two of the three variants: the third loses the run's value, nothing duplicated
    r2 = replace_run(
        store,
        _prediction_run(rid),
        nodes=[NodeWrite("Variant", _effects(VARIANTS[:2], [5.0, 6.0], rid), clear=props, run_property="prediction_run_id")],
    )
    assert (r2.cleared, r2.written) == (3, 2)
    assert _node_values(store) == {VARIANTS[0]: (5.0, rid), VARIANTS[1]: (6.0, rid), VARIANTS[2]: (None, None)}
    runs = store.query("MATCH (r:PredictionRun) RETURN r.id AS id, r.metrics AS m, r.created_at AS t").to_pylist()
    assert [r["id"] for r in runs] == [rid] and runs[0]["m"] == '{"auroc":0.9}'
    assert store.counts()["Variant"] == 3


def test_rerun_replaces_edges_without_duplicates(store) -> None:  # type: ignore[no-untyped-def]
    run = CausalRun(run_id("mr", scope="g;t"), "mr", "varkg-mr/1 varkg 0", None, {"p": 5e-8})
    two = pa.table({"src": GENES, "dst": ["EFO:1"] * 2, "method": ["mr_ivw"] * 2, "run_id": [run.id] * 2, "estimate": [0.1, 0.2]})
    r1 = replace_run(store, run, edges=[EdgeWrite("CAUSAL_FOR", "Gene", "Phenotype", two)])
    assert (r1.deleted, r1.written) == (0, 2)
    one = pa.table({"src": GENES[:1], "dst": ["EFO:1"], "method": ["mr_ivw"], "run_id": [run.id], "estimate": [0.5]})
    r2 = replace_run(store, run, edges=[EdgeWrite("CAUSAL_FOR", "Gene", "Phenotype", one)])
    assert (r2.deleted, r2.written) == (2, 1)
    got = store.query(
        "MATCH (g:Gene)-[c:CAUSAL_FOR]->(p:Phenotype) RETURN g.id AS g, c.estimate AS e, c.datasets AS ds"
    ).to_pylist()
    assert got == [{"g": GENES[0], "e": 0.5, "ds": [f"causal:{run.id}"]}]
    assert store.counts()["CausalRun"] == 1
    # another run's edges are left alone
    other = CausalRun(run_id("mr", scope="other"), "mr", "v", None)
    replace_run(
        store, other, edges=[EdgeWrite("CAUSAL_FOR", "Gene", "Phenotype", one.set_column(3, "run_id", pa.array([other.id])))]
    )
    replace_run(store, run, edges=[EdgeWrite("CAUSAL_FOR", "Gene", "Phenotype", one.slice(0, 0))])
    left = store.query("MATCH (:Gene)-[c:CAUSAL_FOR]->(:Phenotype) RETURN c.run_id AS r").column("r").to_pylist()
    assert left == [other.id] and store.counts()["CausalRun"] == 2


def test_a_failed_rerun_leaves_the_previous_values(store) -> None:  # type: ignore[no-untyped-def]
    """Behaviour fix: the GNN write-back cleared the run's properties outside any transaction, so a
    write that failed afterwards left the nodes without predictions. replace_run is one transaction."""
    rid = "gnn-variant-effect-0000000000000000"
    props = ["effect_score", "prediction_run_id"]
    replace_run(
        store,
        _prediction_run(rid),
        nodes=[NodeWrite("Variant", _effects(VARIANTS, [1.0, 2.0, 3.0], rid), clear=props, run_property="prediction_run_id")],
    )
    bad = pa.table({"id": VARIANTS, "effect_score": ["x", "y", "z"], "prediction_run_id": [rid] * 3})  # strings: fails validation
    with pytest.raises(VarkgError):
        replace_run(store, _prediction_run(rid), nodes=[NodeWrite("Variant", bad, clear=props, run_property="prediction_run_id")])
    assert _node_values(store) == {v: (s, rid) for v, s in zip(VARIANTS, [1.0, 2.0, 3.0], strict=True)}


def test_gnn_writeback_is_one_transaction(store) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from varkg.gnn.writeback import run_id_for, write_predictions

    rid = run_id_for(checkpoint_hash="abc", release_id="release-1")
    pred = {
        "key": np.array(VARIANTS),
        "logit": np.array([1.0, 2.0, 3.0]),
        "probability": np.array([0.1, 0.2, 0.3]),
        "rank": np.array([3, 2, 1]),
    }
    write_predictions(store, pred, run_id=rid, checkpoint_hash="abc", release_id="release-1")
    bad = dict(pred, key=np.array(["GRCh38:20:999:A:C", *VARIANTS[1:]]))  # a key that is not a Variant node yet: no assembly
    with pytest.raises(VarkgError):
        write_predictions(store, bad, run_id=rid, checkpoint_hash="abc", release_id="release-1")
    assert _node_values(store) == {v: (s, rid) for v, s in zip(VARIANTS, [1.0, 2.0, 3.0], strict=True)}


def test_run_ids_one_scheme() -> None:
    from varkg.causal.writeback import new_run
    from varkg.gnn.writeback import run_id_for

    a = run_id("lm-score", node_type="Variant", model_id="m@1")
    assert a == run_id("lm-score", model_id="m@1", node_type="Variant") != run_id("lm-score", node_type="Gene", model_id="m@1")
    gnn = run_id_for(checkpoint_hash="ab", release_id="r1")
    causal = new_run("mr", method_version="v1", parameters={"p": 1}, scope="x").id
    for rid, prefix in [(a, "lm-score-"), (gnn, "gnn-variant-effect-"), (causal, "mr-")]:
        assert rid.startswith(prefix) and len(rid) == len(prefix) + 16
        int(rid[len(prefix) :], 16)


def test_timestamps_are_naive_utc_seconds() -> None:
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    t = utc_now()
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert t.tzinfo is None and t.microsecond == 0
    assert before <= t <= after  # UTC, not local time; bracketed, so no allowance for a slow machine
    assert CausalRun("c", "mr", "v", None).table().schema.field("created_at").type == pa.timestamp("us")
    assert PredictionRun("p", "t", "m", "h").table().schema.field("created_at").type == pa.timestamp("us")


def test_dataset_keeps_first_load_time_and_release(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "a.tsv"
    f.write_text("x\n")
    kw = dict(
        dataset_id="demo:a:123",
        name="a",
        loader="demo",
        version=None,
        paths=[f],
        checksum="123",
        assembly="GRCh38",
        row_counts={"Variant": 3},
        parameters={"k": 1},
    )
    record_dataset(store, **kw)
    t1 = store.query("MATCH (d:Dataset) RETURN d.loaded_at AS t, d.paths AS p").to_pylist()[0]
    record_dataset(store, **kw)
    t2 = store.query("MATCH (d:Dataset) RETURN d.loaded_at AS t").to_pylist()
    assert t2 == [{"t": t1["t"]}] and t1["p"] == [str(f.resolve())]
    assert latest_release(store) is None
    rel = cut_release(store)
    assert rel["datasets"] == ["demo:a:123"] and latest_release(store) == rel["id"] == cut_release(store)["id"]
