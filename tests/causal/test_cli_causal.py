"""``varkg causal`` commands through Typer's CliRunner, on real data where the task names it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from varkg.causal.simulate import marginal_sumstats, pick_low_ld, sample_genotypes, simulate_trait
from varkg.cli.main import app

runner = CliRunner()


def test_finemap_cli_on_n3(shared_data: Path, tmp_path: Path) -> None:
    d = shared_data / "finemapping"
    out = tmp_path / "pips.tsv"
    finemap = ["causal", "finemap", "--genotypes", str(d / "N3_X.tsv.gz"), "--phenotypes", str(d / "N3_Y.tsv.gz")]
    r = runner.invoke(app, [*finemap, "--column", "1", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    pips = pd.read_csv(out, sep="\t")
    ref = pd.read_csv(d / "N3_y1_susieR_pip.tsv", sep="\t")["pip"].to_numpy()
    assert len(pips) == 1001 and pips["variant"].tolist() == list(range(1, 1002))
    assert np.max(np.abs(pips["pip"].to_numpy() - ref)) < 0.01
    cs = pd.read_csv(tmp_path / "pips.cs.tsv", sep="\t")
    members = {int(v) for s in cs["variants"] for v in str(s).split(",")}
    assert {403, 653, 773} <= members
    bad = runner.invoke(app, [*finemap, "--column", "3", "--out", str(out)])
    assert bad.exit_code == 1 and "--column 3 is out of range" in bad.output


def test_mr_smr_coloc_cli_with_write_back(panel, ld, ref_genotypes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    causal = pick_low_ld(ld, 3, seed=2)
    Gx, Gy = sample_genotypes(panel, 3000, seed=rng), sample_genotypes(panel, 5000, seed=rng)
    ex = simulate_trait(Gx, {j: 0.3 for j in causal}, seed=rng)
    y = simulate_trait(Gy, {}, extra=0.4 * simulate_trait(Gy, {j: 0.3 for j in causal}, seed=rng), seed=rng)
    e, g = tmp_path / "eqtl.tsv", tmp_path / "gwas.tsv"
    marginal_sumstats(Gx, ex, panel).rename(columns={"p": "pvalue"}).to_csv(e, sep="\t", index=False)
    marginal_sumstats(Gy, y, panel).to_csv(g, sep="\t", index=False)
    np.save(tmp_path / "ref.npy", ref_genotypes)
    pd.DataFrame(dict(snp=panel.snp, alt=panel.alt)).to_csv(tmp_path / "ids.tsv", sep="\t", index=False)

    import pyarrow as pa

    from varkg.store import open_store

    db = tmp_path / "kg.db"
    s = open_store(db)
    s.init_schema()
    s.upsert_nodes("Gene", pa.table(dict(id=["ENSG00000101000"])))
    s.upsert_nodes("Phenotype", pa.table(dict(id=["EFO:0004611"])))
    s.close()
    common = ["--rename", "pvalue=p"]
    mr_args = [
        "--store",
        str(db),
        "causal",
        "mr",
        "--exposure",
        str(e),
        "--outcome",
        str(g),
        *common,
        "--genotypes",
        str(tmp_path / "ref.npy"),
        "--variant-ids",
        str(tmp_path / "ids.tsv"),
        "--clump-r2",
        "0.01",
        "--exposure-id",
        "ENSG00000101000",
        "--outcome-id",
        "EFO:0004611",
        "--write-back",
    ]
    r = runner.invoke(app, [*mr_args, "--plot", str(tmp_path / "mr.png"), "--out", str(tmp_path / "mr.tsv")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "mr.png").stat().st_size > 10_000
    res = pd.read_csv(tmp_path / "mr.tsv", sep="\t").set_index("method")
    assert res.loc["mr_ivw", "ci_low"] < 0.4 < res.loc["mr_ivw", "ci_high"]
    # again: replaced, not duplicated
    r2 = runner.invoke(app, [*mr_args, "--quiet"])
    assert r2.exit_code == 0, r2.output
    s = open_store(db)
    n = s.query("MATCH (:Gene)-[r:CAUSAL_FOR]->(:Phenotype) RETURN r.method AS m").column("m").to_pylist()
    s.close()
    assert sorted(n) == ["mr_egger", "mr_ivw", "mr_ivw_fe", "mr_weighted_median"]

    r = runner.invoke(
        app,
        [
            "causal",
            "smr",
            "--eqtl",
            str(e),
            "--gwas",
            str(g),
            *common,
            "--genotypes",
            str(tmp_path / "ref.npy"),
            "--variant-ids",
            str(tmp_path / "ids.tsv"),
        ],
    )
    assert r.exit_code == 0, r.output and "p_heidi" in r.output
    r = runner.invoke(app, ["causal", "coloc", "--trait1", str(e), "--trait2", str(g), *common])
    assert r.exit_code == 0, r.output and "pp_h4" in r.output
    bad = tmp_path / "bad.tsv"
    pd.read_csv(e, sep="\t").assign(se=0.0).to_csv(bad, sep="\t", index=False)
    r = runner.invoke(app, ["causal", "mr", "--exposure", str(bad), "--outcome", str(g), *common])
    assert r.exit_code == 1 and "se.is_positive" in r.output
