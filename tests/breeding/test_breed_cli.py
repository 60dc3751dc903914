"""``varkg breed``: the error path and a chip manifest through the CLI on the real pig files."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from varkg.cli.main import app


def _args(pig_dir):
    return [
        "--tsv", str(pig_dir / "pig_MSUPRP_geno.tsv.gz"), "--map", str(pig_dir / "pig_MSUPRP_map.tsv"),
        "--pheno", str(pig_dir / "pig_MSUPRP_pheno.tsv"), "--covar", str(pig_dir / "pig_MSUPRP_covar.tsv"),
    ]  # fmt: skip


def test_unknown_trait(pig_dir, tmp_path):
    r = CliRunner().invoke(app, ["breed", "gwas", *_args(pig_dir), "-t", "backfat", "-o", str(tmp_path)])
    assert r.exit_code != 0 and "unknown trait 'backfat'" in r.output and "ph_24h" in r.output


def test_chip_manifest(pig_dir, tmp_path):
    r = CliRunner().invoke(
        app, ["breed", "chip", *_args(pig_dir), "-t", "ph_24h", "--sizes", "500", "--repeats", "0", "-o", str(tmp_path)]
    )
    assert r.exit_code == 0, r.output
    m = pd.read_csv(tmp_path / "manifest_500.csv")
    assert len(m) == 500 and list(m.columns) == ["marker", "chrom", "pos", "alleles", "maf", "reason", "score"]
    assert set(m["reason"]) == {"backbone"}  # no scores given: backbone only
