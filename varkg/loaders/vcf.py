"""Variants from VCF/BCF (cyvcf2): normalised, split Variant nodes, genotypes on disk,
consequences as AFFECTS edges.

Positions are 1-based as in the VCF (``Variant.pos``); ids are ``{assembly}:{chrom}:{pos}:{ref}:{alt}``
after splitting multi-allelic records (one Variant per ALT, as ``bcftools norm -m-any``),
trimming shared bases and, when a reference is loaded, left-aligning indels against it.
REF is checked against the reference (case-insensitive, soft-masking ignored).

Streams in batches (``batch_size`` records); memory is bounded by one batch plus a rolling
window of recent keys for de-duplication, independent of file size.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from varkg.errors import InputError, VarkgError
from varkg.loaders._support.context import option, require_assembly
from varkg.loaders._support.text import check_gzip
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.loaders.consequence import IMPACT, SEVERITY, Annotation, most_severe
from varkg.typing import normalise_chrom

log = logging.getLogger(__name__)

SV_MIN_LENGTH = 50
"""Length difference (bp) from which an explicit-sequence indel is typed SV."""
_DEDUP_WINDOW = 10_000
_AF_MISSING = float("nan")
_GT_RECORDS = 4096  # records whose genotypes are held as allele indices before their dosages are computed


def variant_type(ref: str, alt: str) -> str:
    """``SNV``, ``MNV``, ``INDEL`` or ``SV`` (symbolic/breakend alleles or >= 50 bp change).

    >>> variant_type("A", "G"), variant_type("AC", "GT"), variant_type("A", "AT"), variant_type("A", "<DEL>")
    ('SNV', 'MNV', 'INDEL', 'SV')
    """
    if alt.startswith("<") or "[" in alt or "]" in alt:
        return "SV"
    if len(ref) == len(alt):
        return "SNV" if len(ref) == 1 else "MNV"
    return "SV" if abs(len(ref) - len(alt)) >= SV_MIN_LENGTH else "INDEL"


def is_symbolic(alt: str) -> bool:
    return alt.startswith("<") or "[" in alt or "]" in alt or alt in {"*", "."}


class RefWindow:
    """Cached 1-Mb windows of the reference for sorted access (0-based coordinates)."""

    _SIZE = 1 << 20

    def __init__(self, reference: Any) -> None:
        self.ref = reference
        self._key: tuple[str, int] | None = None
        self._seq = ""
        self._lo = 0  # genome position of self._seq[0]

    def fetch(self, chrom: str, start: int, end: int) -> str:
        if end - start > self._SIZE // 2 or start < 0:
            return self.ref.fetch(chrom, max(0, start), end)
        w = start // self._SIZE * self._SIZE
        if self._key != (chrom, w) or end > self._lo + len(self._seq):
            lo = max(self.ref.offsets.get(chrom, 0), w) if hasattr(self.ref, "offsets") else w
            hi = min(self.ref.lengths[chrom], w + self._SIZE + self._SIZE // 2)
            self._seq = self.ref.fetch(chrom, lo, hi) if lo < hi else ""
            self._key = (chrom, w)
            self._lo = lo
        return self._seq[start - self._lo : end - self._lo]

    def covers(self, chrom: str, start: int, end: int) -> bool:
        return self.ref.covers(chrom, start, end)


def normalise_allele(pos: int, ref: str, alt: str, ref_window: RefWindow | None, chrom: str) -> tuple[int, str, str]:
    """Trim shared bases and left-align (with a reference) one biallelic variant (1-based pos).

    Without a reference, only right-trimming that keeps both alleles non-empty and left-trimming
    are applied. Symbolic alleles are returned unchanged.
    """
    if (len(ref) == 1 and len(alt) == 1) or is_symbolic(alt):
        return pos, ref, alt
    # right trim and, with a reference, extend left when an allele becomes empty
    while True:
        if ref and alt and ref[-1] == alt[-1]:
            if ref_window is None and (len(ref) == 1 or len(alt) == 1):
                break
            ref, alt = ref[:-1], alt[:-1]
        if not ref or not alt:
            if ref_window is None or pos <= 1 or not ref_window.covers(chrom, pos - 2, pos - 1):
                break
            base = ref_window.fetch(chrom, pos - 2, pos - 1)
            ref, alt, pos = base + ref, base + alt, pos - 1
            continue
        if ref[-1] != alt[-1]:
            break
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


class _KeyWindow:
    """Recently seen Variant ids (a rolling window: sorted input keeps duplicates close)."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, int]] = {}
        self._chrom = ""
        self._lowest = 0

    def seen(self, key: str, chrom: str, pos: int) -> bool:
        if chrom != self._chrom:
            self._seen.clear()
            self._chrom = chrom
        if key in self._seen:
            return True
        self._seen[key] = (chrom, pos)
        if len(self._seen) > 4 * _DEDUP_WINDOW:
            cutoff = pos - _DEDUP_WINDOW
            self._seen = {k: v for k, v in self._seen.items() if v[1] >= cutoff}
        return False


