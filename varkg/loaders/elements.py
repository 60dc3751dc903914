"""Regulatory elements from BED, narrowPeak, broadPeak and ENCODE cCRE BED files.

Coordinates are BED: 0-based half-open, kept as in the file (``start``/``stop``); chromosome
names lose their ``chr`` prefix. Node keys follow the identity rules: the cCRE accession
(``EH38E...``) when there is one, else ``{assembly}:{chrom}:{start}-{end}``. Overlapping
intervals are never merged; rows with identical coordinates (same key) collapse into one node
(the one with the highest signal) and are counted.

Edges, all computed with :class:`varkg.intervals.IntervalIndex` against what is already loaded:

* ``IN_ELEMENT`` Variant -> RegulatoryElement for variants (same assembly) whose REF bases
  overlap the element; with ``motifs=...`` and a reference, the motif disruption
  (best alt minus best ref log-odds score, see :func:`varkg.loaders._support.motif_matrices.motif_deltas`);
* ``REGULATES`` RegulatoryElement -> Gene, evidence ``nearest_tss``: the gene with the nearest
  TSS within ``window`` bp, signed distance (0 inside; + downstream on the gene's strand);
  evidence ``hic_contact`` where ChromatinRegion bins and CONTACTS are loaded;
* ``IN_REGION`` RegulatoryElement -> ChromatinRegion (bins and TADs) with the overlap in bp,
  and ``tad_id`` on each element inside a TAD.

The whole file is parsed and checked before the first frame is yielded: a malformed line
(non-numeric or negative start, ``end < start``, too few fields, non-numeric signal) raises
:class:`~varkg.errors.InputError` with file, line and field, and nothing is loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.bed import BedRecords, read_bed
from varkg.loaders._support.context import option, reference_of, require_assembly
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.interval_joins import (
    Intervals,
    contact_links,
    containing,
    gene_tss,
    loaded_regions,
    loaded_variants,
    nearest_tss,
    overlap_table,
)
from varkg.loaders._support.text import parse_float
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import interval_key

BedFormat = Literal["auto", "bed", "narrowPeak", "broadPeak", "ccre"]

CCRE_KIND = {
    "PLS": "promoter",
    "pELS": "enhancer",
    "dELS": "enhancer",
    "CA-CTCF": "CTCF",
    "CA-H3K4me3": "open_chromatin",
    "CA-TF": "open_chromatin",
    "CA": "open_chromatin",
    "TF": "TF_site",
}


def detect_format(rec: BedRecords) -> BedFormat:
    """cCRE when column 4 holds EH38 accessions; narrowPeak for 10 columns, broadPeak for 9."""
    if not len(rec):
        return "bed"
    first = rec.extra[0]
    if first and first[0].startswith(("EH38", "EM10")):
        return "ccre"
    n = len(first) + 3
    if n == 10:
        return "narrowPeak"
    if n == 9:
        return "broadPeak"
    return "bed"


def element_table(
    rec: BedRecords,
    *,
    path: Path,
    assembly: str,
    fmt: BedFormat,
    kind: str | None,
    assay: str | None,
    biosample: str | None,
    source: str,
) -> tuple[pa.Table, int]:
    """RegulatoryElement rows from parsed records; returns (table, n collapsed duplicates)."""
    n = len(rec)
    keys = np.empty(n, dtype=object)
    signal = np.full(n, np.nan)
    pval = np.full(n, np.nan)
    qval = np.full(n, np.nan)
    cls = np.full(n, None, dtype=object)
    kinds = np.full(n, kind, dtype=object)
    chrom, start, end = rec.chrom, rec.start, rec.end
    for i in range(n):
        ex = rec.extra[i]
        line = int(rec.line[i])
        if fmt == "ccre":
            if len(ex) < 7:
                raise InputError(f"has {len(ex) + 3} fields, expected 10 (cCRE BED)", path=path, line=line)
            keys[i] = ex[0]
            cls[i] = ex[6]
            if kind is None:
                kinds[i] = CCRE_KIND.get(ex[6].split(",")[0], ex[6])
        else:
            keys[i] = interval_key(assembly, chrom[i], start[i], end[i])
            if fmt in ("narrowPeak", "broadPeak"):
                need = 7 if fmt == "narrowPeak" else 6
                if len(ex) < need:
                    raise InputError(f"has {len(ex) + 3} fields, expected {need + 3} ({fmt})", path=path, line=line)
                s = parse_float(ex[3], path=path, line=line, field="signalValue")
                p = parse_float(ex[4], path=path, line=line, field="pValue")
                q = parse_float(ex[5], path=path, line=line, field="qValue")
                signal[i] = np.nan if s is None else s
                pval[i] = np.nan if p is None or p < 0 else p  # -1 = not given
                qval[i] = np.nan if q is None or q < 0 else q
    if kind is None and fmt != "ccre":
        kinds[:] = "peak" if fmt in ("narrowPeak", "broadPeak") else "open_chromatin"
    # identical keys collapse to the row with the highest signal
    order = np.lexsort((-np.nan_to_num(signal, nan=-np.inf), keys.astype(str)))
    ks = keys[order].astype(str)
    first = np.ones(n, bool)
    first[1:] = ks[1:] != ks[:-1]
    keep = np.sort(order[first])
    if fmt == "ccre":
        # an accession must not name two different intervals
        same = ~first
        diff = same & ((start[order] != np.roll(start[order], 1)) | (end[order] != np.roll(end[order], 1)))
        if diff.any():
            j = order[np.flatnonzero(diff)[0]]
            raise InputError(
                f"accession {keys[j]!r} appears with different coordinates", path=path, line=int(rec.line[j]), field="name"
            )
    collapsed = n - len(keep)

    def col(a: np.ndarray) -> pa.Array:
        return pa.array(a[keep], pa.float64(), from_pandas=True)

    t = pa.table(
        {
            "id": pa.array(keys[keep].tolist(), pa.string()),
            "assembly": pa.array([assembly] * len(keep), pa.string()),
            "chrom": pa.array(chrom[keep].tolist(), pa.string()),
            "start": pa.array(start[keep], pa.int64()),
            "stop": pa.array(end[keep], pa.int64()),
            "kind": pa.array(kinds[keep].tolist(), pa.string()),
            "ccre_class": pa.array(cls[keep].tolist(), pa.string()),
            "signal": col(signal),
            "pvalue": col(pval),
            "qvalue": col(qval),
            "assay": pa.array([assay] * len(keep), pa.string()),
            "biosample": pa.array([biosample] * len(keep), pa.string()),
            "source": pa.array([source] * len(keep), pa.string()),
        }
    )
    return t, collapsed


def element_links(context: LoadContext, elements: pa.Table, *, assembly: str) -> Iterator[Frame]:
    """IN_ELEMENT, REGULATES, IN_REGION (and tad_id) frames for RegulatoryElement rows."""
    iv = Intervals.of_table(elements)
    opts = context.options
    # variants inside elements (+ motif disruption)
    var = loaded_variants(context, assembly)
    if var is not None:
        viv, vt = var
        pairs = overlap_table(viv, iv).drop_columns(["overlap"])
        motif_spec = str(option(opts, "motifs", ""))
        if pairs.num_rows and motif_spec:
            pairs = _with_motif_deltas(context, pairs, vt, motif_spec)
        yield from edge_frames("IN_ELEMENT", pairs, src_type="Variant", dst_type="RegulatoryElement")
    # nearest TSS and Hi-C contacts
    if option(opts, "regulates", True):
        genes = gene_tss(context, assembly)
        if genes is not None:
            window = option(opts, "window", 100_000)
            near = nearest_tss(iv, genes, window=window)
            near = near.append_column("evidence", pa.array(["nearest_tss"] * near.num_rows, pa.string()))
            yield from edge_frames("REGULATES", near, src_type="RegulatoryElement", dst_type="Gene")
            hic = contact_links(context, iv, genes, assembly=assembly, max_distance=option(opts, "hic_max_distance", 1_000_000))
            if hic is not None:
                hic = hic.append_column("evidence", pa.array(["hic_contact"] * hic.num_rows, pa.string()))
                yield from edge_frames("REGULATES", hic, src_type="RegulatoryElement", dst_type="Gene")
    # chromatin regions
    reg = loaded_regions(context, assembly)
    if reg is not None:
        riv, kinds = reg
        yield from edge_frames("IN_REGION", overlap_table(iv, riv), src_type="RegulatoryElement", dst_type="ChromatinRegion")
        tads = kinds == "TAD"
        if tads.any():
            tiv = Intervals(riv.key[tads], riv.chrom[tads], riv.start[tads], riv.end[tads])
            c = containing(iv, tiv)
            has = c >= 0
            yield from node_frames(
                "RegulatoryElement",
                pa.table(
                    {"id": pa.array(iv.key[has].tolist(), pa.string()), "tad_id": pa.array(tiv.key[c[has]].tolist(), pa.string())}
                ),
            )


def _with_motif_deltas(context: LoadContext, pairs: pa.Table, variants: pa.Table, spec: str) -> pa.Table:
    from varkg.loaders._support.motif_matrices import jaspar_motifs, motif_deltas, store_motifs

    ref = reference_of(context)
    if ref is None:
        raise InputError("option motifs=... needs a reference genome (--option reference=FASTA)", field="motifs")
    if spec == "store":
        motifs = store_motifs(context.store)
        if not motifs:
            raise InputError("option motifs=store but no Motif nodes are loaded (load motifs first)", field="motifs")
    else:
        motifs = jaspar_motifs(
            release=option(context.options, "jaspar_release", "JASPAR2024"), ids=[s.strip() for s in spec.split(",") if s.strip()]
        )
    vids = np.array(variants.column("id").to_pylist(), object)
    used = np.unique(np.array(pairs.column("src").to_pylist(), object).astype(str))
    sel = np.isin(vids.astype(str), used)
    sub = {c: np.array(variants.column(c).to_pylist(), object)[sel] for c in ("chrom", "pos", "ref", "alt")}
    d, _ = motif_deltas(ref, sub, motifs, pvalue=option(context.options, "pvalue", 1e-4))
    pos = {v: i for i, v in enumerate(vids[sel].tolist())}
    rows = [pos[s] for s in pairs.column("src").to_pylist()]
    return (
        pairs.append_column("motif_id", pa.array(d["motif_id"][rows].tolist(), pa.string()))
        .append_column("motif_delta", pa.array(d["motif_delta"][rows], pa.float64(), from_pandas=True))
        .append_column("ref_score", pa.array(d["ref_score"][rows], pa.float64(), from_pandas=True))
        .append_column("alt_score", pa.array(d["alt_score"][rows], pa.float64(), from_pandas=True))
    )


@register_loader("elements")
class ElementsLoader(Loader):
    """Regulatory elements (BED/narrowPeak/broadPeak/ENCODE cCRE BED, 0-based half-open).

    Options:
        format: ``auto`` (default), ``bed``, ``narrowPeak``, ``broadPeak`` or ``ccre``.
        kind: element kind for all rows (default: from the cCRE class, ``peak`` for
            narrow/broadPeak, else ``open_chromatin``).
        assay, biosample: recorded on every element (e.g. ``ATAC-seq``, ``K562``).
        source: recorded on every element (default: the file name).
        window (int): REGULATES nearest-TSS window in bp (default 100000).
        regulates (bool): compute REGULATES (default true).
        hic_max_distance (int): longest element-TSS distance for Hi-C REGULATES (default 1000000).
        motifs: ``store`` (Motif nodes loaded) or comma-separated JASPAR ids: adds the motif
            disruption score to IN_ELEMENT (needs ``reference``).
        reference: FASTA path when the load has no reference genome.
        jaspar_release: JASPAR release for ``motifs`` ids (default JASPAR2024).
        pvalue (float): motif threshold for the disruption score (default 1e-4).

    Example:
        ``varkg load elements encode_ccre_v4_chr20_sample.bed.gz --assembly GRCh38``
    """

    description = "Regulatory elements from BED / narrowPeak / broadPeak / ENCODE cCRE BED"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "elements")
        fmt_opt = option(context.options, "format", "auto", choices=("auto", "bed", "narrowPeak", "broadPeak", "ccre"))
        tables = []
        for path in paths:
            path = Path(path)
            rec = read_bed(path)
            fmt = detect_format(rec) if fmt_opt == "auto" else fmt_opt
            t, _ = element_table(
                rec,
                path=path,
                assembly=assembly,
                fmt=fmt,
                kind=option(context.options, "kind", None),
                assay=option(context.options, "assay", None),
                biosample=option(context.options, "biosample", None),
                source=option(context.options, "source", path.name),
            )
            tables.append(t)
        elements = pa.concat_tables(tables) if tables else None
        if elements is None or elements.num_rows == 0:
            return
        if len(tables) > 1:
            _, first = np.unique(np.array(elements.column("id").to_pylist(), object).astype(str), return_index=True)
            elements = elements.take(pa.array(np.sort(first)))
        # links are computed (and can fail) before anything is yielded
        links = list(element_links(context, elements, assembly=assembly))
        yield from node_frames("RegulatoryElement", elements)
        yield from links
