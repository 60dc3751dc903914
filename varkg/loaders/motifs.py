"""Motifs and transcription factors: JASPAR (pyjaspar's offline databases) or matrix files
(JASPAR, MEME, TRANSFAC), and motif scanning of the loaded regulatory elements.

Nodes: ``Motif`` (matrix id, name, PFM as ``pfm`` = 4 x length row-major in A, C, G, T order,
information content in bits, consensus) and ``TranscriptionFactor`` keyed by the TF's gene id
(mapped from the matrix name through the loaded genes or an ``id_map`` table; the symbol
itself when unmapped, as the schema allows; heterodimer names ``MAX::MYC`` give two TFs).
Edges: ``HAS_MOTIF`` TF -> Motif, ``ENCODED_BY`` TF -> Gene (mapped TFs only).

Scanning (``scan=elements``): every loaded RegulatoryElement of the load's assembly that lies
inside the reference is scanned on both strands (:class:`varkg.motifscan.MotifScanner`,
background from the element sequences); the best placement of each motif with p-value
``<= pvalue`` gives ``BINDS`` TF -> element (evidence ``motif``, score in bits, p, 0-based
genome ``position`` of the hit start, ``strand``). Loaded variants inside those elements get
the ref-vs-alt motif disruption on ``IN_ELEMENT`` (largest ``|delta|`` among the motifs).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varkg.errors import InputError
from varkg.loaders._support.context import option, reference_of, store_nodes
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.genes import GeneMapper, record_unmapped
from varkg.loaders._support.interval_joins import Intervals, loaded_variants, overlap_table
from varkg.loaders._support.motif_matrices import jaspar_motifs, motif_deltas, read_matrices
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.motifscan import Motif, MotifScanner


def tf_names(motif_name: str) -> list[str]:
    """TF symbols of a matrix name: ``MAX::MYC`` -> ``["MAX", "MYC"]``; ``(var.2)`` suffixes dropped.

    >>> tf_names("MAX::MYC"), tf_names("CTCF"), tf_names("Ctcf(var.2)")
    (['MAX', 'MYC'], ['CTCF'], ['Ctcf'])
    """
    base = motif_name.split("(")[0].strip()
    return [p.strip() for p in base.split("::") if p.strip()]


def motif_table(motifs: Sequence[Motif]) -> pa.Table:
    return pa.table(
        {
            "id": pa.array([m.id for m in motifs], pa.string()),
            "name": pa.array([m.name for m in motifs], pa.string()),
            "collection": pa.array([m.meta.get("collection") for m in motifs], pa.string()),
            "release": pa.array([m.meta.get("release") for m in motifs], pa.string()),
            "tax_group": pa.array([m.meta.get("tax_group") for m in motifs], pa.string()),
            "length": pa.array([m.length for m in motifs], pa.int64()),
            "pfm": pa.array([m.counts.ravel().tolist() for m in motifs], pa.list_(pa.float64())),
            "information_content": pa.array([m.information_content() for m in motifs], pa.float64()),
            "consensus": pa.array([m.consensus() for m in motifs], pa.string()),
        }
    )


def scan_elements(
    context: LoadContext, motifs: Sequence[Motif], tf_of_motif: list[list[str]], *, assembly: str, pvalue: float
) -> tuple[pa.Table, pa.Table | None, dict[str, int]]:
    """BINDS rows (motif evidence) for loaded elements and IN_ELEMENT rows with motif deltas."""
    ref = reference_of(context)
    if ref is None:
        raise InputError("scan=elements needs a reference genome (--option reference=FASTA)", field="reference")
    el = store_nodes(context, "RegulatoryElement", ["assembly", "chrom", "start", "stop"])
    stats = {"elements": 0, "outside_reference": 0, "ref_mismatch": 0}
    empty = pa.table({"src": pa.array([], pa.string()), "dst": pa.array([], pa.string())})
    if el is None:
        return empty, None, stats
    el = el.filter(pc.equal(el.column("assembly"), assembly))
    keys = np.array(el.column("id").to_pylist(), object)
    chroms = np.array(el.column("chrom").to_pylist(), object)
    starts = el.column("start").to_numpy(zero_copy_only=False).astype(np.int64)
    ends = el.column("stop").to_numpy(zero_copy_only=False).astype(np.int64)
    inside = np.array([ref.covers(c, int(s), int(e)) for c, s, e in zip(chroms, starts, ends, strict=False)], bool)
    stats["outside_reference"] = int((~inside).sum())
    stats["elements"] = int(inside.sum())
    keys, chroms, starts, ends = keys[inside], chroms[inside], starts[inside], ends[inside]
    if not len(keys):
        return empty, None, stats
    seqs = [ref.fetch(c, int(s), int(e)) for c, s, e in zip(chroms, starts, ends, strict=False)]
    scanner = MotifScanner(motifs, pvalue=pvalue)
    best, pos, strand = scanner.best(seqs)
    thr = scanner.thresholds(scanner.background)
    e_idx, m_idx = np.nonzero(np.nan_to_num(best, nan=-np.inf) >= thr[None, :])
    score = best[e_idx, m_idx]
    pv = scanner.pvalues(m_idx, score)
    rows: dict[str, list] = {k: [] for k in ("src", "dst", "motif_id", "score", "pvalue", "position", "strand")}
    mid = [m.id for m in motifs]
    for e, m, s, p in zip(e_idx.tolist(), m_idx.tolist(), score.tolist(), pv.tolist(), strict=False):
        for tf in tf_of_motif[m]:
            rows["src"].append(tf)
            rows["dst"].append(keys[e])
            rows["motif_id"].append(mid[m])
            rows["score"].append(s)
            rows["pvalue"].append(p)
            rows["position"].append(int(starts[e] + pos[e, m]))
            rows["strand"].append("+" if strand[e, m] > 0 else "-")
    n = len(rows["src"])
    binds = pa.table(
        {
            **{k: pa.array(v, pa.string()) for k, v in rows.items() if k in ("src", "dst", "motif_id", "strand")},
            "score": pa.array(rows["score"], pa.float64()),
            "pvalue": pa.array(rows["pvalue"], pa.float64()),
            "position": pa.array(rows["position"], pa.int64()),
            "evidence": pa.array(["motif"] * n, pa.string()),
            "biosample": pa.array([""] * n, pa.string()),
        }
    )
    # one edge per (TF, element, motif): a heterodimer listed twice for one TF collapses
    if n:
        binds = (
            binds.group_by(["src", "dst", "motif_id", "evidence", "biosample"], use_threads=False)
            .aggregate([("score", "max"), ("pvalue", "min"), ("position", "min"), ("strand", "min")])
            .rename_columns(["src", "dst", "motif_id", "evidence", "biosample", "score", "pvalue", "position", "strand"])
        )
    in_el = None
    var = loaded_variants(context, assembly)
    if var is not None and option(context.options, "deltas", True):
        viv, vt = var
        pairs = overlap_table(viv, Intervals(keys, chroms, starts, ends)).drop_columns(["overlap"])
        if pairs.num_rows:
            vids = np.array(vt.column("id").to_pylist(), object)
            used = set(pairs.column("src").to_pylist())
            sel = np.array([v in used for v in vids], bool)
            sub = {c: np.array(vt.column(c).to_pylist(), object)[sel] for c in ("chrom", "pos", "ref", "alt")}
            d, mism = motif_deltas(ref, sub, motifs, pvalue=pvalue)
            stats["ref_mismatch"] = mism
            at = {v: i for i, v in enumerate(vids[sel].tolist())}
            r = [at[s] for s in pairs.column("src").to_pylist()]
            in_el = pairs.append_column("motif_id", pa.array(d["motif_id"][r].tolist(), pa.string()))
            for c in ("motif_delta", "ref_score", "alt_score"):
                in_el = in_el.append_column(c, pa.array(d[c][r], pa.float64(), from_pandas=True))
    return binds, in_el, stats


@register_loader("motifs")
class MotifsLoader(Loader):
    """Motif matrices and their transcription factors; optional scan of loaded elements.

    Paths: matrix files (JASPAR, MEME, TRANSFAC); none to read JASPAR from pyjaspar.

    Options:
        release: JASPAR release (default ``JASPAR2024``).
        collection: JASPAR collection (default ``CORE``).
        tax_group: JASPAR taxonomic group (default ``vertebrates``; ``none`` for all).
        species: NCBI taxon id filter (e.g. ``9823`` for pig; default none).
        ids: comma-separated matrix ids (overrides collection/tax_group).
        format: ``jaspar``, ``meme`` or ``transfac`` for files (default: sniffed).
        id_map: gene id-mapping table(s) for TF symbols (see :mod:`varkg.loaders._support.genes`).
        genes: ``create`` (default) or ``existing``: add Gene nodes for mapped TFs not loaded.
        scan: ``none`` (default) or ``elements`` (scan loaded RegulatoryElements; needs a reference).
        pvalue (float): scan threshold (default 1e-4).
        deltas (bool): motif disruption on IN_ELEMENT when scanning (default true).
        reference: FASTA path when the load has no reference genome.

    Example:
        ``varkg load motifs --option ids=MA0139.2 --option scan=elements --option reference=hg38.fa.gz --assembly GRCh38``
    """

    description = "Motif matrices (JASPAR via pyjaspar, or JASPAR/MEME/TRANSFAC files), TFs, motif scan of elements"
    accepts_no_paths = True

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        opts = context.options
        motifs: list[Motif] = []
        if paths:
            fmt = option(opts, "format", None)
            for p in paths:
                motifs.extend(read_matrices(Path(p), fmt=fmt))
            context.version = context.version or ",".join(Path(p).name for p in paths)
        else:
            release = option(opts, "release", "JASPAR2024")
            tax = option(opts, "tax_group", "vertebrates")
            ids = [s.strip() for s in str(option(opts, "ids", "")).split(",") if s.strip()]
            motifs = jaspar_motifs(
                release=release,
                collection=option(opts, "collection", "CORE"),
                tax_group=None if str(tax).lower() == "none" else tax,
                species=option(opts, "species", None),
                ids=ids or None,
            )
            context.version = release
        ids_seen = [m.id for m in motifs]
        if len(set(ids_seen)) != len(ids_seen):
            dup = sorted({i for i in ids_seen if ids_seen.count(i) > 1})
            raise InputError(f"duplicated matrix ids across inputs: {dup[:5]}", field="id")
        mapper = GeneMapper.from_context(context, require=False)
        policy = option(opts, "genes", "create", choices=("create", "existing"))
        tf_of_motif: list[list[str]] = []
        tf_rows: dict[str, dict] = {}
        encoded: dict[str, str] = {}
        for m in motifs:
            ids = []
            for sym in tf_names(m.name):
                gid = mapper.gene(sym, kind="symbol")
                if gid is not None and policy == "existing" and gid not in mapper.loaded:
                    gid = None
                key = gid or sym
                ids.append(key)
                row = tf_rows.setdefault(
                    key, {"id": key, "symbol": sym, "family": m.meta.get("tf_family"), "tf_class": m.meta.get("tf_class")}
                )
                row["family"] = row["family"] or m.meta.get("tf_family")
                if gid is not None:
                    encoded[key] = gid
            tf_of_motif.append(ids)
        record_unmapped(context, mapper, "motifs_tf_symbols")
        scan = option(opts, "scan", "none", choices=("none", "elements"))
        binds = in_el = None
        if scan == "elements":
            from varkg.loaders._support.context import require_assembly

            assembly = require_assembly(context, "motifs")
            binds, in_el, stats = scan_elements(
                context, motifs, tf_of_motif, assembly=assembly, pvalue=option(opts, "pvalue", 1e-4)
            )
            if stats["elements"] == 0:
                raise InputError(
                    f"scan=elements found no loaded RegulatoryElement of {assembly} inside the reference "
                    f"({stats['outside_reference']} outside); load elements first",
                    field="scan",
                )
        yield from node_frames("Motif", motif_table(motifs))
        tf = pa.Table.from_pylist(
            list(tf_rows.values()),
            schema=pa.schema([("id", pa.string()), ("symbol", pa.string()), ("family", pa.string()), ("tf_class", pa.string())]),
        )
        yield from node_frames("TranscriptionFactor", tf)
        genes = mapper.gene_nodes(encoded.values()) if policy == "create" else None
        if genes is not None and genes.num_rows:
            yield from node_frames("Gene", genes)
        hm = sorted({(t, m.id) for ids, m in zip(tf_of_motif, motifs, strict=False) for t in ids})
        yield from edge_frames(
            "HAS_MOTIF",
            pa.table({"src": [a for a, _ in hm], "dst": [b for _, b in hm]}),
            src_type="TranscriptionFactor",
            dst_type="Motif",
        )
        if encoded:
            eb = sorted(encoded.items())
            yield from edge_frames(
                "ENCODED_BY",
                pa.table({"src": [a for a, _ in eb], "dst": [b for _, b in eb]}),
                src_type="TranscriptionFactor",
                dst_type="Gene",
            )
        if binds is not None and binds.num_rows:
            yield from edge_frames("BINDS", binds, src_type="TranscriptionFactor", dst_type="RegulatoryElement")
        if in_el is not None and in_el.num_rows:
            yield from edge_frames("IN_ELEMENT", in_el, src_type="Variant", dst_type="RegulatoryElement")