def _csq_format(header: str, key: str) -> list[str] | None:
    m = re.search(rf'##INFO=<ID={key},[^>]*Format: ?([^">]+)', header)
    if not m:
        return None
    return [f.strip() for f in m.group(1).strip().strip("'").split("|")]


@register_loader("vcf")
class VcfLoader(Loader):
    """VCF/BCF -> Variant nodes (+ AFFECTS Variant->Gene), genotype matrix on disk.

    Options:
        batch_size (int): records per frame (default 50000).
        ref_mismatch ("error" | "skip"): REF differing from the reference raises an InputError
            with the count and examples after the scan (default), or the records are skipped
            and counted.
        genotypes (bool): write the samples x variants int8 dosage matrix (default true when
            the file has samples and an artifacts directory is set).
        consequences ("auto" | "none"): AFFECTS edges from VEP ``CSQ`` / SnpEff ``ANN`` when the
            VCF has them, else from the loaded annotation (``annotation`` option or the store);
            "none" skips them (default "auto").
        annotation (path): GTF/GFF3 or features Parquet to call consequences with.
        check_gzip (bool): verify the whole gzip stream before yielding anything (default true).

    Records with ALT ``.`` or ``*`` are not variants and are skipped (counted); a Variant id seen
    again after normalisation is skipped (counted). Unknown chromosomes (not in the reference,
    or not among the header's ``##contig`` lines when no reference is given) are an InputError.

    Example:
        ``varkg load vcf kgp_chr20_1-4Mb_reference.vcf.gz --assembly GRCh37 --option genotypes=true``
    """

    description = "VCF/BCF variants: split, normalised, REF-checked; genotypes to .npy; consequences"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        assembly = require_assembly(context, "vcf")
        opts = context.options
        batch_size = option(opts, "batch_size", 50_000)
        mismatch_mode = option(opts, "ref_mismatch", "error", choices=["error", "skip"])
        want_gt = option(opts, "genotypes", True)
        csq_mode = option(opts, "consequences", "auto", choices=["auto", "none"])
        if option(opts, "check_gzip", True):
            for p in paths:
                check_gzip(Path(p))
        reference = context.reference
        if isinstance(reference, (str, Path)):
            from varkg.loaders.reference import ReferenceGenome

            reference = ReferenceGenome(reference, assembly=assembly)
        annot: Annotation | None = None
        genes_loaded = False
        if csq_mode == "auto":
            from varkg.loaders._support.annotation_lookup import annotation_from_context

            annot, genes_loaded = annotation_from_context(context, assembly)
        self.stats: dict[str, int] = {}
        for p in paths:
            yield from self._one(
                Path(p),
                context=context,
                assembly=assembly,
                reference=reference,
                annot=annot,
                genes_loaded=genes_loaded,
                batch_size=batch_size,
                mismatch_mode=mismatch_mode,
                want_gt=want_gt,
                csq_mode=csq_mode,
            )

    def _one(
        self,
        path: Path,
        *,
        context: LoadContext,
        assembly: str,
        reference: Any,
        annot: Annotation | None,
        genes_loaded: bool,
        batch_size: int,
        mismatch_mode: str,
        want_gt: bool,
        csq_mode: str,
    ) -> Iterator[Frame]:
        """One file: records are normalised (:class:`_RecordNormaliser`), collected into a batch
        (:class:`_VariantBatch`) with their genotypes (:class:`_GenotypeDrain`), one frame set per
        ``batch_size`` Variant rows."""
        import cyvcf2

        if not path.exists():
            raise InputError("VCF does not exist", path=path)
        try:
            vcf = cyvcf2.VCF(str(path), gts012=True, lazy=True)
        except (OSError, Exception) as exc:  # cyvcf2 raises bare Exception on bad headers
            raise InputError(f"cannot open as VCF/BCF ({exc})", path=path) from None
        header = vcf.raw_header
        n_header = header.count("\n")
        samples = list(vcf.samples)
        csq_key = None
        csq_fields: list[str] = []
        if csq_mode == "auto":
            for key in ("CSQ", "ANN"):
                found = _csq_format(header, key)
                if found:
                    csq_key, csq_fields = key, found
                    break
        gt_writer = None
        if want_gt and samples and context.artifacts_dir is not None:
            from varkg.loaders._support.genotypes import GenotypeWriter

            stem = re.sub(r"\.(vcf|bcf)(\.gz|\.bgz)?$", "", path.name)
            gt_writer = GenotypeWriter(context.artifacts_dir, stem, samples)
        norm = _RecordNormaliser(
            path=path,
            n_header=n_header,
            assembly=assembly,
            reference=reference,
            mismatch_mode=mismatch_mode,
            contigs={normalise_chrom(c) for c in re.findall(r"##contig=<ID=([^,>]+)", header)},
        )
        stats = norm.stats
        batch = _VariantBatch()
        genotypes = _GenotypeDrain(len(samples), min(batch_size, _GT_RECORDS), gt_writer) if samples else None

        def flush() -> Iterator[Frame]:
            if batch.n == 0:
                return
            if genotypes is not None:
                genotypes.drain(batch)
            yield from batch.frames(
                assembly=assembly, csq_key=csq_key, csq_fields=csq_fields, annot=annot, refw=norm.refw, genes_loaded=genes_loaded
            )
            batch.reset()
            if genotypes is not None:
                genotypes.new_batch()

        i = -1
        try:
            it = iter(vcf)
            while True:
                try:
                    v = next(it)
                except StopIteration:
                    break
                except Exception as exc:  # noqa: BLE001 - cyvcf2 raises a bare Exception on a malformed record
                    raise RuntimeError(str(exc)) from None
                i += 1
                line = n_header + i + 1
                stats["records"] += 1
                raw_chrom = v.CHROM
                chrom = norm.chrom(raw_chrom, line)
                alts = v.ALT
                if not alts:
                    stats["no_alt"] += 1
                    continue
                pos0 = v.POS
                ref0 = v.REF.upper()
                if not norm.ref_matches(raw_chrom, chrom, pos0, ref0, line) or norm.failing:
                    continue
                vid = v.ID
                rsid = vid.split(";")[0] if vid and vid.startswith("rs") else None
                n_alt = len(alts)
                af_info = v.INFO.get("AF")
                if n_alt == 1:
                    afs = [af_info[0] if isinstance(af_info, tuple) else af_info]
                else:
                    afs = list(af_info) if isinstance(af_info, tuple) else [None] * n_alt
                # genotypes are read when written or when an ALT has no INFO AF (-2: not read yet, -1: none)
                slot = -2 if genotypes is not None and (gt_writer is not None or None in afs) else -1
                csq_raw = v.INFO.get(csq_key) if csq_key is not None else None
                for ai, alt, pos, ref, a2, vtype, key in norm.alleles(chrom, pos0, ref0, alts):
                    if genotypes is not None:
                        try:
                            slot = genotypes.add(v, slot, ai, n_alt, batch)
                        except VarkgError:
                            raise
                        except Exception as exc:  # noqa: BLE001 - cyvcf2: bare Exception on calls it cannot parse
                            raise InputError(f"unreadable genotype calls ({exc})", path=path, line=line, field="GT") from None
                    csq = _csq_for_allele(csq_raw, alt, ref0, n_alt, csq_fields) if csq_key is not None else None
                    batch.add(key, chrom, pos, ref, a2, rsid, vtype, afs[ai], csq)
                    stats["variants"] += 1
                    if batch.n == batch_size:
                        yield from flush()
                        if slot >= 0:
                            slot = -2
            norm.raise_if_failing()
            yield from flush()
        except InputError:
            if gt_writer is not None:
                gt_writer.abort()
            raise
        except (OSError, RuntimeError, ValueError) as exc:
            if gt_writer is not None:
                gt_writer.abort()
            raise InputError(f"unreadable VCF record after record {i + 1} ({exc})", path=path, line=n_header + i + 2) from None
        finally:
            vcf.close()
        if gt_writer is not None:
            context.artifacts.extend(gt_writer.finish())
        if stats["ref_mismatch"]:
            log.warning(
                "%s: skipped %d record(s) with REF mismatches, e.g. %s", path, stats["ref_mismatch"], "; ".join(norm.mismatches)
            )
        for k, val in stats.items():
            self.stats[k] = self.stats.get(k, 0) + val


