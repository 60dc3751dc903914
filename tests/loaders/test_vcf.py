"""VCF loader: splitting (checked against bcftools), normalisation, genotypes, REF checks, errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from varkg.errors import InputError
from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.reference import ReferenceGenome
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders1"


def _variants(path, tmp_path, *, assembly="GRCh37", reference=None, **opts):
    ctx = LoadContext(assembly=assembly, artifacts_dir=tmp_path, reference=reference, options=opts)
    loader = get_loader("vcf")
    frames = [f.validated() for f in loader.frames([Path(path)], context=ctx)]
    return frames, ctx, loader


def _bcftools_split_count(path: Path) -> int:
    if shutil.which("bcftools") is None:
        pytest.skip("bcftools is not installed (apt-get install bcftools)")
    out = subprocess.run(["bcftools", "norm", "-m-any", "-Ov", str(path)], check=True, capture_output=True, text=True).stdout
    return sum(1 for line in out.splitlines() if line and not line.startswith("#") and line.split("\t")[4] not in (".", "*"))


@pytest.mark.parametrize("name", ["hapmap_exome_chr22.vcf.gz", "kgp_chr20_1-4Mb_reference.vcf.gz"])
def test_split_count_matches_bcftools(shared_data, tmp_path, name):
    path = shared_data / "variants" / name
    frames, ctx, loader = _variants(path, tmp_path)
    n = sum(f.table.num_rows for f in frames if f.type == "Variant")
    assert n == _bcftools_split_count(path)
    assert loader.stats["duplicates"] == 0


def test_multiallelic_split_and_genotypes(shared_data, tmp_path):
    import cyvcf2

    path = shared_data / "variants" / "hapmap_exome_chr22.vcf.gz"
    frames, ctx, _ = _variants(path, tmp_path)
    ids = [i for f in frames if f.type == "Variant" for i in f.table.column("id").to_pylist()]
    assert len(ids) == 1072  # 1,011 records, 40 of them multi-allelic
    assert "GRCh37:22:18018509:T:C" in ids and "GRCh37:22:18018509:T:TC" in ids
    g = np.load(ctx.artifacts[0], mmap_mode="r")
    assert g.shape == (22, 1072) and g.dtype == np.int8
    sidecar = Path(ctx.artifacts[1]).read_text().split()
    assert sidecar == ids
    # compare one biallelic column with cyvcf2's own genotype calls
    v = next(iter(cyvcf2.VCF(str(path), gts012=True)))
    exp = np.where(v.gt_types == 3, -1, v.gt_types)
    assert np.array_equal(g[:, 0], exp)


def test_af_from_info_and_rsid(shared_data, tmp_path):
    frames, _, _ = _variants(shared_data / "variants" / "kgp_chr20_1-4Mb_reference.vcf.gz", tmp_path, genotypes=False)
    t = frames[0].table.slice(0, 2).to_pylist()
    assert t[0]["id"] == "GRCh37:20:1000226:A:T" and t[0]["rsid"] == "rs376678365" and t[0]["vtype"] == "SNV"
    assert t[0]["af"] == pytest.approx(0.00198807)


def test_left_align_with_reference_and_af_from_genotypes(tmp_path):
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    frames, ctx, loader = _variants(DATA / "mini.vcf", tmp_path, assembly="Test1", reference=ref, consequences="none")
    rows = {r["id"]: r for f in frames for r in f.table.to_pylist()}
    anchor = ref.fetch("T", 313, 314)
    assert f"Test1:T:314:{anchor}C:{anchor}" in rows  # written at 316 as CC>C, left-aligned through the CCC run
    multi = [r for r in rows.values() if r["pos"] == 350]
    assert sorted(r["af"] for r in multi) == [pytest.approx(0.1), pytest.approx(0.2)]
    # records without INFO AF get it from their genotypes
    g = np.load(ctx.artifacts[0])
    assert g.shape == (3, len(rows))
    assert all(r["af"] is not None for r in rows.values())


def test_consequence_edges_end_to_end(ladybug_store, tmp_path):
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    load(ladybug_store, "annotation", [DATA / "mini.gtf"], assembly="Test1", progress=False)
    r = load(ladybug_store, "vcf", [DATA / "mini.vcf"], assembly="Test1", reference=ref, progress=False)
    assert r.results["Variant"]["inserted"] == 18
    t = ladybug_store.query(
        "MATCH (v:Variant)-[a:AFFECTS]->(g:Gene) WHERE v.pos = $p RETURN g.symbol AS g, a.consequence AS c, a.codons AS codons, "
        "v.impact AS i",
        {"p": 116},
    ).to_pylist()
    assert sorted(t, key=lambda r: r["g"]) == [
        {"g": "G1", "c": "stop_gained", "codons": "taC/taG", "i": "HIGH"},
        {"g": "G2", "c": "downstream_gene_variant", "codons": None, "i": "HIGH"},  # G2 is on '-', 284 bp 3' of it
    ]
    again = load(ladybug_store, "vcf", [DATA / "mini.vcf"], assembly="Test1", reference=ref, progress=False)
    assert again.written == 0


def test_ref_mismatch_error_and_skip(tmp_path):
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    with pytest.raises(InputError, match=r"ref_mismatch.vcf:\d+, field 'REF': 1 record\(s\) whose REF differs .*chrT:180"):
        _variants(DATA / "ref_mismatch.vcf", tmp_path, assembly="Test1", reference=ref)
    frames, ctx, loader = _variants(DATA / "ref_mismatch.vcf", tmp_path, assembly="Test1", reference=ref, ref_mismatch="skip")
    assert loader.stats["ref_mismatch"] == 1
    assert sum(f.table.num_rows for f in frames if f.type == "Variant") == 17


def test_ref_mismatch_leaves_graph_unchanged(ladybug_store):
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    with pytest.raises(InputError):
        load(ladybug_store, "vcf", [DATA / "ref_mismatch.vcf"], assembly="Test1", reference=ref, progress=False)
    assert ladybug_store.query("MATCH (v:Variant) RETURN count(*) AS n").column("n")[0].as_py() == 0


def test_unknown_chromosome(tmp_path):
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    with pytest.raises(InputError, match=r"unknown_chrom.vcf:\d+, field 'CHROM': unknown chromosome 'chrQ'"):
        _variants(DATA / "unknown_chrom.vcf", tmp_path, assembly="Test1", reference=ref)


def test_truncated_gzip(tmp_path):
    with pytest.raises(InputError, match="truncated.vcf.gz.*truncated"):
        _variants(DATA / "truncated.vcf.gz", tmp_path, assembly="Test1")


def test_batch_and_genotype_block_boundaries(tmp_path, monkeypatch):
    """Tiny batches and genotype blocks give the same variants, AFs and genotype matrix."""
    import varkg.loaders.vcf as vcf_mod

    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    frames, ctx, _ = _variants(DATA / "mini.vcf", tmp_path / "a", assembly="Test1", reference=ref, consequences="none")
    rows = [r for f in frames for r in f.table.to_pylist()]
    g = np.load(ctx.artifacts[0])
    monkeypatch.setattr(vcf_mod, "_GT_RECORDS", 2)
    frames2, ctx2, _ = _variants(
        DATA / "mini.vcf", tmp_path / "b", assembly="Test1", reference=ref, consequences="none", batch_size=3
    )
    assert len(frames2) == -(-len(rows) // 3)
    assert [r for f in frames2 for r in f.table.to_pylist()] == rows
    assert np.array_equal(np.load(ctx2.artifacts[0]), g)
