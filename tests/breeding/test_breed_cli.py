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
    assert set(m["reason"]) == {"backbone", "tag"}  # no scores given: no candidates
    assert "tags" in r.output and "of the MAF-passing markers" in r.output


def test_chip_curve_with_gwas_scores_and_tag_options(pig_dir, tmp_path):
    """Candidates from a score table, LD tags at r² 0.5 in 500 kb, the curve with coverage and its plot."""
    geno = pd.read_csv(pig_dir / "pig_MSUPRP_map.tsv", sep="\t")
    scores = tmp_path / "scores.tsv"
    pd.DataFrame({"marker": geno["snp"], "score": range(len(geno))}).to_csv(scores, sep="\t", index=False)
    r = CliRunner().invoke(
        app,
        ["breed", "chip", *_args(pig_dir), "-t", "ph_24h", "--sizes", "400", "--repeats", "1", "--scores", str(scores),
         "--tag-r2", "0.5", "--tag-kb", "500", "--tag-share", "0.4", "--candidate-share", "0.1", "-o", str(tmp_path)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    m = pd.read_csv(tmp_path / "manifest_400.csv")
    counts = m["reason"].value_counts()
    assert counts["candidate"] == 40 and 0 < counts["tag"] <= 160
    curve = pd.read_csv(tmp_path / "panel_curve.csv")
    assert set(curve["panel"]) == {"all", "designed", "random", "evenly_spaced"} and curve["coverage"].between(0, 1).all()
    assert (tmp_path / "panel_curve.png").stat().st_size > 10_000


def test_chip_bad_shares(pig_dir, tmp_path):
    args = ["-t", "ph_24h", "--sizes", "500", "--repeats", "0", "--tag-share", "0.9", "-o", str(tmp_path)]
    r = CliRunner().invoke(app, ["breed", "chip", *_args(pig_dir), *args])
    assert r.exit_code != 0 and "candidate_share + tag_share" in r.output


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