class _RecordNormaliser:
    """Checks VCF records against the reference (or the header's contigs) and splits them into
    normalised biallelic alleles; counts what it skips in ``stats``.

    A REF mismatch skips the record; with ``mismatch_mode="error"`` the file fails at
    :meth:`raise_if_failing` (after the scan, so the error counts them all), and no record after
    the first mismatch is emitted meanwhile (``failing``).
    """

    def __init__(
        self, *, path: Path, n_header: int, assembly: str, reference: Any, contigs: set[str], mismatch_mode: str
    ) -> None:
        self.path, self.n_header, self.assembly, self.reference, self.contigs = path, n_header, assembly, reference, contigs
        self.mismatch_mode = mismatch_mode
        self.refw = RefWindow(reference) if reference is not None else None
        self.stats = {"records": 0, "variants": 0, "no_alt": 0, "duplicates": 0, "ref_mismatch": 0}
        self.mismatches: list[str] = []
        self.first_mismatch_line: int | None = None
        self.failing = False
        self._keys = _KeyWindow()
        self._chroms: dict[str, str] = {}

    def chrom(self, raw_chrom: str, line: int) -> str:
        """The normalised chromosome; InputError when neither the reference nor the header knows it."""
        chrom = self._chroms.get(raw_chrom)
        if chrom is None:
            chrom = normalise_chrom(raw_chrom)
            reference = self.reference
            if reference is not None and chrom not in reference:
                raise InputError(
                    f"unknown chromosome {raw_chrom!r}: not in the reference (expected one of {reference.chroms[:25]})",
                    path=self.path,
                    line=line,
                    field="CHROM",
                )
            if reference is None and self.contigs and chrom not in self.contigs:
                raise InputError(
                    f"unknown chromosome {raw_chrom!r}: not among the header's ##contig lines {sorted(self.contigs)[:25]}",
                    path=self.path,
                    line=line,
                    field="CHROM",
                )
            self._chroms[raw_chrom] = chrom
        return chrom

    def ref_matches(self, raw_chrom: str, chrom: str, pos0: int, ref0: str, line: int) -> bool:
        """False (counted) when REF differs from the reference; True without a reference.

        Raises:
            InputError: the record lies outside the reference sequence.
        """
        refw = self.refw
        if refw is None:
            return True
        if not refw.covers(chrom, pos0 - 1, pos0 - 1 + len(ref0)):
            raise InputError(
                f"position {raw_chrom}:{pos0} (REF {ref0!r}) is outside the reference sequence",
                path=self.path,
                line=line,
                field="POS",
            )
        got = refw.fetch(chrom, pos0 - 1, pos0 - 1 + len(ref0))
        if got == ref0 or _iupac_match(ref0, got):
            return True
        self.stats["ref_mismatch"] += 1
        if self.first_mismatch_line is None:
            self.first_mismatch_line = line
        if len(self.mismatches) < 5:
            self.mismatches.append(f"line {line}: {raw_chrom}:{pos0} REF {ref0!r} but the reference has {got!r}")
        if self.mismatch_mode == "error":
            self.failing = True
        return False

    def alleles(
        self, chrom: str, pos0: int, ref0: str, alts: Sequence[str]
    ) -> Iterator[tuple[int, str, int, str, str, str, str]]:
        """``(alt index, ALT as written (upper case), pos, ref, alt, vtype, Variant id)`` per ALT
        that is a variant not seen before (``*``/``.`` and repeated ids are counted and skipped)."""
        stats, assembly = self.stats, self.assembly
        for ai, alt in enumerate(alts):
            alt = alt.upper()
            if alt in ("*", "."):
                stats["no_alt"] += 1
                continue
            if len(alt) == 1 and len(ref0) == 1:
                pos, ref, a2, vtype = pos0, ref0, alt, "SNV"
            else:
                pos, ref, a2 = normalise_allele(pos0, ref0, alt, self.refw, chrom)
                vtype = variant_type(ref, a2)
            key = f"{assembly}:{chrom}:{pos}:{ref}:{a2}"
            if self._keys.seen(key, chrom, pos):
                stats["duplicates"] += 1
                continue
            yield ai, alt, pos, ref, a2, vtype, key

    def raise_if_failing(self) -> None:
        """The REF-mismatch error (count and examples) when ``mismatch_mode="error"`` saw any."""
        if self.failing:
            raise InputError(
                f"{self.stats['ref_mismatch']} record(s) whose REF differs from the reference "
                f"(use --option ref_mismatch=skip to skip them), e.g. " + "; ".join(self.mismatches),
                path=self.path,
                line=self.first_mismatch_line,
                field="REF",
            )


