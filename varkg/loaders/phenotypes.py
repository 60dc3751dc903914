"""Gene → phenotype/disease associations from HPO's annotation tables.

Two HPO files (https://hpo.jax.org/data/annotations), both tab-separated with a header:

* ``genes_to_disease.txt``: ``ncbi_gene_id  gene_symbol  association_type  disease_id  source``
  (OMIM/ORPHA diseases; ``association_type`` MENDELIAN, POLYGENIC, UNKNOWN);
* ``genes_to_phenotype.txt``: ``ncbi_gene_id  gene_symbol  hpo_id  hpo_name  frequency  disease_id``
  (HPO terms, each through a disease).

Each row becomes ``(Gene)-[:ASSOCIATED_WITH {source: "HPO", study}]->(Phenotype)``, with
``study`` the association type (genes_to_disease) or the disease the term comes through
(genes_to_phenotype), so one gene–term pair seen through two diseases stays two edges. Genes are
mapped by NCBI gene id first, then symbol (:class:`~varkg.loaders._support.genes.GeneMapper`: the
loaded annotation, plus ``id_map`` tables); unmapped genes are counted in a side table.

Options:
    genes: ``existing`` (default: link only genes already loaded; HPO covers the whole genome,
        a regional graph holds a few hundred genes) or ``create``.
    id_map: id-mapping table(s), comma-separated (e.g. ``annotation/orgHsEgDb_gene_info.tsv.gz``).

Example:
    ``varkg load gene-phenotypes hpo_genes_to_disease.txt``
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.genes import GeneMapper, record_unmapped
from varkg.loaders._support.text import Table, is_missing
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader

_PREFIXES = ("OMIM", "ORPHA", "HP", "MONDO", "DECIPHER")


def _term(value: str, *, path: Path, line: int, field: str) -> str:
    """An ontology id ``PREFIX:local`` (checked: known prefix, non-empty local part)."""
    prefix, sep, local = value.partition(":")
    if not sep or not local or prefix not in _PREFIXES:
        raise InputError(
            f"{field}={value!r} is not an ontology id; expected one of {', '.join(p + ':...' for p in _PREFIXES)}",
            path=path,
            line=line,
            field=field,
        )
    return value


class _Rows:
    def __init__(self) -> None:
        self.src: list[str] = []
        self.dst: list[str] = []
        self.study: list[str] = []
        self.names: dict[str, str] = {}


def _read(path: Path, mapper: GeneMapper, rows: _Rows) -> None:
    t = Table(path)
    c_gene = t.index[t.find("ncbi_gene_id", required=True, what="NCBI gene id")]
    c_sym = t.index[t.find("gene_symbol", required=True, what="gene symbol")]
    term_col = t.find("hpo_id", "disease_id", required=True, what="phenotype or disease id")
    c_term = t.index[term_col]
    by_disease = term_col == "hpo_id"
    c_study = t.index[t.find("disease_id", required=True) if by_disease else t.find("association_type", required=True)]
    c_name = t.index[t.find("hpo_name", required=True)] if by_disease else None
    for lineno, f in t.rows():
        term = _term(f[c_term].strip(), path=path, line=lineno, field=term_col)
        entrez, symbol = f[c_gene].strip(), f[c_sym].strip()
        if is_missing(entrez) and is_missing(symbol):
            raise InputError("row names no gene (ncbi_gene_id and gene_symbol are empty)", path=path, line=lineno, field="gene")
        gid = (None if is_missing(entrez) else mapper.by_entrez.get(entrez.removeprefix("NCBIGene:"))) or mapper.gene(
            symbol, kind="symbol"
        )
        if gid is None:
            continue
        rows.src.append(gid)
        rows.dst.append(term)
        rows.study.append(f[c_study].strip())
        if c_name is not None and f[c_name].strip():
            rows.names.setdefault(term, f[c_name].strip())


@register_loader("gene-phenotypes")
class GenePhenotypesLoader(Loader):
    """Gene → disease/phenotype (HPO genes_to_disease.txt, genes_to_phenotype.txt)."""

    description = "Gene-phenotype associations: HPO genes_to_disease / genes_to_phenotype"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        policy = option(context.options, "genes", "existing", choices=("create", "existing"))
        mapper = GeneMapper.from_context(context, require=True)
        rows = _Rows()
        for p in paths:
            _read(Path(p), mapper, rows)
        record_unmapped(context, mapper, "hpo_genes")
        if not rows.src:
            return
        terms = sorted(set(rows.dst))
        yield from node_frames(
            "Phenotype",
            pa.table(
                {
                    "id": terms,
                    "name": [rows.names.get(t, t) for t in terms],
                    "ontology": [t.split(":", 1)[0] for t in terms],
                }
            ),
        )
        if policy == "create":
            yield from node_frames("Gene", mapper.gene_nodes(rows.src))
        edges = pa.table({"src": rows.src, "dst": rows.dst, "source": ["HPO"] * len(rows.src), "study": rows.study})
        # one gene-term-study triple once (HPO repeats rows across sources)
        edges = edges.group_by(["src", "dst", "source", "study"]).aggregate([])
        yield from edge_frames(
            "ASSOCIATED_WITH", edges, src_type="Gene", dst_type="Phenotype", missing="skip" if policy == "existing" else "error"
        )
