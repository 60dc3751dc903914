"""Reference FASTA access and the reference loader (tiny fixture + the real bgzipped chr2 excerpt)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from varkg.errors import InputError
from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.reference import ReferenceGenome

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders1"


def test_fixture_fetch_and_softmask():
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    assert ref.chroms == ["T"] and ref.lengths == {"T": 600}
    raw = ref.fetch("chrT", 295, 305, keep_case=True)
    assert raw[:5].isupper() and raw[5:].islower()
    assert ref.fetch("T", 295, 305) == raw.upper()
    assert 0.06 < ref.masked_fraction("T") < 0.07  # 40 of 600 bases lowercase
    with pytest.raises(InputError, match="not in the reference"):
        ref.fetch("1", 0, 10)
    with pytest.raises(InputError, match="outside"):
        ref.fetch("T", 590, 610)


def test_real_bgzipped_chr2(shared_data, tmp_path):
    path = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    ref = ReferenceGenome(path, assembly="GRCh38")
    assert ref.lengths == {"2": 2_333_275}
    assert set(ref.fetch("2", 0, 10_000)) == {"N"}  # the first 10,000 bp are N
    ctx = LoadContext(assembly="GRCh38", artifacts_dir=tmp_path)
    assert list(get_loader("reference").frames([path], context=ctx)) == []
    info = json.loads(Path(ctx.artifacts[0]).read_text())
    assert info["contigs"] == {"2": 2_333_275} and info["assembly"] == "GRCh38"


def test_offset_excerpt(shared_data):
    path = shared_data / "reference" / "hg38_chr22_32000000_32300000.fa"
    ref = ReferenceGenome(path, assembly="GRCh38", offsets={"22": 32_000_000})
    assert ref.lengths["22"] == 32_300_000
    assert ref.covers("22", 32_000_000, 32_000_010) and not ref.covers("22", 0, 10)