class _VariantBatch:
    """The Variant rows since the last frame (column lists) with their consequence inputs.

    ``af`` holds NaN for rows listed in ``af_missing`` (no INFO AF) until the genotype drain fills
    them in.
    """

    COLUMNS = ("id", "chrom", "pos", "ref", "alt", "rsid", "vtype", "af")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in self.COLUMNS}
        self._appends = tuple(self.cols[k].append for k in self.COLUMNS)
        self.csq_rows: list[tuple[str, list[str]]] = []
        self.af_missing: list[int] = []  # rows whose AF comes from their genotypes
        self.n = 0

    def add(
        self,
        key: str,
        chrom: str,
        pos: int,
        ref: str,
        alt: str,
        rsid: str | None,
        vtype: str,
        af: float | None,
        csq: list[str] | None,
    ) -> None:
        if af is None:
            self.af_missing.append(self.n)
            af = _AF_MISSING
        a_id, a_chrom, a_pos, a_ref, a_alt, a_rsid, a_vtype, a_af = self._appends
        a_id(key)
        a_chrom(chrom)
        a_pos(pos)
        a_ref(ref)
        a_alt(alt)
        a_rsid(rsid)
        a_vtype(vtype)
        a_af(af)
        if csq is not None:
            self.csq_rows.append((key, csq))
        self.n += 1

    def frames(
        self,
        *,
        assembly: str,
        csq_key: str | None,
        csq_fields: list[str],
        annot: Annotation | None,
        refw: RefWindow | None,
        genes_loaded: bool,
    ) -> Iterator[Frame]:
        """The Variant frame (with the most severe consequence per variant) and its AFFECTS edges:
        from the VCF's ``CSQ``/``ANN`` when ``csq_key`` is set, else called with ``annot``."""
        cols, n = self.cols, self.n
        node_cols: dict[str, Any] = {
            "id": pa.array(cols["id"], pa.string()),
            "assembly": pa.array([assembly] * n, pa.string()),
            "chrom": pa.array(cols["chrom"], pa.string()),
            "pos": pa.array(cols["pos"], pa.int64()),
            "ref": pa.array(cols["ref"], pa.string()),
            "alt": pa.array(cols["alt"], pa.string()),
            "rsid": pa.array(cols["rsid"], pa.string()),
            "vtype": pa.array(cols["vtype"], pa.string()),
            "af": pa.array(np.asarray(cols["af"], dtype=np.float64), pa.float64(), from_pandas=True),
        }
        edge_frame = None
        if csq_key is not None:
            edge_frame = _csq_edges(self.csq_rows, csq_key, csq_fields)
        elif annot is not None:
            edge_frame = _annotated_edges(annot, cols, refw, genes_loaded)
        if edge_frame is not None:
            worst = _worst_per_variant(edge_frame.table)
            node_cols["consequence"] = pa.array([worst.get(v, (None, None))[0] for v in cols["id"]], pa.string())
            node_cols["impact"] = pa.array([worst.get(v, (None, None))[1] for v in cols["id"]], pa.string())
        yield Frame.nodes("Variant", pa.table(node_cols))
        if edge_frame is not None and edge_frame.table.num_rows:
            yield edge_frame


