"""`varkg popgen fst|scan` through CliRunner on the real chr20 1000 Genomes artifacts."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from varkg.cli.main import app

PANEL = "variants/1000G_phase3_integrated_call_samples.panel"
KGP = "variants/kgp_chr20_1-4Mb_reference.vcf.gz"


def test_fst_command(kgp_artifacts, shared_data, tmp_path):
    out, png = tmp_path / "fst.tsv", tmp_path / "fst.png"
    args = ["popgen", "fst", "--npy", str(kgp_artifacts), "--panel", str(shared_data / PANEL)]
    r = CliRunner().invoke(
        app, [*args, "--pop1", "FIN", "--pop2", "IBS", "--window", "100000", "-o", str(out), "--png", str(png)]
    )
    assert r.exit_code == 0, r.output
    assert "hudson Fst FIN vs IBS: 0.0126" in r.output and "7,222 monomorphic" in r.output
    t = pd.read_csv(out, sep="\t")
    assert len(t) == 24_990 and {"freq_FIN", "freq_IBS", "fst"} <= set(t.columns)
    assert (tmp_path / "fst.windows.tsv").exists() and png.stat().st_size > 10_000
    r = CliRunner().invoke(app, [*args, "--pop1", "FIN", "--pop2", "YRI", "-o", str(out)])
    assert r.exit_code != 0 and "unknown population 'YRI'" in r.output and "CEU" in r.output


def test_scan_command(kgp_artifacts, shared_data, tmp_path):
    out, png = tmp_path / "x.parquet", tmp_path / "x.png"
    base = ["popgen", "scan", "--npy", str(kgp_artifacts), "--panel", str(shared_data / PANEL), "--max-variants", "1500"]
    r = CliRunner().invoke(
        app,
        [
            *base,
            "--vcf",
            str(shared_data / KGP),
            "--stat",
            "xpehh",
            "--pop1",
            "FIN",
            "--pop2",
            "IBS",
            "-o",
            str(out),
            "--png",
            str(png),
        ],
    )
    assert r.exit_code == 0, r.output
    t = pd.read_parquet(out)
    assert t["score"].notna().sum() > 1000 and png.stat().st_size > 10_000
    r = CliRunner().invoke(app, [*base, "--stat", "ihs", "-p", "FIN", "-o", str(out)])
    assert r.exit_code != 0 and "need phased haplotypes" in r.output


def test_fst_write_names_the_skipped_and_the_next_step(kgp_artifacts, shared_data, tmp_path):
    """--write into a store without the Variants: nothing written, every defined Fst counted as
    skipped, the message says to load the variants first; a Dataset node is still recorded."""
    from varkg.store import open_store

    db = tmp_path / "g.db"
    args = ["--store", str(db), "popgen", "fst", "--npy", str(kgp_artifacts), "--panel", str(shared_data / PANEL)]
    r = CliRunner().invoke(
        app, [*args, "--pop1", "FIN", "--pop2", "IBS", "--max-variants", "800", "-o", str(tmp_path / "f.tsv"), "--write"]
    )
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    t = pd.read_csv(tmp_path / "f.tsv", sep="\t")
    n = int(t["fst"].notna().sum())
    assert f"0 edges written, {n:,} skipped" in said and "load them first" in said
    assert "SELECTION_SIGNAL (fst_hudson)" in said and "next: varkg query" in said
    assert "MATCH (v:Variant)-[s:SELECTION_SIGNAL]->(p:Population)" in said
    store = open_store(str(db))
    try:
        assert store.query("MATCH (d:Dataset) RETURN d.loader AS l").column("l").to_pylist() == ["popgen.fst"]
    finally:
        store.close()
