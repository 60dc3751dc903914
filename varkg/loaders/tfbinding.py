"""TF ChIP-seq binding: narrowPeak files of one TF, or clustered tables (UCSC encRegTfbsClustered)
with the TF in a column.

Each peak becomes a RegulatoryElement (``{assembly}:{chrom}:{start}-{end}``, 0-based half-open,
``kind="TF_peak"``, ``assay="ChIP-seq"``) and a ``BINDS`` TranscriptionFactor -> element edge
with ``evidence="ChIP"``, ``motif_id=""``, ``biosample`` (option, or ``""``), ``signal``
(narrowPeak signalValue, or the cluster score) and ``score``. Motif evidence comes from the
motifs loader (``evidence="motif"``), so queries can ask for motif-only, ChIP-only or both.
TFs are keyed by their gene id (symbol when unmapped, counted in a side table).
Everything is parsed before the first frame; malformed lines raise InputError (file, line, field).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from varkg.errors import InputError
from varkg.loaders._support.bed import read_bed
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.genes import GeneMapper, record_unmapped
from varkg.loaders._support.text import open_text, parse_float
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import interval_key, normalise_chrom


def _read_clustered(path: Path) -> tuple[list[tuple[str, int, int, str, float]], list[int]]:
    """Rows (chrom, start, end, tf, score) of a UCSC encRegTfbsClustered CSV/TSV."""
    with open_text(path) as fh:
        first = fh.readline()
        delim = "," if first.count(",") > first.count("\t") else "\t"
        header = [h.strip().lstrip("#") for h in next(csv.reader([first], delimiter=delim))]
        need = {"chrom", "chromStart", "chromEnd", "name"}
        if not need <= set(header):
            raise InputError(f"header {header}; expected columns {sorted(need)} (+score)", path=path, line=1)
        ix = {h: i for i, h in enumerate(header)}
        rows, lines = [], []
        for lineno, f in enumerate(csv.reader(fh, delimiter=delim), start=2):
            if not f:
                continue
            if len(f) != len(header):
                raise InputError(f"has {len(f)} fields, expected {len(header)}", path=path, line=lineno)
            try:
                s, e = int(f[ix["chromStart"]]), int(f[ix["chromEnd"]])
            except ValueError:
                raise InputError(f"non-integer coordinate in {f[1:4]}", path=path, line=lineno, field="chromStart") from None
            if e < s or s < 0:
                raise InputError(f"end {e} < start {s} or negative start", path=path, line=lineno, field="chromEnd")
            sc = parse_float(f[ix["score"]], path=path, line=lineno, field="score") if "score" in ix else None
            rows.append((normalise_chrom(f[ix["chrom"]]), s, e, f[ix["name"]].strip(), np.nan if sc is None else sc))
            lines.append(lineno)
    return rows, lines


@register_loader("tf-binding")
class TfBindingLoader(Loader):
    """TF ChIP-seq peaks as BINDS (evidence ChIP) to peak elements.

    Options:
        tf: TF symbol for narrowPeak/BED files (required for them).
        biosample: cell type / tissue of the experiment (default ``""``).
        format: ``auto`` (default: ``clustered`` for CSV or a header with chromStart), ``narrowPeak``
            or ``clustered``.
        id_map: gene id-mapping table(s) for TF symbols.
        genes: ``create`` (default) or ``existing`` (TF genes already loaded only).

    Example:
        ``varkg load tf-binding ucsc_encRegTfbsClustered_sample.csv.gz --assembly GRCh38``
    """

    description = "TF ChIP-seq peaks (narrowPeak per TF, or UCSC encRegTfbsClustered): BINDS evidence=ChIP"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "tf-binding")
        opts = context.options
        fmt_opt = option(opts, "format", "auto", choices=("auto", "narrowPeak", "clustered"))
        biosample = str(option(opts, "biosample", ""))
        recs: list[tuple[str, int, int, str, float]] = []
        for p in paths:
            path = Path(p)
            with open_text(path) as fh:
                head = fh.readline()
            fmt = fmt_opt
            if fmt == "auto":
                fmt = "clustered" if ("chromStart" in head or path.name.lower().endswith((".csv", ".csv.gz"))) else "narrowPeak"
            if fmt == "clustered":
                recs.extend(_read_clustered(path)[0])
            else:
                tf = option(opts, "tf", None)
                if not tf:
                    raise InputError("narrowPeak input needs the TF: --option tf=SYMBOL", path=path, field="tf")
                bed = read_bed(path)
                for i in range(len(bed)):
                    ex = bed.extra[i]
                    sig = parse_float(ex[3], path=path, line=int(bed.line[i]), field="signalValue") if len(ex) > 3 else None
                    recs.append((bed.chrom[i], int(bed.start[i]), int(bed.end[i]), tf, np.nan if sig is None else sig))
        if not recs:
            return
        mapper = GeneMapper.from_context(context, require=False)
        existing = option(opts, "genes", "create", choices=("create", "existing")) == "existing"
        tf_key: dict[str, str] = {}
        encoded: dict[str, str] = {}
        for sym in sorted({r[3] for r in recs}):
            gid = mapper.gene(sym, kind="symbol")
            if gid is not None and existing and gid not in mapper.loaded:
                gid = None
            tf_key[sym] = gid or sym
            if gid:
                encoded[gid] = gid
        record_unmapped(context, mapper, "tf_binding_symbols")
        el_rows: dict[str, tuple] = {}
        binds: dict[tuple[str, str], float] = {}
        for c, s, e, tf, sc in recs:
            k = interval_key(assembly, c, s, e)
            el_rows.setdefault(k, (c, s, e))
            bk = (tf_key[tf], k)
            if bk not in binds or (np.isfinite(sc) and not sc <= binds[bk]):
                binds[bk] = sc
        keys = sorted(el_rows)
        elements = pa.table(
            {
                "id": pa.array(keys, pa.string()),
                "assembly": pa.array([assembly] * len(keys), pa.string()),
                "chrom": pa.array([el_rows[k][0] for k in keys], pa.string()),
                "start": pa.array([el_rows[k][1] for k in keys], pa.int64()),
                "stop": pa.array([el_rows[k][2] for k in keys], pa.int64()),
                "kind": pa.array(["TF_peak"] * len(keys), pa.string()),
                "assay": pa.array(["ChIP-seq"] * len(keys), pa.string()),
                "source": pa.array([",".join(Path(p).name for p in paths)] * len(keys), pa.string()),
            }
        )
        if biosample:
            elements = elements.append_column("biosample", pa.array([biosample] * len(keys), pa.string()))
        tfs = sorted(set(tf_key.values()))
        sym_of = {v: k for k, v in tf_key.items()}
        yield from node_frames("RegulatoryElement", elements)
        yield from node_frames("TranscriptionFactor", pa.table({"id": tfs, "symbol": [sym_of[t] for t in tfs]}))
        if encoded and not existing:
            yield from node_frames("Gene", mapper.gene_nodes(encoded))
        if encoded:
            eb = sorted(encoded)
            yield from edge_frames(
                "ENCODED_BY", pa.table({"src": eb, "dst": eb}), src_type="TranscriptionFactor", dst_type="Gene"
            )
        bkeys = sorted(binds)
        signal = np.array([binds[k] for k in bkeys], np.float64)
        yield from edge_frames(
            "BINDS",
            pa.table(
                {
                    "src": pa.array([a for a, _ in bkeys], pa.string()),
                    "dst": pa.array([b for _, b in bkeys], pa.string()),
                    "evidence": pa.array(["ChIP"] * len(bkeys), pa.string()),
                    "motif_id": pa.array([""] * len(bkeys), pa.string()),
                    "biosample": pa.array([biosample] * len(bkeys), pa.string()),
                    "signal": pa.array(signal, pa.float64(), from_pandas=True),
                    "score": pa.array(signal, pa.float64(), from_pandas=True),
                }
            ),
            src_type="TranscriptionFactor",
            dst_type="RegulatoryElement",
        )