class _GenotypeDrain:
    """Genotypes of the batch rows since the last drain, held as allele indices
    (:class:`~varkg.loaders._support.genotypes.AlleleBatch`, a few thousand records at a time) and
    drained into dosages: appended to the genotype matrix (when written) and used for the AF of
    rows without an INFO AF (alt alleles / 2 x called samples)."""

    def __init__(self, n_samples: int, capacity: int, writer: Any | None) -> None:
        from varkg.loaders._support.genotypes import AlleleBatch

        self.gts = AlleleBatch(n_samples, capacity)
        self.writer = writer
        self.drained = 0  # rows of the current batch whose genotypes are done

    def add(self, record: Any, slot: int, ai: int, n_alt: int, batch: _VariantBatch) -> int:
        """Hold the calls of ALT ``ai`` of ``record`` for the batch row about to be added; returns
        the record's slot (``-2``: the record's calls are not held yet; ``-1``: the row needs no
        genotypes and holds none)."""
        gts = self.gts
        if slot == -2:
            if gts.full:
                self.drain(batch)
            g = record.genotype
            slot = gts.add_record(g.array() if g is not None else None, n_alt)
        gts.add_row(slot, ai + 1)
        return slot

    def drain(self, batch: _VariantBatch) -> None:
        """Dosages of the rows since the last drain: to the genotype file, and into ``batch``'s AF
        of the rows in ``batch.af_missing``."""
        gts, writer = self.gts, self.writer
        drained, af_missing = self.drained, batch.af_missing
        if writer is not None or af_missing:
            need = np.zeros(batch.n - drained, dtype=bool)
            need[np.asarray(af_missing, dtype=np.int64) - drained] = True
            c_id, c_af = batch.cols["id"], batch.cols["af"]
            for a, b, dos in gts.chunks():
                if writer is not None:
                    writer.add(dos, c_id[drained + a : drained + b])
                rows = np.flatnonzero(need[a:b])
                if len(rows):
                    d = dos[rows]
                    called = d >= 0
                    n_called = called.sum(axis=1)
                    alt_count = np.where(called, d, 0).sum(axis=1, dtype=np.int64)
                    with np.errstate(invalid="ignore", divide="ignore"):
                        freq = np.where(n_called > 0, alt_count / (2.0 * n_called), np.nan)
                    for r, f in zip((rows + drained + a).tolist(), freq.tolist(), strict=False):
                        c_af[r] = f
        gts.reset()
        batch.af_missing = []
        self.drained = batch.n

    def new_batch(self) -> None:
        """The batch was emitted and reset: row numbers start again at 0."""
        self.drained = 0


