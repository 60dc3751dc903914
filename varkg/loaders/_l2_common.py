"""Shared pieces of the Loaders II modules (elements, motifs, tf-binding, interactions, pathways,
hic, text): gene id mapping, BED parsing with line-level errors, reading loaded nodes from the
store, reference sequence access and batching.

Gene ids: a :class:`GeneMapper` maps symbols, Entrez ids, UniProt accessions, Ensembl protein
ids and aliases to Ensembl gene ids (without version), from the Gene nodes already in the store
(``id``, ``symbol``, ``entrez_id``) and from optional id-mapping tables (option ``id_map``):

* org.Hs.eg.db-style gene info (columns ``entrez_id``, ``symbol``, ``ensembl_gene``, ``uniprot``;
  multi-values joined by ``|``), e.g. ``annotation/orgHsEgDb_gene_info.tsv.gz``;
* STRING ``protein.aliases`` files (``#string_protein_id  alias  source``);
* a two-column ``alias<TAB>gene_id`` table;
* a Reactome interactions table, which lists Ensembl protein (ENSP) and gene (ENSG) ids of the
  same interactor on one line (the only ENSP -> ENSG source among the shared data).

Where one alias maps to several genes the lexicographically smallest gene id is used (stable,
documented); unmapped names are counted per loader and reported, never dropped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._io import iter_lines, option, open_text
from varkg.loaders.base import Frame, LoadContext
from varkg.typing import normalise_chrom

BATCH_ROWS = 50_000
_ENSG = re.compile(r"ENS[A-Z]*G\d{6,}")
_ENSP = re.compile(r"ENS[A-Z]*P\d{6,}")
_TAXON = re.compile(r"^\d+\.")  # STRING's "9606." prefix


def batches(table: pa.Table, size: int = BATCH_ROWS) -> Iterator[pa.Table]:
    """Slices of at most ``size`` rows (none for an empty table)."""
    for off in range(0, table.num_rows, size):
        yield table.slice(off, size)


def node_frames(node_type: str, table: pa.Table) -> Iterator[Frame]:
    for t in batches(table):
        yield Frame.nodes(node_type, t)


def edge_frames(
    rel: str, table: pa.Table, *, src_type: str, dst_type: str, missing: Literal["error", "skip"] = "error"
) -> Iterator[Frame]:
    for t in batches(table):
        yield Frame.edges(rel, t, src_type=src_type, dst_type=dst_type, missing=missing)


def strip_version(gene_id: str) -> str:
    """``ENSG00000141510.17`` -> ``ENSG00000141510``; other ids unchanged."""
    if gene_id.startswith("ENS") and "." in gene_id:
        return gene_id.split(".", 1)[0]
    return gene_id


def store_nodes(context: LoadContext, node_type: str, properties: Sequence[str]) -> pa.Table | None:
    """The loaded nodes of ``node_type`` with ``properties`` (None without a store or nodes)."""
    store = context.store
    if store is None:
        return None
    t = store.export_nodes(node_type, properties=list(properties))
    return t if t.num_rows else None


# ----------------------------------------------------------------------------------- genes
@dataclass
class GeneMapper:
    """Maps gene names and ids of several namespaces to Ensembl gene ids.

    Build it with :meth:`from_context`; ``loaded`` holds the gene ids already in the store.
    """

    by_symbol: dict[str, str] = field(default_factory=dict)
    by_symbol_upper: dict[str, str] = field(default_factory=dict)
    by_entrez: dict[str, str] = field(default_factory=dict)
    by_alias: dict[str, str] = field(default_factory=dict)
    symbol_of: dict[str, str] = field(default_factory=dict)
    entrez_of: dict[str, str] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)
    unmapped: Counter = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def from_context(cls, context: LoadContext, *, require: bool = True) -> GeneMapper:
        """Genes from the store plus the tables named by option ``id_map`` (comma-separated).

        Raises:
            InputError: ``require`` and neither loaded genes nor a mapping table are available.
        """
        m = cls()
        genes = store_nodes(context, "Gene", ["symbol", "entrez_id"])
        if genes is not None:
            m._add_store_genes(genes)
        spec = option(context.options, "id_map", "")
        for p in [s for s in str(spec).split(",") if s.strip()]:
            m.add_table(Path(p.strip()))
        if require and not m.by_symbol and not m.by_alias and not m.by_entrez:
            raise InputError(
                "no gene id mapping available: load a gene annotation first, or pass "
                "--option id_map=PATH (e.g. annotation/orgHsEgDb_gene_info.tsv.gz or a STRING aliases file)",
                field="id_map",
            )
        return m

    def _add_store_genes(self, genes: pa.Table) -> None:
        ids = genes.column("id").to_pylist()
        syms = genes.column("symbol").to_pylist()
        ent = genes.column("entrez_id").to_pylist()
        self.loaded.update(ids)
        for gid, sym, e in sorted(zip(ids, syms, ent), key=lambda r: r[0], reverse=True):
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
        elif {"entrez_id", "symbol", "ensembl_gene"} <= set(low):
            self._add_gene_info(path, lines, low)
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
                path=path, line=1, field="id_map",
            )
        self.sources.append(str(path))

    def _set(self, table: dict[str, str], key: str, gid: str) -> None:
        old = table.get(key)
        if old is None or gid < old:
            table[key] = gid

    def _add_gene_info(self, path: Path, lines: Iterator[tuple[int, str]], low: list[str]) -> None:
        ie, isym, iens = low.index("entrez_id"), low.index("symbol"), low.index("ensembl_gene")
        iuni = low.index("uniprot") if "uniprot" in low else None
        for lineno, line in lines:
            f = line.split("\t")
            if len(f) < len(low):
                raise InputError(f"has {len(f)} fields, expected {len(low)}", path=path, line=lineno)
            ens = sorted(x for x in f[iens].split("|") if x)
            if not ens:
                continue
            gid = ens[0]
            sym, ent = f[isym], f[ie]
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
            for g in ens:
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
                genes = sorted(x for x in ids if _ENSG.fullmatch(x))
                if genes:
                    for p in ids:
                        if _ENSP.fullmatch(p):
                            self._set(self.by_alias, p, genes[0])

    def _add_uniprot_dat(self, path: Path) -> None:
        # UniProt flat file: AC lines and "DR   Ensembl; ENST..; ENSP..; ENSG.." cross-references
        accs: list[str] = []
        for _, line in iter_lines(path):
            if line.startswith("AC   "):
                accs.extend(a.strip() for a in line[5:].split(";") if a.strip())
            elif line.startswith("DR   Ensembl;"):
                ids = [x.strip().rstrip(".").split(" ")[0] for x in line[5:].split(";")[1:]]
                genes = [strip_version(x) for x in ids if _ENSG.fullmatch(strip_version(x))]
                if genes:
                    for x in ids:
                        if _ENSP.fullmatch(strip_version(x)):
                            self._set(self.by_alias, strip_version(x), genes[0])
                    for a in accs:
                        self._set(self.by_alias, a, genes[0])
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
            gid = self.by_alias.get(n) or self.by_alias.get(bare) or self.by_alias.get(strip_version(bare))
            if gid is None and _ENSG.fullmatch(strip_version(bare)):
                gid = strip_version(bare)
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
    import json

    rep = mapper.report()
    if context.artifacts_dir is not None and rep["unmapped_total"]:
        context.artifacts_dir.mkdir(parents=True, exist_ok=True)
        out = context.artifacts_dir / f"{what}.unmapped.json"
        out.write_text(json.dumps({"what": what, **rep, "all": dict(mapper.unmapped)}, indent=1))
        context.artifacts.append(str(out))


# ----------------------------------------------------------------------------------- BED
@dataclass
class BedRecords:
    """Parsed BED-like records (0-based half-open), one array per column plus file line numbers."""

    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    extra: list[list[str]]

    def __len__(self) -> int:
        return len(self.start)


def read_bed(path: Path, *, min_fields: int = 3) -> BedRecords:
    """Read BED (BED3+, narrowPeak, broadPeak): ``track``/``browser``/``#`` lines are skipped.

    Raises:
        InputError: fewer than ``min_fields`` fields, non-integer start/end, negative start or
            ``end < start`` (with path, line and field).
    """
    chroms: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    lines: list[int] = []
    extra: list[list[str]] = []
    for lineno, line in iter_lines(path):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        f = line.split("\t")
        if len(f) < min_fields:
            f = line.split()
        if len(f) < min_fields:
            raise InputError(f"has {len(f)} fields, expected at least {min_fields} (chrom, start, end)", path=path, line=lineno)
        try:
            s = int(f[1])
        except ValueError:
            raise InputError(f"non-integer start {f[1]!r}; expected a 0-based integer", path=path, line=lineno, field="start") from None
        try:
            e = int(f[2])
        except ValueError:
            raise InputError(f"non-integer end {f[2]!r}; expected an integer", path=path, line=lineno, field="end") from None
        if s < 0:
            raise InputError(f"negative start {s}; expected >= 0", path=path, line=lineno, field="start")
        if e < s:
            raise InputError(f"end {e} < start {s}; expected end >= start (0-based half-open)", path=path, line=lineno, field="end")
        chroms.append(normalise_chrom(f[0]))
        starts.append(s)
        ends.append(e)
        lines.append(lineno)
        extra.append(f[3:])
    return BedRecords(
        np.array(chroms, dtype=object), np.array(starts, np.int64), np.array(ends, np.int64), np.array(lines, np.int64), extra
    )


def float_field(value: str, *, path: Path, line: int, field: str) -> float | None:
    """A float, None for ``.``/``NA``/``-1`` style missing markers only where they are ``.``/NA."""
    v = value.strip()
    if v in {"", ".", "NA", "nan", "NaN"}:
        return None
    try:
        return float(v)
    except ValueError:
        raise InputError(f"non-numeric value {value!r}; expected a number", path=path, line=line, field=field) from None


# ------------------------------------------------------------------------------ reference
def reference_of(context: LoadContext) -> Any | None:
    """The reference genome: ``context.reference`` or option ``reference=PATH`` (FASTA)."""
    if context.reference is not None:
        return context.reference
    path = option(context.options, "reference", "")
    if not path:
        return None
    from varkg.loaders.reference import ReferenceGenome

    return ReferenceGenome(Path(path), assembly=context.assembly)


def interval_key(assembly: str, chrom: str, start: int, end: int) -> str:
    return f"{assembly}:{chrom}:{start}-{end}"


def interval_keys(assembly: str, chrom: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[str]:
    return [f"{assembly}:{c}:{s}-{e}" for c, s, e in zip(chrom.tolist(), start.tolist(), end.tolist())]


def read_table_rows(path: Path, *, delimiter: str = "\t", skip_prefix: tuple[str, ...] = ("#",)) -> Iterator[tuple[int, list[str]]]:
    """``(line, fields)`` of a delimited file, skipping blank and commented lines."""
    for lineno, line in iter_lines(path):
        if not line.strip() or line.startswith(skip_prefix):
            continue
        yield lineno, line.split(delimiter)


__all__ = [
    "BATCH_ROWS",
    "BedRecords",
    "GeneMapper",
    "batches",
    "edge_frames",
    "float_field",
    "gene_policy",
    "interval_key",
    "interval_keys",
    "node_frames",
    "open_text",
    "read_bed",
    "read_table_rows",
    "record_unmapped",
    "reference_of",
    "store_nodes",
    "strip_version",
]

