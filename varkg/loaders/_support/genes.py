"""Gene identifiers: the one ``strip_version`` and the one gene-id mapper of all loaders.

Ensembl ids lose their ``.N`` version (:func:`strip_version`); a ``_PAR_Y`` suffix is kept so the
chrY copy of a pseudo-autosomal gene stays distinct from its chrX copy (``ENSG00000197976.12_PAR_Y``
-> ``ENSG00000197976_PAR_Y``), as the annotation loader stores it.

A :class:`GeneMapper` maps symbols, Entrez ids, UniProt accessions, Ensembl protein ids and
aliases to Ensembl gene ids (without version), from the Gene nodes already in the store (``id``,
``symbol``, ``entrez_id``) and from id-mapping tables named by the loader option ``id_map``
(comma-separated paths; the same option in every loader):

* NCBI / org.Hs.eg.db-style gene info (columns ``symbol`` and ``ensembl_gene``; optional
  ``entrez_id``, ``uniprot``, ``gene_name``, ``chromosome``; multi-values joined by ``|``), e.g.
  ``annotation/orgHsEgDb_gene_info.tsv.gz``;
* STRING ``protein.aliases`` files (``#string_protein_id  alias  source``);
* a UniProt flat file (``DR   Ensembl;`` cross-references) or a GTF (``gene_name``, ``protein_id``);
* a Reactome interactions table, which lists Ensembl protein (ENSP) and gene (ENSG) ids of the
  same interactor on one line (the only ENSP -> ENSG source among the shared data);
* a two-column ``alias<TAB>gene_id`` table.

Rules (the same for every loader):

* a name listed with several Ensembl gene ids (gene info ``A|B``, a Reactome interactor, a UniProt
  entry) maps to the first of them that is a Gene already in the store; else to the first that a
  gene-info table names as a gene's primary id; else to the **first listed**
  (:meth:`GeneMapper.pick`). NCBI gene info lists the primary-assembly gene first and the
  alternate-haplotype/patch copies after it (ACACA: ``ENSG00000278540|ENSG00000275176``, the first
  is the chr17 gene), so a gene-info row resolves to its first id unless the store already holds
  another; other sources do not order their lists (Reactome gives NEDD8 as
  ``ENSG00000285246|...|ENSG00000129559``), so pass gene info in ``id_map`` or load genes first;
* where one name maps to several genes across rows or files the lexicographically smallest gene id
  is used (stable); the store's symbols (the loaded annotation) take precedence over tables;
* symbols are matched exactly, then case-insensitively;
* unmapped names are counted per loader and reported (:func:`record_unmapped`), never dropped
  silently.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.context import option, store_nodes
from varkg.loaders._support.text import Table, iter_lines
from varkg.loaders.base import LoadContext
from varkg.schema.model import PROVENANCE_PROPERTY

ID_MAP_OPTION = "id_map"
"""The loader option naming id-mapping tables (comma-separated paths)."""

_VERSION = re.compile(r"^([A-Za-z]+[_A-Za-z]*\d+)\.\d+(?=$|_PAR)")
_ENSG = re.compile(r"ENS[A-Z]*G\d{6,}(?:_PAR_Y)?")
_ENSP = re.compile(r"ENS[A-Z]*P\d{6,}")
_TAXON = re.compile(r"^\d+\.")  # STRING's "9606." prefix


def strip_version(identifier: str) -> str:
    """Drop a trailing ``.N`` version (kept: ``_PAR_Y`` suffixes); other ids unchanged.

    >>> strip_version("ENSG00000101349.17"), strip_version("ENSG00000197976.12_PAR_Y"), strip_version("TP53")
    ('ENSG00000101349', 'ENSG00000197976_PAR_Y', 'TP53')
    """
    return _VERSION.sub(r"\1", identifier)


def ensembl_gene_id(name: str) -> str | None:
    """``name`` as an Ensembl gene id without version, or None when it is not one.

    >>> ensembl_gene_id("ENSG00000197976.12_PAR_Y"), ensembl_gene_id("ENSSSCG00000000002"), ensembl_gene_id("TP53")
    ('ENSG00000197976_PAR_Y', 'ENSSSCG00000000002', None)
    """
    gid = strip_version(name.strip())
    return gid if _ENSG.fullmatch(gid) else None


@dataclass(frozen=True)
class GeneInfoRow:
    """What a gene-info table says about one symbol (empty strings where it has no column/value)."""

    gene_id: str
    entrez_id: str
    name: str
    chromosome: str


@dataclass
class GeneMapper:
    """Maps gene names and ids of several namespaces to Ensembl gene ids.

    Build it with :meth:`from_context`; ``loaded`` holds the gene ids already in the store.
    ``info_rows`` holds, per symbol, the facts of its gene-info row (the first row of that
    symbol): the gene id it maps to, the Entrez id, the full name and the chromosome column as
    written there (e.g. ``X|Y``). Several symbols may share one Ensembl id (MEF2B and the
    BORCS8-MEF2B readthrough), so these facts are kept per symbol, not per gene.
    """

    by_symbol: dict[str, str] = field(default_factory=dict)
    by_symbol_upper: dict[str, str] = field(default_factory=dict)
    by_entrez: dict[str, str] = field(default_factory=dict)
    by_alias: dict[str, str] = field(default_factory=dict)
    symbol_of: dict[str, str] = field(default_factory=dict)
    entrez_of: dict[str, str] = field(default_factory=dict)
    info_rows: dict[str, GeneInfoRow] = field(default_factory=dict)
    primary: set[str] = field(default_factory=set)
    loaded: set[str] = field(default_factory=set)
    unmapped: Counter = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_context(cls, context: LoadContext, *, require: bool = True, use_store: bool = True) -> GeneMapper:
        """Genes from the store (unless ``use_store=False``) plus the tables named by option
        ``id_map`` (comma-separated).

        Raises:
            InputError: ``require`` and neither loaded genes nor a mapping table are available;
                or the option is given under its old name ``gene_info``.
        """
        if context.options.get("gene_info") is not None:
            raise InputError(
                f"option gene_info={context.options['gene_info']!r} is now called id_map: pass --option id_map=PATH",
                field="gene_info",
            )
        m = cls()
        genes = store_nodes(context, "Gene", ["symbol", "entrez_id", PROVENANCE_PROPERTY]) if use_store else None
        if genes is not None and context.dataset_id is not None:
            # genes only this Dataset created were left by a killed run of this same load: not "loaded"
            own = [d == [context.dataset_id] for d in genes.column(PROVENANCE_PROPERTY).to_pylist()]
            genes = genes.filter(pa.array([not x for x in own]))
            genes = genes if genes.num_rows else None
        if genes is not None:
            m._add_store_genes(genes)
        spec = option(context.options, ID_MAP_OPTION, "")
        for p in [s for s in str(spec).split(",") if s.strip()]:
            m.add_table(Path(p.strip()))
        if require and not m.by_symbol and not m.by_alias and not m.by_entrez:
            raise InputError(
                "no gene id mapping available: load a gene annotation first, or pass "
                "--option id_map=PATH (e.g. annotation/orgHsEgDb_gene_info.tsv.gz or a STRING aliases file)",
                field=ID_MAP_OPTION,
            )
        return m

    def _add_store_genes(self, genes: pa.Table) -> None:
        ids = genes.column("id").to_pylist()
        syms = genes.column("symbol").to_pylist()
        ent = genes.column("entrez_id").to_pylist()
        self.loaded.update(ids)
        for gid, sym, e in sorted(zip(ids, syms, ent, strict=False), key=lambda r: r[0], reverse=True):
            if sym:
                self.by_symbol[sym] = gid
                self.by_symbol_upper[sym.upper()] = gid
                self.symbol_of[gid] = sym
            if e:
                self.by_entrez[str(e)] = gid
                self.entrez_of[gid] = str(e)
            self.by_alias[gid] = gid
        self.sources.append("store")

    def add_table(self, path: Path) -> None:
        """Add a mapping table (format detected from its header)."""
        if not path.exists():
            raise InputError("id-mapping table does not exist", path=path, field="id_map")
        lines = iter_lines(path)
        header = ""
        for _, line in lines:
            if line.strip():
                header = line
                break
        cols = [c.strip().lstrip("#") for c in header.split("\t")]
        low = [c.lower() for c in cols]
        name = path.name.lower()
        if header.startswith("ID   "):
            self._add_uniprot_dat(path)
        elif name.endswith((".gtf", ".gtf.gz", ".gff3", ".gff3.gz")):
            self._add_gtf(path)
        elif "symbol" in low and ("ensembl_gene" in low or "ensembl" in low):
            self._add_gene_info(path)
        elif "string_protein_id" in low or (len(low) == 3 and low[1] == "alias"):
            self._add_string_aliases(path, lines, low)
        elif any("interactor 1" in c for c in low) or header.startswith("==>"):
            self._add_reactome_interactions(path)
        elif len(cols) >= 2:
            self._add_pairs(path, lines)
        else:
            raise InputError(
                f"unrecognised id-mapping header {header[:80]!r}; expected gene info "
                "(entrez_id, symbol, ensembl_gene), STRING aliases, Reactome interactions or alias<TAB>gene_id",
                path=path,
                line=1,
                field="id_map",
            )
        self.sources.append(str(path))

    def pick(self, ids: Iterable[str], *, use_primary: bool = True) -> str | None:
        """The gene of a multi-valued id list (``A|B``): the first id already loaded, else (with
        ``use_primary``) the first a gene-info table chose as a gene's id, else the first listed.

        >>> GeneMapper(loaded={"ENSG2"}).pick(["ENSG1", "ENSG2"]), GeneMapper().pick(["ENSG1", "ENSG2"])
        ('ENSG2', 'ENSG1')
        """
        ids = list(ids)
        for tier in (self.loaded, self.primary if use_primary else set()):
            hit = next((g for g in ids if g in tier), None)
            if hit is not None:
                return hit
        return ids[0] if ids else None

    def _set(self, table: dict[str, str], key: str, gid: str) -> None:
        old = table.get(key)
        if old is None or gid < old:
            table[key] = gid

    def _add_gene_info(self, path: Path) -> None:
        t = Table(path, comment=None)
        sym = t.find("symbol", required=True, what="gene symbol")
        ens = t.find("ensembl_gene", "ensembl", required=True, what="Ensembl gene id")
        idx = t.index
        isym, iens = idx[sym], idx[ens]
        ie, iuni, iname, ichr = (
            idx.get(c) if c else None
            for c in (
                t.find("entrez_id", "GeneID"),
                t.find("uniprot"),
                t.find("gene_name", "description", "name"),
                t.find("chromosome", "chrom"),
            )
        )
        for _, f in t.rows():
            ens_ids = [strip_version(x) for x in f[iens].split("|") if x]
            gid = self.pick(ens_ids, use_primary=False)  # order-independent: only the store overrides the row
            if gid is None:
                continue
            self.primary.add(gid)
            sym = f[isym]
            ent = f[ie] if ie is not None else ""
            if sym:
                # the store's symbols (the loaded annotation) take precedence
                if sym not in self.by_symbol:
                    self._set(self.by_symbol, sym, gid)
                if sym.upper() not in self.by_symbol_upper:
                    self._set(self.by_symbol_upper, sym.upper(), gid)
                self.symbol_of.setdefault(gid, sym)
            if ent:
                self._set(self.by_entrez, ent, gid)
                self.entrez_of.setdefault(gid, ent)
            if sym:
                self.info_rows.setdefault(
                    sym,
                    GeneInfoRow(
                        gene_id=gid,
                        entrez_id=ent,
                        name=f[iname] if iname is not None else "",
                        chromosome=f[ichr] if ichr is not None else "",
                    ),
                )
            for g in ens_ids:
                self.by_alias.setdefault(g, g)
            if iuni is not None:
                for u in f[iuni].split("|"):
                    if u:
                        self._set(self.by_alias, u, gid)

    def _add_string_aliases(self, path: Path, lines: Iterator[tuple[int, str]], low: list[str]) -> None:
        # STRING aliases: protein id, alias, source. The ENSG alias tells the gene of the protein;
        # all other aliases then point to that gene.
        rows: list[tuple[str, str]] = []
        gene_of_protein: dict[str, str] = {}
        for lineno, line in lines:
            f = line.split("\t")
            if len(f) < 2:
                raise InputError(f"has {len(f)} fields, expected 3 (protein, alias, source)", path=path, line=lineno)
            prot, alias = f[0], f[1]
            rows.append((prot, alias))
            if _ENSG.fullmatch(alias):
                old = gene_of_protein.get(prot)
                if old is None or alias < old:
                    gene_of_protein[prot] = alias
        for prot, alias in rows:
            gid = gene_of_protein.get(prot) or self.by_symbol.get(alias)
            if gid:
                self._set(self.by_alias, prot, gid)
                self._set(self.by_alias, prot.split(".", 1)[-1], gid)

    def _add_reactome_interactions(self, path: Path) -> None:
        for _, line in iter_lines(path):
            if line.startswith(("#", "==>")):
                continue
            f = line.split("\t")
            for col in (f[1:2], f[4:5]):
                if not col:
                    continue
                ids = [x.split(":", 1)[-1] for x in col[0].split("|")]
                gene = self.pick(g for g in map(ensembl_gene_id, ids) if g)
                if gene:
                    for p in ids:
                        if _ENSP.fullmatch(p):
                            self._set(self.by_alias, p, gene)

    def _add_uniprot_dat(self, path: Path) -> None:
        # UniProt flat file: AC lines and "DR   Ensembl; ENST..; ENSP..; ENSG.." cross-references
        accs: list[str] = []
        for _, line in iter_lines(path):
            if line.startswith("AC   "):
                accs.extend(a.strip() for a in line[5:].split(";") if a.strip())
            elif line.startswith("DR   Ensembl;"):
                ids = [x.strip().rstrip(".").split(" ")[0] for x in line[5:].split(";")[1:]]
                gene = self.pick(g for g in map(ensembl_gene_id, ids) if g)
                if gene:
                    for x in ids:
                        if _ENSP.fullmatch(strip_version(x)):
                            self._set(self.by_alias, strip_version(x), gene)
                    for a in accs:
                        self._set(self.by_alias, a, gene)
            elif line.startswith("//"):
                accs = []

    def _add_gtf(self, path: Path) -> None:
        # GENCODE/Ensembl GTF: protein_id -> gene_id on CDS lines, gene_name -> gene_id
        pid = re.compile(r'protein_id "([^"]+)"')
        gidre = re.compile(r'gene_id "([^"]+)"')
        gname = re.compile(r'gene_name "([^"]+)"')
        for _, line in iter_lines(path):
            if line.startswith("#"):
                continue
            g = gidre.search(line)
            if not g:
                continue
            gid = strip_version(g.group(1))
            p = pid.search(line)
            if p:
                self._set(self.by_alias, strip_version(p.group(1)), gid)
            n = gname.search(line)
            if n and n.group(1) not in self.by_symbol:
                self.by_symbol[n.group(1)] = gid
                self.by_symbol_upper.setdefault(n.group(1).upper(), gid)
                self.symbol_of.setdefault(gid, n.group(1))

    def _add_pairs(self, path: Path, lines: Iterator[tuple[int, str]]) -> None:
        for lineno, line in lines:
            f = line.split("\t")
            if len(f) < 2 or not f[1]:
                raise InputError("expected alias<TAB>gene_id", path=path, line=lineno, field="gene_id")
            self._set(self.by_alias, f[0], strip_version(f[1]))

    # -- lookups -----------------------------------------------------------------------------
    def gene(self, name: str, *, kind: Literal["symbol", "entrez", "any"] = "any") -> str | None:
        """The Ensembl gene id for ``name`` (None if unknown; counted in ``unmapped``)."""
        n = name.strip()
        gid: str | None = None
        if kind in ("symbol", "any"):
            gid = self.by_symbol.get(n) or self.by_symbol_upper.get(n.upper())
        if gid is None and kind in ("entrez", "any"):
            gid = self.by_entrez.get(n.removeprefix("NCBIGene:").removeprefix("EntrezGene:"))
        if gid is None and kind == "any":
            bare = _TAXON.sub("", n.split(":", 1)[-1] if n.startswith(("uniprotkb:", "ENSEMBL:", "Ensembl:")) else n)
            gid = (
                self.by_alias.get(n) or self.by_alias.get(bare) or self.by_alias.get(strip_version(bare)) or ensembl_gene_id(bare)
            )
        if gid is None:
            self.unmapped[n] += 1
        return gid

    def genes(self, names: Iterable[str], *, kind: Literal["symbol", "entrez", "any"] = "any") -> list[str | None]:
        return [self.gene(n, kind=kind) for n in names]

    def gene_nodes(self, ids: Iterable[str]) -> pa.Table:
        """Gene node rows for ``ids`` not already in the store (id, symbol, entrez_id)."""
        new = sorted({i for i in ids if i and i not in self.loaded})
        return pa.table(
            {
                "id": pa.array(new, pa.string()),
                "symbol": pa.array([self.symbol_of.get(i) for i in new], pa.string()),
                "entrez_id": pa.array([self.entrez_of.get(i) for i in new], pa.string()),
            }
        )

    def report(self) -> dict[str, Any]:
        """Counts of unmapped names (total, distinct, the 20 most frequent)."""
        return {
            "unmapped_total": int(sum(self.unmapped.values())),
            "unmapped_distinct": len(self.unmapped),
            "unmapped_examples": [k for k, _ in self.unmapped.most_common(20)],
            "sources": list(self.sources),
        }


def gene_policy(context: LoadContext) -> Literal["create", "existing"]:
    """Option ``genes``: ``create`` (default) adds Gene nodes for mapped genes not yet loaded;
    ``existing`` links only genes already in the store (other edges are skipped and counted)."""
    return option(context.options, "genes", "create", choices=("create", "existing"))


def record_unmapped(context: LoadContext, mapper: GeneMapper, what: str) -> None:
    """Write the mapper's unmapped report as a JSON side table (listed on the Dataset)."""
    rep = mapper.report()
    if context.artifacts_dir is not None and rep["unmapped_total"]:
        context.artifacts_dir.mkdir(parents=True, exist_ok=True)
        out = context.artifacts_dir / f"{what}.unmapped.json"
        out.write_text(json.dumps({"what": what, **rep, "all": dict(mapper.unmapped)}, indent=1))
        context.artifacts.append(str(out))
