from __future__ import annotations

import json

from typer.testing import CliRunner

from varkg.cli.lm import app


def _pretrain(fa, out, *, size: str, window: int, steps: int, batch_size: int) -> list[str]:
    """`lm pretrain` arguments: char tokens, quiet."""
    return ["pretrain", "--fasta", str(fa), "--out", str(out), "--tokenizer", "char", "--size", size] + [
        "--window",
        str(window),
        "--steps",
        str(steps),
        "--batch-size",
        str(batch_size),
        "--quiet",
    ]


def test_pretrain_score_finetune_commands(tmp_path, fasta_file, dna):
    seq = dna(4000, seed=21)
    fa = fasta_file(tmp_path / "ref.fa", {"chr3": seq})
    runner = CliRunner()
    r = runner.invoke(app, _pretrain(fa, tmp_path / "lm", size="tiny", window=64, steps=3, batch_size=4))
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip().splitlines()[-1])["steps"] == 3
    table = tmp_path / "v.tsv"
    table.write_text(
        "chrom\tpos\tref\talt\n"
        + f"3\t1000\t{seq[999]}\t{'A' if seq[999] != 'A' else 'C'}\n"
        + f"chr3\t2000\t{seq[1999]}\t{seq[1999]}TT\n"
    )
    r = runner.invoke(
        app,
        [
            "score",
            "--model",
            str(tmp_path / "lm"),
            "--fasta",
            str(fa),
            "--table",
            str(table),
            "--out",
            str(tmp_path / "s.tsv"),
            "--flank",
            "20",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    rows = (tmp_path / "s.tsv").read_text().splitlines()
    assert rows[0].startswith("id\tllr") and rows[1].startswith("GRCh38:3:1000:") and rows[2].split("\t")[4] == "pll"
    bad = tmp_path / "bad.tsv"
    bad.write_text("chrom\tpos\tref\talt\n" + f"3\t1000\t{'A' if seq[999] != 'A' else 'C'}\tG\n")
    r = runner.invoke(app, ["score", "--model", str(tmp_path / "lm"), "--fasta", str(fa), "--table", str(bad), "--quiet"])
    assert r.exit_code == 1 and "does not match the reference" in r.output
    csv = tmp_path / "t.csv"
    csv.write_text("sequence,label\n" + "".join(f"{dna(30, seed=i)},{i % 2}\n" for i in range(40)))
    r = runner.invoke(
        app,
        [
            "finetune",
            "--model",
            str(tmp_path / "lm"),
            "--train",
            str(csv),
            "--dev",
            str(csv),
            "--test",
            str(csv),
            "--out",
            str(tmp_path / "ft"),
            "--epochs",
            "1",
            "--method",
            "lora",
            "--quiet",
        ],
    )
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.output.strip().splitlines()[-1])["test"]) == {"mcc", "f1", "accuracy", "auroc"}
    args = ["--model", str(tmp_path / "lm"), "--train", str(csv), "--dev", str(csv), "--test", str(csv)]
    r = runner.invoke(app, ["probe", *args, "--out", str(tmp_path / "pr"), "--epochs", "2", "--quiet"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output.strip().splitlines()[-1])
    assert set(res["test"]) == {"mcc", "f1", "accuracy", "auroc"} and 1 <= res["best_epoch"] <= 2
    assert (tmp_path / "pr" / "probe_head.safetensors").exists() and (tmp_path / "pr" / "probe_config.json").exists()


def test_help_has_examples():
    runner = CliRunner()
    for cmd in ("select-vocab", "pretrain", "embed", "score", "finetune", "probe"):
        r = runner.invoke(app, [cmd, "--help"])
        assert r.exit_code == 0 and "Example" in r.output, cmd


def test_score_and_embed_through_the_store(tmp_path, fasta_file, dna, variant_nodes):

    from varkg.cli.main import app as main_app
    from varkg.store import open_store

    seq = dna(3000, seed=4)
    fa = fasta_file(tmp_path / "ref.fa", {"chr20": seq})
    model_dir = tmp_path / "lm"
    runner = CliRunner()
    r = runner.invoke(app, _pretrain(fa, model_dir, size="small", window=48, steps=1, batch_size=2))
    assert r.exit_code == 0, r.output
    db = tmp_path / "g.db"
    st = open_store(db)
    st.init_schema()
    ids = [f"GRCh38:20:{p}:{seq[p - 1]}:{'A' if seq[p - 1] != 'A' else 'T'}" for p in (700, 1500)]
    st.upsert_nodes("Variant", variant_nodes(ids), dataset="t")
    st.close()
    common = ["--model", str(model_dir), "--fasta", str(fa), "--from-store", "--write-store", "--quiet"]
    r = runner.invoke(main_app, ["--store", str(db), "lm", "score", *common])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main_app, ["--store", str(db), "lm", "embed", "--node-type", "Variant", "--flank", "16", *common])
    assert r.exit_code == 0, r.output
    st = open_store(db, read_only=True)
    rows = {x["id"]: x for x in st.export_nodes("Variant").to_pylist()}
    st.close()
    for i in ids:
        assert isinstance(rows[i]["lm_llr"], float) and rows[i]["lm_model_id"].startswith("lm@")
        assert len(rows[i]["seq_embedding"]) == 256
