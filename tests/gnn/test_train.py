"""Training on a planted graph signal, leakage-safe splits, features, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest
import torch
from _graphs import (
    GENE_CHROMS,
    GENELESS_CHROMS,
    SPARSE_SPLIT,
    clinvar_rows,
    planted_store,
    sparse_real_store,
    write_tsv,
)

from varkg.errors import AnalysisError
from varkg.gnn.export import export_graph
from varkg.gnn.features import FeatureEncoder
from varkg.gnn.model import ModelConfig
from varkg.gnn.splits import remove_label_edges, split_nodes
from varkg.gnn.train import (
    TrainConfig,
    infer_logits,
    load_checkpoint,
    predict_variants,
    train_variant_effect,
)

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


# ------------------------------------------------------------------ sparse graphs from real data


@pytest.fixture(scope="module")
def sparse(shared_data, tmp_path_factory):
    """The real sparse graph (``_graphs.sparse_real_store``) with the ClinVar variants of seven
    chromosomes loaded through :func:`labelled_graph`, and a model trained on it one seed per
    mini-batch (``batch_size=1``: every variant without edges is an edgeless mini-batch)."""
    from varkg.gnn.labels import labelled_graph
    from varkg.store import open_store

    work = tmp_path_factory.mktemp("sparse")
    store = open_store(work / "graph.db")
    store.init_schema()
    sparse_real_store(store, shared_data, work)
    labels = write_tsv(work / "labels.tsv", *clinvar_rows(shared_data, GENE_CHROMS + GENELESS_CHROMS))
    lg = labelled_graph(store, labels)
    res = train_variant_effect(
        lg.export, lg.index, lg.y, config=cfg(epochs=1, batch_size=1, fanouts=[2, 2], **SPARSE_SPLIT), out_dir=work / "run"
    )
    yield store, lg, res, work
    store.close()


def variant_degree(data) -> np.ndarray:
    deg = np.zeros(int(data["Variant"].num_nodes), dtype=np.int64)
    for s, r, d in data.edge_types:
        for side, t in ((0, s), (1, d)):
            if t == "Variant":
                deg += np.bincount(data[s, r, d].edge_index[side].numpy(), minlength=deg.size)
    return deg


def test_sparse_real_graph_has_what_the_tests_need(sparse):
    store, lg, _, _ = sparse
    d = lg.export.data
    deg = variant_degree(d)
    chrom = np.asarray(lg.export.node_tables["Variant"].column("chrom").to_pylist(), dtype=object)
    geneless = np.isin(chrom[lg.index], GENELESS_CHROMS)
    assert (deg[lg.index][geneless] == 0).all() and (deg[lg.index][~geneless] > 0).all()
    assert lg.describe()["labelled_without_edges"] == int(geneless.sum()) > 0
    # a node type with nodes and no edges; schema edge types with zero rows between exported types
    assert d["RegulatoryElement"].num_nodes > 0 and not any("RegulatoryElement" in (s, t) for s, _, t in d.edge_types)
    counts = store.counts()
    for et in (("RegulatoryElement", "REGULATES", "Gene"), ("Variant", "IN_ELEMENT", "RegulatoryElement")):
        assert counts.get("{}-{}->{}".format(*et), 0) == 0 and et not in d.edge_types
    assert ("Gene", "IN_PATHWAY", "Pathway") in d.edge_types


def test_training_on_edgeless_batches_gives_finite_scores_for_every_variant(sparse):
    _, lg, res, work = sparse
    m = res.metrics
    assert all(0.0 <= m[k]["auroc"] <= 1.0 for k in ("model", "logistic_regression", "gradient_boosting", "phylop")), m
    assert np.isfinite(res.history[0]["train_loss"])
    ck = load_checkpoint(work / "run")
    p = predict_variants(ck, lg.export)
    assert p["key"].size == lg.export.data["Variant"].num_nodes and np.isfinite(p["logit"]).all()
    assert sorted(p["rank"].tolist()) == list(range(1, p["key"].size + 1))


def test_isolated_variants_score_the_same_alone_as_in_the_whole_graph(sparse):
    """An edgeless mini-batch (one isolated seed, batch_size=1) and the full-graph pass agree."""
    from varkg.gnn.train import infer_logits

    _, lg, res, _ = sparse
    iso = lg.index[variant_degree(lg.export.data)[lg.index] == 0][:10]
    assert iso.size
    full = infer_logits(res.model, lg.export.data, iso)
    alone = infer_logits(res.model, lg.export.data, iso, batch_size=1)
    np.testing.assert_allclose(alone, full, atol=1e-5)


def test_absent_edge_types_count_as_empty(sparse):
    """Predicting on a graph that lacks edge types the model was trained with (or lacks every
    edge type) is the same as on one that declares them with zero rows."""
    import torch
    from torch_geometric.data import HeteroData

    from varkg.gnn.train import infer_logits

    _, lg, res, _ = sparse
    full = lg.export.data
    declared, absent = HeteroData(), HeteroData()
    for t in full.node_types:
        declared[t].x = absent[t].x = full[t].x
        declared[t].num_nodes = absent[t].num_nodes = full[t].num_nodes
    for et in full.edge_types:
        declared[et].edge_index = torch.zeros(2, 0, dtype=torch.long)
    idx = lg.index[:40]
    a = infer_logits(res.model, declared, idx)
    np.testing.assert_allclose(infer_logits(res.model, absent, idx), a, atol=1e-6)
    np.testing.assert_allclose(infer_logits(res.model, absent, idx, batch_size=7), a, atol=1e-5)


def test_an_edge_type_with_zero_rows_trains(sparse):
    """A schema edge type exported with zero rows (INTERACTS between the loaded genes) is part of
    the model's metadata and training and prediction run with it."""
    from varkg.gnn.export import build_hetero

    _, lg, _, _ = sparse
    ex = lg.export
    edges = {et: ex.data[et].edge_index.numpy() for et in ex.data.edge_types if not et[1].startswith("rev_")}
    edges[("Gene", "INTERACTS", "Gene")] = np.zeros((2, 0), dtype=np.int64)
    ex2 = build_hetero(ex.node_tables, edges, encoder=ex.encoder)
    assert ex2.data["Gene", "INTERACTS", "Gene"].edge_index.shape == (2, 0)
    res = train_variant_effect(ex2, lg.index, lg.y, config=cfg(epochs=1, **SPARSE_SPLIT))
    assert ("Gene", "INTERACTS", "Gene") in res.model.metadata[1]
    assert res.metrics["model"]["auroc"] is not None


