"""Training on a planted graph signal, leakage-safe splits, features, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
from _graphs import planted_store

from varkg.errors import AnalysisError
from varkg.gnn.export import export_graph
from varkg.gnn.features import FeatureEncoder
from varkg.gnn.model import ModelConfig
from varkg.gnn.splits import remove_label_edges, split_nodes
from varkg.gnn.train import TrainConfig, load_checkpoint, predict_variants, train_variant_effect

TINY = ModelConfig(hidden=16, layers=2, heads=2, ea_heads=2, memory_units=8, dropout=0.1)


def cfg(**kw) -> TrainConfig:
    base = dict(model=TINY, epochs=15, patience=15, batch_size=64, test_chroms=["1"], val_chroms=["2"], device="cpu")
    return TrainConfig(**(base | kw))


def test_planted_signal_is_recovered_and_baselines_cannot(ladybug_store, tmp_path):
    keys, y = planted_store(ladybug_store)
    ex = export_graph(ladybug_store, out_dir=tmp_path / "export")
    res = train_variant_effect(ex, ex.index_of("Variant", keys), y, config=cfg(), out_dir=tmp_path / "run")
    m = res.metrics
    assert m["model"]["auroc"] > 0.85, m["model"]
    # the signal lives in the graph: graph-free baselines on the variant's own features are near chance
    assert m["logistic_regression"]["auroc"] < 0.7 and m["gradient_boosting"]["auroc"] < 0.7
    for f in ("model.pt", "baselines.pkl", "metrics.json", "reliability.png"):
        assert (tmp_path / "run" / f).stat().st_size > 0
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["schema_hash"] == ladybug_store.schema.hash and manifest["num_nodes"]["Variant"] == 300
    assert (tmp_path / "export" / "id_maps" / "Variant.parquet").exists()
    ck = load_checkpoint(tmp_path / "run")
    assert ck.release_id == ex.release_id and ck.schema_hash == ex.schema_hash
    test_idx = res.split.test
    p = predict_variants(ck, ex, test_idx)
    from sklearn.metrics import roc_auc_score

    label_of = dict(zip(ex.index_of("Variant", keys).tolist(), y.tolist(), strict=False))
    y_test = [label_of[i] for i in test_idx]
    assert roc_auc_score(y_test, p["probability"]) == pytest.approx(m["model"]["auroc"], abs=1e-3)


def test_training_is_reproducible(ladybug_store):
    keys, y = planted_store(ladybug_store, n_variants=120)
    ex = export_graph(ladybug_store)
    idx = ex.index_of("Variant", keys)
    a = train_variant_effect(ex, idx, y, config=cfg(epochs=3))
    b = train_variant_effect(ex, idx, y, config=cfg(epochs=3))
    assert a.history == b.history and a.metrics["model"] == b.metrics["model"]


def test_label_properties_are_never_features(ladybug_store):
    planted_store(ladybug_store, n_variants=50)
    ex = export_graph(ladybug_store)
    cols = ex.encoder.columns("Variant")
    assert not any(c.startswith(("label", "clinical_significance", "review_stars", "pos", "chrom")) for c in cols), cols
    t = pa.table({"id": ["a", "b"], "label_pathogenic": [1, 0], "phylop": [0.5, 0.1], "effect_probability": [0.9, 0.1]})
    enc = FeatureEncoder.fit({"Variant": t})
    assert enc.columns("Variant") == ["phylop"]


def test_clinvar_label_edges_leave_the_graph_for_heldout_variants(ladybug_store):
    keys, y = planted_store(ladybug_store, n_variants=120, clinvar_edges=True)
    ex = export_graph(ladybug_store)
    et = ("Variant", "ASSOCIATED_WITH", "Phenotype")
    idx = ex.index_of("Variant", keys)
    held = idx[:60]
    data, removed = remove_label_edges(ex.data, held)
    for e, side in ((et, 0), (("Phenotype", "rev_ASSOCIATED_WITH", "Variant"), 1)):
        left = set(data[e].edge_index[side].tolist())
        assert not left & set(held.tolist())
        assert left == set(ex.data[e].edge_index[side].tolist()) - set(held.tolist())
    assert removed == 2 * int(y[:60].sum())
    # training reports the removal for val + test
    res = train_variant_effect(ex, idx, y, config=cfg(epochs=1))
    heldout = set(res.split.val.tolist()) | set(res.split.test.tolist())
    lab = dict(zip(idx.tolist(), y.tolist(), strict=False))
    assert res.metrics["label_edges_removed"] == 2 * sum(lab[i] for i in heldout)


def test_splits_keep_groups_together_and_are_seeded():
    rng = np.random.default_rng(0)
    chrom = rng.choice([str(c) for c in range(1, 23)], 500)
    genes = rng.choice([f"G{i}" for i in range(80)], 500)
    idx = np.arange(500)
    for mode, groups in (("chromosome", chrom), ("gene", genes)):
        s = split_nodes(idx, mode=mode, chrom=chrom, genes=genes, seed=3)
        parts = [set(groups[p]) for p in (s.train, s.val, s.test)]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        assert sorted(np.concatenate([s.train, s.val, s.test]).tolist()) == idx.tolist()
        s2 = split_nodes(idx, mode=mode, chrom=chrom, genes=genes, seed=3)
        assert np.array_equal(s.test, s2.test)
        assert 0.05 < s.test.size / 500 < 0.35
    r = split_nodes(idx, mode="random", seed=1)
    assert r.test.size == 75 and r.val.size == 75
    with pytest.raises(AnalysisError, match="unknown split mode 'tissue'"):
        split_nodes(idx, mode="tissue")  # type: ignore[arg-type]
