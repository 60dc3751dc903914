"""``varkg breed``: the error path, a chip manifest and BayesCπ GS with convergence through the CLI on the real pig files."""

from __future__ import annotations

import pandas as pd
import pytest
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


@pytest.mark.slow
def test_gs_bayescpi_convergence(pig_dir, tmp_path):
    """BayesCπ on every QC-passing marker through the CLI: CV rows and the convergence table."""
    r = CliRunner().invoke(
        app,
        ["breed", "gs", *_args(pig_dir), "-t", "ph_24h", "--models", "bayescpi", "--folds", "2", "--repeats", "1",
         "--bayes-iterations", "300", "--bayes-burn-in", "100", "--convergence", "-o", str(tmp_path)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    conv = pd.read_csv(tmp_path / "convergence.csv")
    assert list(conv["parameter"]) == ["sigma2_e", "sigma2_g", "pi"]
    assert {"geweke_z1", "geweke_z2", "rhat"} <= set(conv.columns) and (conv["kept_per_chain"] == 20).all()
    assert conv["rhat"].notna().all() and conv.loc[conv["parameter"] == "pi", "mean"].between(0, 1).all()
    cv = pd.read_csv(tmp_path / "cv.csv")
    assert set(cv["model"]) == {"bayescpi"} and len(cv) == 3  # 2 folds + the pooled row