_IUPAC = {
    "N": "ACGTN",
    "R": "AG",
    "Y": "CT",
    "S": "CG",
    "W": "AT",
    "K": "GT",
    "M": "AC",
    "B": "CGT",
    "D": "AGT",
    "H": "ACT",
    "V": "ACG",
}


def _iupac_match(ref: str, got: str) -> bool:
    if len(ref) != len(got):
        return False
    for a, b in zip(ref, got, strict=False):
        if a != b and b not in _IUPAC.get(a, a) and a not in _IUPAC.get(b, b):
            return False
    return True


def _annotated_edges(annot: Annotation, cols: dict[str, list], refw: RefWindow | None, genes_loaded: bool) -> Frame:
    rows: dict[str, list] = {
        k: [] for k in ("src", "dst", "consequence", "impact", "distance", "transcript", "amino_acids", "codons")
    }
    for vid, chrom, pos, ref, alt in zip(cols["id"], cols["chrom"], cols["pos"], cols["ref"], cols["alt"], strict=False):
        for h in annot.annotate(chrom, pos, ref, alt, reference=refw):
            rows["src"].append(vid)
            rows["dst"].append(h.gene_id)
            rows["consequence"].append(h.consequence)
            rows["impact"].append(h.impact)
            rows["distance"].append(h.distance)
            rows["transcript"].append(h.transcript)
            rows["amino_acids"].append(h.amino_acids)
            rows["codons"].append(h.codons)
    table = pa.table(
        {
            **{k: pa.array(v, pa.int64() if k == "distance" else pa.string()) for k, v in rows.items()},
            "source": pa.array(["varkg"] * len(rows["src"]), pa.string()),
        }
    )
    return Frame.edges("AFFECTS", table, src_type="Variant", dst_type="Gene", missing="error" if genes_loaded else "skip")


