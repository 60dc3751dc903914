"""varkg.causal.io readers and varkg.causal.batch grouped runs (moved out of the CLI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from varkg.causal.batch import coloc_by_locus, mr_by_exposure
from varkg.causal.io import read_matrix, read_table, read_variant_ids
from varkg.errors import AnalysisError, InputError


def test_read_table_renames_and_reports_bad_renames(tmp_path: Path) -> None:
    p = tmp_path / "t.tsv"
    pd.DataFrame(dict(snp=["rs1"], pvalue=[0.1])).to_csv(p, sep="\t", index=False)
    assert list(read_table(p, ["pvalue=p"]).columns) == ["snp", "p"]
    assert list(read_table(p, ["p=pvalue"]).columns) == ["snp", "pvalue"]  # already uses the wanted name
    with pytest.raises(InputError, match="expects old=new"):
        read_table(p, ["pvalue"])
    with pytest.raises(InputError, match="cannot rename 'x'"):
        read_table(p, ["x=y"])
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "absent.tsv")


def test_read_matrix_text_and_npy(tmp_path: Path) -> None:
    t = tmp_path / "m.tsv"
    t.write_text("0 1 2\n1 1 0\n")
    assert read_matrix(t).tolist() == [[0, 1, 2], [1, 1, 0]]
    np.save(tmp_path / "m.npy", np.eye(2))
    assert read_matrix(tmp_path / "m.npy").tolist() == [[1, 0], [0, 1]]
    t.write_text("0 1 2\n1 x 0\n")
    with pytest.raises(InputError, match=r"m.tsv:2, field 'column 2': not a number: 'x'"):
        read_matrix(t)


def test_read_variant_ids_lines_or_table(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    a.write_text("rs1\n\nrs2\n")
    assert read_variant_ids(a) == (["rs1", "rs2"], None)
    b = tmp_path / "b.tsv"
    b.write_text("snp\talt\nrs1\tA\nrs2\tG\n")
    assert read_variant_ids(b) == (["rs1", "rs2"], ["A", "G"])


def _exposure() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for gene in ("G1", "G2"):  # G1 has a causal slope of 0.5, G2 none (applied below)
        for i in range(4):
            bx = 0.2 + 0.05 * i
            rows.append(dict(gene_id=gene, snp=f"{gene}_{i}", effect_allele="A", other_allele="G", beta=bx, se=0.01, p=1e-20))
    exp = pd.DataFrame(rows)
    out = exp.drop(columns=["gene_id"]).assign(
        beta=lambda d: d["beta"] * np.where(d["snp"].str.startswith("G1"), 0.5, 0.0) + rng.normal(0, 0.001, len(d)), se=0.01
    )
    return exp, out


def test_mr_by_exposure_one_row_per_method_and_notes_for_failed_groups() -> None:
    exp, out = _exposure()
    exp.loc[exp["gene_id"] == "G2", "p"] = 0.5  # no instrument for G2
    b = mr_by_exposure(exp, out, by="gene_id", name="x", p_threshold=5e-8)
    assert list(b.results) == ["G1"]
    ivw = b.table[(b.table["exposure"] == "G1") & (b.table["method"] == "mr_ivw")]
    assert ivw["estimate"].iat[0] == pytest.approx(0.5, abs=0.02)
    note = b.table[b.table["exposure"] == "G2"]
    assert note["method"].tolist() == ["none"] and "no exposure variant" in note["note"].iat[0]
    with pytest.raises(AnalysisError):  # a single exposure raises instead
        mr_by_exposure(exp[exp["gene_id"] == "G2"].drop(columns=["gene_id"]), out, by=None, name="G2")


def test_coloc_by_locus_groups_both_tables() -> None:
    rng = np.random.default_rng(1)
    snps = [f"rs{i}" for i in range(20)]
    z = np.zeros(20)
    z[5] = 8
    t = pd.DataFrame(
        dict(
            snp=snps * 2,
            locus=["L1"] * 20 + ["L2"] * 20,
            beta=np.r_[z, z[::-1]] * 0.01 + rng.normal(0, 1e-4, 40),
            se=0.01,
            eaf=0.3,
            n=5000,
        )
    )
    t["snp"] = t["locus"] + "_" + t["snp"]
    b = coloc_by_locus(t, t, locus="locus")
    assert b.table["locus"].tolist() == ["L1", "L2"] and all(r.pp_h4 > 0.9 for r in b.results.values())
    with pytest.raises(InputError, match="locus column 'x'"):
        coloc_by_locus(t.assign(x=1), t, locus="x")
