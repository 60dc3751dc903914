"""Variant consequences on genes from a loaded annotation (a small, strand-aware VEP).

The annotation arrives as a *features table* (Arrow; what the ``annotation`` loader writes to
``{stem}.features.parquet``), one row per exon / CDS / UTR / start_codon / stop_codon / transcript:

=================  ========  =====================================================
column             type      meaning
=================  ========  =====================================================
chrom              string    normalised chromosome (no ``chr``)
start, stop        int64     0-based half-open
strand             string    ``+`` or ``-``
feature            string    transcript, exon, CDS, UTR, five_prime_utr, three_prime_utr,
                             start_codon, stop_codon
phase              int8      CDS phase (GTF column 8), null otherwise
transcript_id      string    without version; null for gene-level exon unions
gene_id            string    Gene node id (Ensembl id without version)
transcript_biotype string    protein_coding, lncRNA, ... (null when unknown)
canonical          bool      Ensembl_canonical / MANE_Select tag (tie-breaker)
=================  ========  =====================================================

Rules (per transcript, then the most severe per gene, Sequence Ontology terms and VEP impact
classes): coding SNVs/MNVs are translated codon by codon (standard code, strand-aware; needs
the reference) into missense / synonymous / stop_gained / stop_lost / stop_retained /
start_lost; coding indels are frameshift or in-frame insertion/deletion; exonic non-coding bases
are 5'/3' UTR (coding transcripts), non_coding_transcript_exon (non-coding ones) or exon_variant
(gene-level exon unions whose CDS is unknown); intronic bases at ±1-2 from an exon are splice
donor/acceptor, within 3-8 bp of the intron end or 1-3 bp inside the exon splice_region, else
intron; within ``flank`` (5 kb) of the transcript up/downstream_gene; elsewhere
intergenic_variant to the nearest gene with its distance.

Coordinates: variants are 1-based ``pos`` (VCF); features 0-based half-open.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np
import pyarrow as pa

from varkg.dna import reverse_complement

FEATURES_SCHEMA = pa.schema(
    [
        ("chrom", pa.string()),
        ("start", pa.int64()),
        ("stop", pa.int64()),
        ("strand", pa.string()),
        ("feature", pa.string()),
        ("phase", pa.int8()),
        ("transcript_id", pa.string()),
        ("gene_id", pa.string()),
        ("transcript_biotype", pa.string()),
        ("canonical", pa.bool_()),
    ]
)

IMPACT: dict[str, str] = {
    "splice_acceptor_variant": "HIGH",
    "splice_donor_variant": "HIGH",
    "stop_gained": "HIGH",
    "frameshift_variant": "HIGH",
    "stop_lost": "HIGH",
    "start_lost": "HIGH",
    "inframe_insertion": "MODERATE",
    "inframe_deletion": "MODERATE",
    "missense_variant": "MODERATE",
    "protein_altering_variant": "MODERATE",
    "splice_region_variant": "LOW",
    "start_retained_variant": "LOW",
    "stop_retained_variant": "LOW",
    "synonymous_variant": "LOW",
    "coding_sequence_variant": "MODIFIER",
    "5_prime_UTR_variant": "MODIFIER",
    "3_prime_UTR_variant": "MODIFIER",
    "non_coding_transcript_exon_variant": "MODIFIER",
    "exon_variant": "MODIFIER",
    "intron_variant": "MODIFIER",
    "upstream_gene_variant": "MODIFIER",
    "downstream_gene_variant": "MODIFIER",
    "intergenic_variant": "MODIFIER",
}
SEVERITY: dict[str, int] = {term: i for i, term in enumerate(IMPACT)}
"""Lower is more severe (VEP's order)."""

_BASES = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE: dict[str, str] = {
    a + b + c: _AA[16 * i + 4 * j + k] for i, a in enumerate(_BASES) for j, b in enumerate(_BASES) for k, c in enumerate(_BASES)
}


def translate(codon: str) -> str:
    """One amino acid (``*`` stop, ``X`` unknown) for a 3-base codon (standard genetic code)."""
    return CODON_TABLE.get(codon.upper(), "X")


def most_severe(terms: Iterable[str]) -> str:
    return min(terms, key=lambda t: SEVERITY.get(t, len(SEVERITY)))


class Hit(NamedTuple):
    """One variant-gene consequence (an AFFECTS edge)."""

    gene_id: str
    consequence: str
    impact: str
    distance: int | None
    transcript: str | None
    amino_acids: str | None
    codons: str | None


@dataclass
class Transcript:
    id: str | None
    gene_id: str
    chrom: str
    strand: str
    start: int
    stop: int
    exons: list[tuple[int, int]] = field(default_factory=list)
    coding: list[tuple[int, int]] = field(default_factory=list)
    first_phase: int = 0
    coding_known: bool = True
    canonical: bool = False

    @property
    def is_coding(self) -> bool:
        return bool(self.coding)


def _merge(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(iv):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


class ReferenceLike(Protocol):
    """What the engine needs from a reference (``varkg.loaders.reference.ReferenceGenome``)."""

    def fetch(self, chrom: str, start: int, end: int) -> str: ...  # pragma: no cover

    def covers(self, chrom: str, start: int, end: int) -> bool: ...  # pragma: no cover


class Annotation:
    """Transcript models indexed per chromosome for consequence calls.

    Args:
        features: a features table (see the module docstring).
        genes: optional ``id, chrom, start, stop, strand`` (0-based half-open) for the nearest-gene
            search of intergenic variants (default: transcript extents per gene).
        flank: up/downstream window in bp (default 5000).
    """

    def __init__(self, features: pa.Table, *, genes: pa.Table | None = None, flank: int = 5000) -> None:
        self.flank = flank
        cols = {name: features.column(name).to_pylist() for name in features.column_names}
        n = features.num_rows
        txs: dict[tuple[str, str | None, str], Transcript] = {}
        cds_phase: dict[tuple[str, str | None, str], list[tuple[int, int, int]]] = defaultdict(list)
        for i in range(n):
            gid = cols["gene_id"][i]
            tid = cols["transcript_id"][i]
            chrom = cols["chrom"][i]
            key = (gid, tid, chrom)
            s, e, feat = int(cols["start"][i]), int(cols["stop"][i]), cols["feature"][i]
            tx = txs.get(key)
            if tx is None:
                tx = txs[key] = Transcript(tid, gid, chrom, cols["strand"][i], s, e, coding_known=tid is not None)
            tx.start, tx.stop = min(tx.start, s), max(tx.stop, e)
            if "canonical" in cols and cols["canonical"][i]:
                tx.canonical = True
            if feat == "exon":
                tx.exons.append((s, e))
            elif feat in ("CDS", "stop_codon", "start_codon"):
                tx.coding.append((s, e))
                if feat == "CDS":
                    ph = cols["phase"][i] if "phase" in cols else None
                    cds_phase[key].append((s, e, int(ph or 0)))
        self.transcripts: dict[str, list[Transcript]] = defaultdict(list)
        for key, tx in txs.items():
            tx.exons = _merge(tx.exons) or [(tx.start, tx.stop)]
            tx.coding = _merge(tx.coding)
            if cds_phase.get(key):
                first = min(cds_phase[key]) if tx.strand == "+" else max(cds_phase[key], key=lambda t: t[1])
                # the CDS segment that starts the coding sequence; stop codons merged in do not shift it
                tx.first_phase = first[2]
                if tx.strand == "+" and tx.coding and tx.coding[0][0] < first[0]:
                    tx.first_phase += first[0] - tx.coding[0][0]
                if tx.strand == "-" and tx.coding and tx.coding[-1][1] > first[1]:
                    tx.first_phase += tx.coding[-1][1] - first[1]
            self.transcripts[tx.chrom].append(tx)
        self._starts: dict[str, np.ndarray] = {}
        self._maxlen: dict[str, int] = {}
        for chrom, lst in self.transcripts.items():
            lst.sort(key=lambda t: (t.start, t.stop))
            self._starts[chrom] = np.array([t.start for t in lst], dtype=np.int64)
            self._maxlen[chrom] = max(t.stop - t.start for t in lst)
        # genes for the nearest-gene search
        gene_rows: dict[str, list] = {}
        if genes is not None and genes.num_rows:
            g = {c: genes.column(c).to_pylist() for c in ("id", "chrom", "start", "stop")}
            for gid, chrom, s, e in zip(g["id"], g["chrom"], g["start"], g["stop"], strict=False):
                if chrom is not None and s is not None and e is not None:
                    gene_rows[gid] = [chrom, int(s), int(e)]
        for chrom, lst in self.transcripts.items():
            for t in lst:
                r = gene_rows.setdefault(t.gene_id, [chrom, t.start, t.stop])
                if r[0] == chrom:
                    r[1], r[2] = min(r[1], t.start), max(r[2], t.stop)
        by_chrom: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for gid, (chrom, s, e) in gene_rows.items():
            by_chrom[chrom].append((s, e, gid))
        self._genes: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]] = {}
        for chrom, spans in by_chrom.items():
            spans.sort()
            starts = np.array([s for s, _, _ in spans], dtype=np.int64)
            stops = np.array([e for _, e, _ in spans], dtype=np.int64)
            # running argmax of stops: the gene reaching furthest right among those starting before p
            run = np.zeros(len(spans), dtype=np.int64)
            best = 0
            for i in range(len(spans)):
                if stops[i] > stops[best]:
                    best = i
                run[i] = best
            self._genes[chrom] = (starts, stops, run, [gid for _, _, gid in spans])

    @property
    def n_transcripts(self) -> int:
        return sum(len(v) for v in self.transcripts.values())

    def chroms(self) -> set[str]:
        return set(self.transcripts) | set(self._genes)

    # ----------------------------------------------------------------- calls
    def annotate(self, chrom: str, pos: int, ref: str, alt: str, *, reference: Any | None = None) -> list[Hit]:
        """Consequences of ``ref>alt`` at 1-based ``pos`` on every gene within the flank, or one
        intergenic hit to the nearest gene (none when the chromosome has no genes)."""
        ref, alt = ref.upper(), alt.upper()
        if alt.startswith("<") or "[" in alt or "]" in alt or alt in {"*", "."}:
            s, e, r_t, a_t = pos - 1, pos - 1 + len(ref), ref, ""
            symbolic = True
        else:
            symbolic = False
            # trim the shared prefix/suffix to the changed span [s, e) (0-based)
            p = 0
            while p < min(len(ref), len(alt)) and ref[p] == alt[p]:
                p += 1
            q = 0
            while q < min(len(ref), len(alt)) - p and ref[len(ref) - 1 - q] == alt[len(alt) - 1 - q]:
                q += 1
            r_t, a_t = ref[p : len(ref) - q], alt[p : len(alt) - q]
            s = pos - 1 + p
            e = s + len(r_t)
        hits: dict[str, Hit] = {}
        canon: dict[str, bool] = {}
        for tx in self._overlapping(chrom, s, max(e, s + 1)):
            h = self._classify(tx, s, e, r_t, a_t, symbolic, reference)
            if h is None:
                continue
            old = hits.get(tx.gene_id)
            if old is None or (SEVERITY[h.consequence], not tx.canonical) < (SEVERITY[old.consequence], not canon[tx.gene_id]):
                hits[tx.gene_id] = h
                canon[tx.gene_id] = tx.canonical
        if hits:
            return list(hits.values())
        near = self.nearest_gene(chrom, s)
        if near is None:
            return []
        gid, dist = near
        return [Hit(gid, "intergenic_variant", "MODIFIER", dist, None, None, None)]

    def nearest_gene(self, chrom: str, p0: int) -> tuple[str, int] | None:
        """The gene nearest to 0-based position ``p0`` and its distance in bp (0 inside)."""
        g = self._genes.get(chrom)
        if g is None:
            return None
        starts, stops, run, ids = g
        i = int(np.searchsorted(starts, p0, side="right"))
        best: tuple[str, int] | None = None
        if i > 0:
            j = int(run[i - 1])
            d = max(0, p0 - int(stops[j]) + 1)
            best = (ids[j], d)
        if i < len(starts):
            d = int(starts[i]) - p0
            if best is None or d < best[1]:
                best = (ids[i], d)
        return best

    def _overlapping(self, chrom: str, s: int, e: int) -> list[Transcript]:
        starts = self._starts.get(chrom)
        if starts is None:
            return []
        lst = self.transcripts[chrom]
        lo = int(np.searchsorted(starts, s - self.flank - self._maxlen[chrom], side="left"))
        hi = int(np.searchsorted(starts, e + self.flank, side="left"))
        return [t for t in lst[lo:hi] if t.stop + self.flank > s and t.start - self.flank < e]

    def _classify(self, tx: Transcript, s: int, e: int, r: str, a: str, symbolic: bool, reference: Any | None) -> Hit | None:
        plus = tx.strand != "-"
        lo, hi = (s, e) if e > s else (s - 1, s + 1)  # an insertion sits between s-1 and s
        if hi <= tx.start or lo >= tx.stop:
            before = hi <= tx.start
            dist = tx.start - hi + 1 if before else lo - tx.stop + 1
            if dist > self.flank:
                return None
            up = before if plus else not before
            term = "upstream_gene_variant" if up else "downstream_gene_variant"
            return Hit(tx.gene_id, term, IMPACT[term], dist, tx.id, None, None)
        terms: list[str] = []
        span = range(max(lo, tx.start), min(hi, tx.stop))
        positions: Iterable[int] = span
        if len(span) > 64:  # long deletions: boundaries are what matter
            positions = [*range(span.start, span.start + 32), *range(span.stop - 32, span.stop)]
        for p in positions:
            terms.append(self._base_term(tx, p, plus))
        amino = codons = None
        in_coding = [p for p in positions if _inside(tx.coding, p)]
        if in_coding and not symbolic:
            if e > s and len(r) == len(a):
                term, amino, codons = self._coding_substitution(tx, s, r, a, plus, reference)
                terms.append(term)
            elif (len(a) - len(r)) % 3:
                terms.append("frameshift_variant")
            else:
                terms.append("inframe_insertion" if len(a) > len(r) else "inframe_deletion")
        elif in_coding:
            terms.append("coding_sequence_variant")
        term = most_severe(terms)
        if term not in (
            "missense_variant",
            "synonymous_variant",
            "stop_gained",
            "stop_lost",
            "stop_retained_variant",
            "start_lost",
            "start_retained_variant",
        ):
            amino = codons = None
        return Hit(tx.gene_id, term, IMPACT[term], None, tx.id, amino, codons)

    def _base_term(self, tx: Transcript, p: int, plus: bool) -> str:
        exons = tx.exons
        i = bisect_right(exons, (p, float("inf"))) - 1
        if i >= 0 and exons[i][0] <= p < exons[i][1]:
            s, e = exons[i]
            near_boundary = (i > 0 and p - s < 3) or (i < len(exons) - 1 and e - 1 - p < 3)
            if tx.coding and _inside(tx.coding, p):
                return "splice_region_variant" if near_boundary else "coding_sequence_variant"
            if not tx.coding_known:
                base = "exon_variant"
            elif tx.coding:
                five = p < tx.coding[0][0] if plus else p >= tx.coding[-1][1]
                base = "5_prime_UTR_variant" if five else "3_prime_UTR_variant"
            else:
                base = "non_coding_transcript_exon_variant"
            return most_severe([base, "splice_region_variant"]) if near_boundary else base
        if i < 0 or i >= len(exons) - 1:  # transcript extent beyond its exons (malformed models)
            return "intron_variant"
        # intron between exons[i] and exons[i+1]
        istart, istop = exons[i][1], exons[i + 1][0]
        d_left, d_right = p - istart, istop - 1 - p
        if min(d_left, d_right) <= 1:
            left_is_donor = plus
            return "splice_donor_variant" if (d_left <= 1) == left_is_donor else "splice_acceptor_variant"
        if min(d_left, d_right) <= 7:
            return "splice_region_variant"
        return "intron_variant"

    def _cds_offset(self, tx: Transcript, p: int, plus: bool) -> int:
        off = 0
        ivs = tx.coding if plus else reversed(tx.coding)
        for s, e in ivs:
            if s <= p < e:
                return off + (p - s if plus else e - 1 - p)
            off += e - s
        raise ValueError(p)

    def _cds_position(self, tx: Transcript, off: int, plus: bool) -> int:
        ivs = tx.coding if plus else list(reversed(tx.coding))
        for s, e in ivs:
            n = e - s
            if off < n:
                return s + off if plus else e - 1 - off
            off -= n
        return -1

    def _coding_substitution(self, tx: Transcript, s: int, r: str, a: str, plus: bool, reference: Any | None):
        if reference is None:
            return "coding_sequence_variant", None, None
        changes: dict[int, str] = {}
        for k in range(len(r)):
            p = s + k
            if _inside(tx.coding, p):
                off = self._cds_offset(tx, p, plus)
                changes[off] = a[k] if plus else reverse_complement(a[k])
        terms, aas, cods = [], [], []
        for codon_idx in sorted({(off - tx.first_phase) // 3 for off in changes if off >= tx.first_phase}):
            first = tx.first_phase + 3 * codon_idx
            gpos = [self._cds_position(tx, first + j, plus) for j in range(3)]
            if min(gpos) < 0 or not all(reference.covers(tx.chrom, g, g + 1) for g in gpos):
                terms.append("coding_sequence_variant")
                continue
            bases = [reference.fetch(tx.chrom, g, g + 1).upper() for g in gpos]
            if not plus:
                bases = [reverse_complement(b) for b in bases]
            ref_codon = "".join(bases)
            alt_bases = [changes.get(first + j, bases[j]) for j in range(3)]
            alt_codon = "".join(alt_bases)
            ra, aa = translate(ref_codon), translate(alt_codon)
            if ra == aa:
                term = (
                    "stop_retained_variant"
                    if ra == "*"
                    else ("start_retained_variant" if codon_idx == 0 and ra == "M" else "synonymous_variant")
                )
            elif codon_idx == 0 and ra == "M":
                term = "start_lost"
            elif ra == "*":
                term = "stop_lost"
            elif aa == "*":
                term = "stop_gained"
            else:
                term = "missense_variant"
            terms.append(term)
            aas.append(ra if ra == aa else f"{ra}/{aa}")
            mark = "".join(b.upper() if first + j in changes else b.lower() for j, b in enumerate(bases))
            amark = "".join(b.upper() if first + j in changes else b.lower() for j, b in enumerate(alt_bases))
            cods.append(f"{mark}/{amark}")
        if not terms:
            return "coding_sequence_variant", None, None
        return most_severe(terms), ",".join(aas) or None, ",".join(cods) or None


def _inside(ivs: list[tuple[int, int]], p: int) -> bool:
    i = bisect_right(ivs, (p, float("inf"))) - 1
    return i >= 0 and ivs[i][0] <= p < ivs[i][1]