def _csq_for_allele(raw: Any, alt: str, ref: str, n_alt: int, fields: list[str]) -> list[str]:
    if not raw:
        return []
    entries = str(raw).split(",")
    if n_alt == 1:
        return entries
    # VEP writes indel alleles without the shared first base ("-" when empty)
    short = alt[1:] if len(alt) != len(ref) and alt[:1] == ref[:1] else alt
    short = short or "-"
    return [e for e in entries if e.split("|", 1)[0] in (alt, short)]


def _csq_edges(csq_rows: list[tuple[str, list[str]]], key: str, fields: list[str]) -> Frame:
    idx = {f: i for i, f in enumerate(fields)}
    if key == "CSQ":
        c_cons, c_imp, c_gene, c_tx = idx.get("Consequence"), idx.get("IMPACT"), idx.get("Gene"), idx.get("Feature")
        c_aa, c_cod, source = idx.get("Amino_acids"), idx.get("Codons"), "VEP"
    else:
        c_cons, c_imp, c_gene, c_tx = (
            idx.get("Annotation"),
            idx.get("Annotation_Impact"),
            idx.get("Gene_ID"),
            idx.get("Feature_ID"),
        )
        c_aa = c_cod = None
        source = "SnpEff"
    best: dict[tuple[str, str], tuple[int, list]] = {}
    for vid, entries in csq_rows:
        for e in entries:
            f = e.split("|")
            gene = f[c_gene] if c_gene is not None and c_gene < len(f) else ""
            if not gene:
                continue
            gene = re.sub(r"\.\d+$", "", gene)
            terms = [t for t in (f[c_cons] if c_cons is not None else "").split("&") if t]
            if not terms:
                continue
            term = most_severe(terms)
            sev = SEVERITY.get(term, len(SEVERITY))
            row = [
                term,
                (f[c_imp] if c_imp is not None and c_imp < len(f) else None) or IMPACT.get(term),
                f[c_tx] if c_tx is not None and c_tx < len(f) else None,
                (f[c_aa] or None) if c_aa is not None and c_aa < len(f) else None,
                (f[c_cod] or None) if c_cod is not None and c_cod < len(f) else None,
            ]
            k = (vid, gene)
            if k not in best or sev < best[k][0]:
                best[k] = (sev, row)
    ks = list(best)
    table = pa.table(
        {
            "src": pa.array([k[0] for k in ks], pa.string()),
            "dst": pa.array([k[1] for k in ks], pa.string()),
            "consequence": pa.array([best[k][1][0] for k in ks], pa.string()),
            "impact": pa.array([best[k][1][1] for k in ks], pa.string()),
            "transcript": pa.array([best[k][1][2] for k in ks], pa.string()),
            "amino_acids": pa.array([best[k][1][3] for k in ks], pa.string()),
            "codons": pa.array([best[k][1][4] for k in ks], pa.string()),
            "source": pa.array([source] * len(ks), pa.string()),
        }
    )
    return Frame.edges("AFFECTS", table, src_type="Variant", dst_type="Gene", missing="skip")


def _worst_per_variant(edges: pa.Table) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for vid, term, imp in zip(
        edges.column("src").to_pylist(), edges.column("consequence").to_pylist(), edges.column("impact").to_pylist(), strict=False
    ):
        old = out.get(vid)
        if old is None or SEVERITY.get(term, 99) < SEVERITY.get(old[0], 99):
            out[vid] = (term, imp)
    return out