def test_a_graph_without_any_edge_type_trains_and_predicts(shared_data, ladybug_store, tmp_path):
    """The crash of issue 16: a store without genes gives a Variant-only graph (no edge type at
    all), where ``HeteroData.edge_index_dict`` raises KeyError; training and prediction now run."""
    from varkg.gnn.labels import labelled_graph

    labels = write_tsv(tmp_path / "labels.tsv", *clinvar_rows(shared_data, GENE_CHROMS + GENELESS_CHROMS))
    lg = labelled_graph(ladybug_store, labels)
    assert lg.export.data.edge_types == [] and lg.describe()["labelled_without_edges"] == lg.index.size
    res = train_variant_effect(lg.export, lg.index, lg.y, config=cfg(epochs=2, **SPARSE_SPLIT), out_dir=tmp_path / "run")
    assert res.model.metadata[1] == [] and res.metrics["model"]["auroc"] is not None
    p = predict_variants(load_checkpoint(tmp_path / "run"), lg.export)
    assert np.isfinite(p["logit"]).all()


def _train_on(store, flip_chroms, *, epochs=4):
    keys, y = planted_store(store, n_variants=150, clinvar_edges=True, flip_chroms=flip_chroms)
    ex = export_graph(store)
    idx = ex.index_of("Variant", keys)
    res = train_variant_effect(ex, idx, y, config=cfg(epochs=epochs, patience=epochs))
    test_logits = infer_logits(res.model, remove_label_edges(ex.data, res.split.test)[0], res.split.test)
    return ex, res, test_logits


def _same_training(a, b) -> bool:
    (_, res_a, _), (_, res_b, _) = a, b
    sa, sb = res_a.model.state_dict(), res_b.model.state_dict()
    return res_a.history == res_b.history and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_test_fold_labels_cannot_reach_training_features_or_weights(tmp_path, monkeypatch):
    """Two graphs that differ only in the test-fold labels (chromosome 1: the label properties,
    the ClinVar edges restating them, and the labels handed to training): every node feature,
    the training history, the weights and the test logits are identical. Negative control: with
    label-edge removal switched off, the same two graphs train differently, so the test can fail."""
    from varkg.store import open_store

    def store(name):
        (tmp_path / name).mkdir()
        s = open_store(tmp_path / name / "graph.db")
        s.init_schema()
        return s

    a, b = _train_on(store("a"), ()), _train_on(store("b"), ("1",))
    (ex_a, res_a, logit_a), (ex_b, res_b, logit_b) = a, b
    assert np.array_equal(res_a.split.test, res_b.split.test) and res_a.split.groups["test"] == ["1"]
    for t in ex_a.data.node_types:
        assert torch.equal(ex_a.data[t].x, ex_b.data[t].x), t
    assert _same_training(a, b)
    assert np.array_equal(logit_a, logit_b)
    # the labels did differ, and so does the evaluation on them
    assert res_a.metrics["model"]["auroc"] != res_b.metrics["model"]["auroc"]

    import varkg.gnn.train as train_mod

    monkeypatch.setattr(train_mod, "remove_label_edges", lambda data, nodes, **kw: (data, 0))
    leaky_a, leaky_b = _train_on(store("c"), ()), _train_on(store("d"), ("1",))
    assert not _same_training(leaky_a, leaky_b)


def test_degree_features_count_genes_neighbours_but_never_variants_or_label_edges(ladybug_store):
    keys, y = planted_store(ladybug_store, n_variants=120, clinvar_edges=True)
    ex = export_graph(ladybug_store)
    gene_cols = ex.encoder.degree_properties("Gene")
    assert "degree:out:ASSOCIATED_WITH:Phenotype" in gene_cols
    every = [c for t in ex.encoder.encodings for c in ex.encoder.degree_properties(t)]
    assert not any(c.endswith(":Variant") for c in every), every  # no count of (labelled) variants
    assert "degree:out:ASSOCIATED_WITH:Phenotype" not in ex.encoder.degree_properties("Variant")  # ClinVar edges
    # disease genes (even) have one disease, the others none: the raw counts are in the node table
    counts = ex.node_tables["Gene"].column("degree:out:ASSOCIATED_WITH:Phenotype").to_pylist()
    assert counts == [1.0 - (i % 2) for i in range(40)]
