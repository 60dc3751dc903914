"""`varkg popgen ld|blocks` through CliRunner on the pig markers."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from varkg.cli.main import app


def _pig_args(shared_data):
    d = shared_data / "pig"
    return [
        "--tsv",
        str(d / "pig_MSUPRP_geno.tsv.gz"),
        "--map",
        str(d / "pig_MSUPRP_map.tsv"),
        "--chrom",
        "1",
        "--max-variants",
        "400",
    ]


def test_blocks_command_writes_table_heatmap_and_graph(shared_data, tmp_path):
    out, png, db = tmp_path / "b.tsv", tmp_path / "ld.png", tmp_path / "g.db"
    r = CliRunner().invoke(
        app,
        [
            "--store",
            str(db),
            "popgen",
            "blocks",
            *_pig_args(shared_data),
            "--assembly",
            "Sscrofa10.2",
            "-o",
            str(out),
            "--heatmap",
            str(png),
            "--heatmap-variants",
            "150",
            "--write",
        ],
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out, sep="\t")
    assert list(t.columns) == ["CHR", "BP1", "BP2", "KB", "NSNPS", "SNPS"] and len(t) > 5
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert "LDBlock:" in r.output and "skipped" in r.output  # pig markers are not Variant nodes


def test_ld_command_and_errors(shared_data, tmp_path):
    out = tmp_path / "ld.tsv"
    r = CliRunner().invoke(
        app, ["popgen", "ld", *_pig_args(shared_data), "--window-kb", "500", "--r2-min", "0.5", "--dprime", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out, sep="\t")
    assert {"r2", "dprime", "r2_haplotype"} <= set(t.columns) and (t["r2"] >= 0.5).all()
    r = CliRunner().invoke(app, ["popgen", "ld", "-o", str(out)])
    assert r.exit_code == 1 and "exactly one of --npy, --bfile, --tsv" in r.output
    r = CliRunner().invoke(app, ["popgen", "ld", *_pig_args(shared_data)[:4], "--chrom", "Z", "-o", str(out)])
    assert r.exit_code == 1 and "chromosome 'Z' is not in the genotypes" in r.output
