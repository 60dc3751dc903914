"""Position weight matrix scanning, vectorised with numpy.

A :class:`Motif` holds a position frequency matrix (counts, rows A, C, G, T; one column per motif
position). Against a background ``b`` (by default the base composition of the scanned sequence,
made strand-symmetric because both strands are scanned) its log-odds matrix is::

    W[b, j] = log2( (counts[b, j] + pseudocount * bg[b]) / (N_j + pseudocount) / bg[b] )   # bits

A placement's score is the sum of ``W`` over the window; any non-ACGT base (N) makes the
placement invalid. Both strands are scanned (the reverse strand with the reverse-complement
matrix; a minus-strand hit is reported at the same 0-based start on the plus strand).

P-values are exact for the discretised matrix: the score distribution of an i.i.d. background
sequence is computed by convolution, column by column, on a grid of ``resolution`` bits
(as FIMO/MOODS do); ``threshold(p)`` is the smallest grid score whose upper tail is ``<= p``.

Speed: columns are grouped in ``k``-mers (default 3): a lookup table of ``5**k`` rows per group
turns ``k`` gathers-and-adds into one, and all motifs of a group of matrices are scored with one
gather per column group (``np.take`` over a ``(5**k, n_motifs)`` table).

>>> m = Motif("M1", "toy", np.array([[9, 0, 0], [0, 9, 0], [0, 0, 9], [0, 0, 0]], float))
>>> sc = MotifScanner([m], pvalue=0.02, background=np.full(4, 0.25))
>>> hits = sc.scan("TTACGAT")
>>> hits.position.tolist(), hits.strand.tolist()
([2], ['+'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from varkg.dna import BASES, encode
from varkg.errors import InputError

# encode is re-exported: scanners take the codes of varkg.dna.encode (A=0 .. T=3, other 4).
__all__ = ["Hits", "Motif", "MotifScanner", "background_of", "encode"]

_NEG = np.float32(-1e6)
_INVALID = -1e5  # any score below this comes from a placement over an N


def background_of(codes: np.ndarray) -> np.ndarray:
    """Strand-symmetric base frequencies ``(A, C, G, T)`` of encoded sequence(s); uniform if empty."""
    counts = np.bincount(np.asarray(codes, dtype=np.uint8), minlength=5)[:4].astype(np.float64)
    if counts.sum() == 0:
        return np.full(4, 0.25)
    counts = (counts + counts[::-1]) / 2.0  # A<->T, C<->G
    return counts / counts.sum()


@dataclass(frozen=True)
class Motif:
    """A position frequency matrix.

    Attributes:
        id: matrix id (``MA0139.2``).
        name: matrix name (``CTCF``).
        counts: ``float64[4, L]`` counts (or frequencies) in A, C, G, T row order.
    """

    id: str
    name: str
    counts: np.ndarray
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        c = np.asarray(self.counts, dtype=np.float64)
        if c.ndim != 2 or c.shape[0] != 4 or c.shape[1] == 0:
            raise InputError(f"motif {self.id!r}: matrix has shape {c.shape}, expected (4, length>0)")
        if (c < 0).any() or not np.isfinite(c).all():
            raise InputError(f"motif {self.id!r}: matrix has negative or non-finite values")
        if (c.sum(axis=0) <= 0).any():
            raise InputError(f"motif {self.id!r}: a column sums to 0")
        object.__setattr__(self, "counts", c)

    @property
    def length(self) -> int:
        return int(self.counts.shape[1])

    def probabilities(self) -> np.ndarray:
        """Column-normalised frequencies ``float64[4, L]``."""
        return self.counts / self.counts.sum(axis=0, keepdims=True)

    def information_content(self) -> float:
        """Total information content in bits against a uniform background."""
        p = self.probabilities()
        with np.errstate(divide="ignore", invalid="ignore"):
            plogp = np.where(p > 0, p * np.log2(p), 0.0)
        return float((2.0 + plogp.sum(axis=0)).sum())

    def consensus(self) -> str:
        """The most frequent base per column."""
        return "".join(BASES[i] for i in self.counts.argmax(axis=0))

    def log_odds(self, background: np.ndarray, *, pseudocount: float = 0.8) -> np.ndarray:
        """Log-odds matrix ``float64[4, L]`` in bits (see the module docstring).

        Frequency matrices (columns summing to 1) are treated as 100 sites.
        """
        bg = np.asarray(background, dtype=np.float64)
        c = self.counts
        n = c.sum(axis=0, keepdims=True)
        if np.allclose(n, 1.0, atol=0.02):
            c = c * 100.0
            n = n * 100.0
        p = (c + pseudocount * bg[:, None]) / (n + pseudocount)
        return np.log2(p / bg[:, None])


@dataclass(frozen=True)
class Hits:
    """Motif matches (parallel arrays). ``position`` is the 0-based start of the match within
    its sequence plus the sequence's offset; ``seq`` indexes the scanned sequences."""

    motif: np.ndarray
    seq: np.ndarray
    position: np.ndarray
    strand: np.ndarray
    score: np.ndarray
    pvalue: np.ndarray

    def __len__(self) -> int:
        return len(self.position)


class _Distribution:
    """Exact upper-tail probabilities of the discretised score of one log-odds matrix."""

    def __init__(self, w: np.ndarray, bg: np.ndarray, resolution: float) -> None:
        ints = np.rint(w / resolution).astype(np.int64)  # (4, L)
        self.min = int(ints.min(axis=0).sum())
        size = int(ints.max(axis=0).sum()) - self.min + 1
        dist = np.zeros(size)
        dist[0] = 1.0
        for j in range(ints.shape[1]):
            col = ints[:, j] - ints[:, j].min()
            new = np.zeros(size)
            for b in range(4):
                s = int(col[b])
                new[s:] += bg[b] * dist[: size - s]
            dist = new
        self.tail = np.cumsum(dist[::-1])[::-1]  # tail[t] = P(score_int >= min + t)
        self.resolution = resolution

    def threshold(self, pvalue: float) -> float:
        ok = np.flatnonzero(self.tail <= pvalue)
        t = ok[0] if ok.size else len(self.tail) - 1
        return (self.min + t) * self.resolution - 1e-9


class MotifScanner:
    """Scan sequences with a set of motifs on both strands.

    Args:
        motifs: the matrices.
        pvalue: match threshold (upper-tail p-value of a placement's score).
        background: ``(A, C, G, T)`` frequencies, or ``None`` to take them from each call's
            sequences (strand-symmetric).
        pseudocount: total pseudocount per column, spread by the background.
        resolution: score grid for the p-value computation, in bits.
        kmer: columns combined per lookup (1-4).
        motif_group: matrices scored together (memory ``~ block * 2 * motif_group * 4`` bytes).
        block: positions scored at once.
    """

    def __init__(
        self,
        motifs: Sequence[Motif],
        *,
        pvalue: float = 1e-4,
        background: np.ndarray | None = None,
        pseudocount: float = 0.8,
        resolution: float = 0.01,
        kmer: int = 3,
        motif_group: int = 32,
        block: int = 1 << 15,
    ) -> None:
        if not motifs:
            raise InputError("no motifs to scan with")
        if not 0 < pvalue < 1:
            raise InputError(f"pvalue must be in (0, 1), got {pvalue}")
        if not 1 <= kmer <= 4:
            raise InputError(f"kmer must be in 1..4, got {kmer}")
        self.motifs = list(motifs)
        self.pvalue = pvalue
        self.pseudocount = pseudocount
        self.resolution = resolution
        self.kmer = kmer
        self.motif_group = motif_group
        self.block = block
        self._fixed_bg = None if background is None else np.asarray(background, np.float64)
        self._prepared_for: tuple | None = None
        self.lengths = np.array([m.length for m in self.motifs], dtype=np.int64)
        self.lmax = int(self.lengths.max())
        self._ncols = -(-self.lmax // kmer) * kmer

    # -- preparation -------------------------------------------------------------------------
    def _prepare(self, bg: np.ndarray) -> None:
        key = tuple(np.round(bg, 6))
        if self._prepared_for == key:
            return
        k, ncols = self.kmer, self._ncols
        K = len(self.motifs)
        # per motif & strand: (5, ncols) scores with N row = NEG, padding columns = 0
        full = np.zeros((2 * K, 5, ncols), dtype=np.float64)
        thresholds = np.empty(K)
        tails, mins = [], []
        for i, m in enumerate(self.motifs):
            w = m.log_odds(bg, pseudocount=self.pseudocount)
            wr = w[::-1, ::-1]  # reverse complement: complement rows (A<->T, C<->G), reverse columns
            L = m.length
            for s, mat in ((2 * i, w), (2 * i + 1, wr)):
                full[s, :4, :L] = mat
                full[s, 4, :L] = _NEG
            d = _Distribution(w, bg, self.resolution)
            thresholds[i] = d.threshold(self.pvalue)
            tails.append(d.tail)
            mins.append(d.min)
        # k-mer tables: for column group g, T[g][code_k, s] = sum_r full[s, digit_r(code_k), g*k + r]
        n5 = 5**k
        digits = np.array(np.unravel_index(np.arange(n5), (5,) * k))  # (k, 5**k), most significant first
        ngroups = ncols // k
        tables = np.zeros((ngroups, n5, 2 * K), dtype=np.float32)
        for g in range(ngroups):
            acc = np.zeros((2 * K, n5))
            for r in range(k):
                acc += full[:, digits[r], g * k + r]
            tables[g] = np.maximum(acc, _NEG).T
        self._tables = tables
        self._thr = thresholds
        self._tail_base = np.concatenate([[0], np.cumsum([len(t) for t in tails])[:-1]]).astype(np.int64)
        self._tail_size = np.array([len(t) for t in tails], dtype=np.int64)
        self._tail_min = np.array(mins, dtype=np.int64)
        self._tail_flat = np.concatenate(tails)
        self._prepared_for = key
        self.background = bg

    def thresholds(self, background: np.ndarray) -> np.ndarray:
        """Score thresholds (bits) per motif for the scanner's p-value under ``background``."""
        self._prepare(np.asarray(background, np.float64))
        return self._thr.copy()

    def pvalues(self, motif: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Upper-tail p-values of ``score`` (bits) for motif indices ``motif`` (after a scan)."""
        if self._prepared_for is None:
            if self._fixed_bg is None:
                raise InputError("p-values need a background: scan first or give background=")
            self._prepare(self._fixed_bg)
        motif = np.asarray(motif, np.int64)
        # each column score was rounded to the grid: allow the full rounding slack (conservative)
        slack = 0.5 * self.lengths[motif]
        t = np.ceil(np.asarray(score, np.float64) / self.resolution - slack - 1e-9).astype(np.int64) - self._tail_min[motif]
        t = np.clip(t, 0, self._tail_size[motif] - 1)
        return self._tail_flat[self._tail_base[motif] + t]

    def _background(self, codes: np.ndarray | None) -> np.ndarray:
        if self._fixed_bg is not None:
            return self._fixed_bg
        assert codes is not None
        return background_of(codes)

    # -- scoring -----------------------------------------------------------------------------
    def _concat(self, seqs: Sequence[str | np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Encoded sequences joined by ``lmax`` N's; returns (codes, starts, lengths)."""
        enc = [s if isinstance(s, np.ndarray) else encode(s) for s in seqs]
        lens = np.array([len(e) for e in enc], dtype=np.int64)
        sep = np.full(self.lmax, 4, dtype=np.uint8)
        parts: list[np.ndarray] = []
        for e in enc:
            parts.append(e)
            parts.append(sep)
        codes = np.concatenate(parts) if parts else np.zeros(0, np.uint8)
        starts = np.concatenate([[0], np.cumsum(lens + self.lmax)[:-1]]).astype(np.int64)
        return codes, starts, lens

    def _kcodes(self, codes: np.ndarray) -> np.ndarray:
        k = self.kmer
        extra = self._ncols + k
        pad = np.concatenate([codes, np.full(extra + k, 4, np.uint8)])
        n = len(codes)
        kc = np.zeros(n + extra, dtype=np.int32)
        for r in range(k):
            kc = kc * 5 + pad[r : r + n + extra]
        return kc

    def _score(self, kc: np.ndarray, b0: int, b1: int, cols: slice) -> np.ndarray:
        """Scores ``float32[b1 - b0, n_cols]`` of placements b0..b1-1 for strand-motif columns."""
        k = self.kmer
        acc = np.zeros((b1 - b0, cols.stop - cols.start), dtype=np.float32)
        for g in range(self._tables.shape[0]):
            t = self._tables[g][:, cols]
            acc += np.take(t, kc[b0 + g * k : b1 + g * k], axis=0)
        return acc

    def scan(self, seq: str | np.ndarray, *, offset: int = 0) -> Hits:
        """All matches with p-value ``<= self.pvalue`` in one sequence, both strands.

        Args:
            seq: the sequence (str, or codes from :func:`encode`).
            offset: added to positions (e.g. the 0-based start of ``seq`` on its chromosome).
        """
        hits = self.scan_many([seq])
        return Hits(hits.motif, hits.seq, hits.position + offset, hits.strand, hits.score, hits.pvalue)

    def scan_many(self, seqs: Sequence[str | np.ndarray]) -> Hits:
        """Matches in many sequences; ``Hits.seq`` says which, positions are within each sequence."""
        codes, starts, lens = self._concat(seqs)
        self._prepare(self._background(codes))
        kc = self._kcodes(codes)
        n = len(codes)
        K = len(self.motifs)
        out: list[tuple[np.ndarray, ...]] = []
        for m0 in range(0, K, self.motif_group):
            m1 = min(K, m0 + self.motif_group)
            cols = slice(2 * m0, 2 * m1)
            thr = np.repeat(self._thr[m0:m1], 2).astype(np.float32)
            for b0 in range(0, n, self.block):
                b1 = min(n, b0 + self.block)
                sc = self._score(kc, b0, b1, cols)
                pos, col = np.nonzero(sc >= thr)
                if pos.size:
                    out.append((pos + b0, col + 2 * m0, sc[pos, col]))
        if not out:
            z = np.zeros(0, np.int64)
            return Hits(z, z, z, np.zeros(0, "<U1"), np.zeros(0), np.zeros(0))
        gpos = np.concatenate([o[0] for o in out])
        gcol = np.concatenate([o[1] for o in out])
        score = np.concatenate([o[2] for o in out]).astype(np.float64)
        seq = np.searchsorted(starts, gpos, side="right") - 1
        motif = gcol // 2
        order = np.lexsort((gcol, gpos))
        seq, gpos, motif, gcol, score = seq[order], gpos[order], motif[order], gcol[order], score[order]
        strand = np.where(gcol % 2 == 0, "+", "-")
        return Hits(motif, seq, gpos - starts[seq], strand, score, self.pvalues(motif, score))

    def best(
        self,
        seqs: Sequence[str] | Sequence[np.ndarray],
        *,
        overlap: tuple[np.ndarray, np.ndarray] | None = None,
        background: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best score of every motif in every sequence over both strands.

        Args:
            seqs: sequences.
            overlap: optional ``(lo, hi)`` per sequence (0-based, half-open, within the sequence):
                only placements overlapping ``[lo, hi)`` count (e.g. the variant's bases).
            background: override the background (use the same for ref and alt alleles).

        Returns:
            ``(score, position, strand)``: ``float64[n_seqs, n_motifs]`` (NaN where no valid
            placement), the 0-based start of the best placement (-1 if none) and its strand
            as ``int8`` (+1 / -1).
        """
        codes, starts, lens = self._concat(seqs)
        bg = np.asarray(background, np.float64) if background is not None else self._background(codes)
        self._prepare(bg)
        kc = self._kcodes(codes)
        S, K = len(lens), len(self.motifs)
        best = np.full((S, K), -np.inf)
        bpos = np.full((S, K), -1, dtype=np.int64)
        bstr = np.zeros((S, K), dtype=np.int8)
        if S == 0:
            return best, bpos, bstr
        lo = np.zeros(S, np.int64) if overlap is None else np.asarray(overlap[0], np.int64)
        hi = lens.copy() if overlap is None else np.asarray(overlap[1], np.int64)
        # blocks of whole sequences
        seg_end = starts + lens + self.lmax
        s0 = 0
        while s0 < S:
            s1 = int(np.searchsorted(seg_end, starts[s0] + self.block, side="right"))
            s1 = max(s1, s0 + 1)
            b0, b1 = int(starts[s0]), int(seg_end[s1 - 1])
            seg = np.repeat(np.arange(s0, s1), (seg_end[s0:s1] - starts[s0:s1]))
            rel = np.arange(b0, b1) - starts[seg]
            for m0 in range(0, K, self.motif_group):
                m1 = min(K, m0 + self.motif_group)
                sc = self._score(kc, b0, b1, slice(2 * m0, 2 * m1))  # (npos, 2G)
                L2 = np.repeat(self.lengths[m0:m1], 2)
                ok = (rel[:, None] < hi[seg][:, None]) & (rel[:, None] + L2[None, :] > lo[seg][:, None])
                ok &= rel[:, None] + L2[None, :] <= lens[seg][:, None]
                sc = np.where(ok & (sc > _INVALID), sc, -np.inf)
                # segmented argmax: sort-free via reduceat on max, then locate
                seg_starts_local = (starts[s0:s1] - b0).astype(np.int64)
                mx = np.maximum.reduceat(sc, seg_starts_local, axis=0)  # (nseg, 2G)
                # pick strand
                mx2 = mx.reshape(s1 - s0, m1 - m0, 2)
                strand_idx = mx2.argmax(axis=2)
                val = np.take_along_axis(mx2, strand_idx[..., None], axis=2)[..., 0]
                best[s0:s1, m0:m1] = val
                bstr[s0:s1, m0:m1] = np.where(strand_idx == 0, 1, -1)
                # positions of the maxima: first position per segment where score equals max
                colsel = 2 * np.arange(m1 - m0)[None, :] + strand_idx  # (nseg, G)
                hit = sc == mx[seg - s0]  # (npos, 2G)
                hit &= np.isfinite(sc)
                pos_idx, col_idx = np.nonzero(hit)
                if pos_idx.size:
                    sg = seg[pos_idx] - s0
                    want = colsel[sg, col_idx // 2] == col_idx
                    pos_idx, col_idx, sg = pos_idx[want], col_idx[want], sg[want]
                    # first occurrence per (segment, motif): reverse assignment keeps the first
                    tgt = bpos[s0:s1, m0:m1]
                    tgt[sg[::-1], (col_idx // 2)[::-1]] = rel[pos_idx][::-1]
            s0 = s1
        best[~np.isfinite(best)] = np.nan
        return best, bpos, bstr

    def per_position_reference(self, seq: str, motif_index: int) -> np.ndarray:
        """Plus-strand scores of one motif at every position by a plain per-position loop.

        The straightforward implementation the vectorised scan is checked and benchmarked
        against; NaN where the window has an N or runs off the end.
        """
        codes = encode(seq)
        self._prepare(self._background(codes))
        m = self.motifs[motif_index]
        w = m.log_odds(self.background, pseudocount=self.pseudocount)
        L = m.length
        out = np.full(len(codes), np.nan)
        cols = np.arange(L)
        for i in range(len(codes) - L + 1):
            win = codes[i : i + L]
            if (win == 4).any():
                continue
            out[i] = w[win, cols].sum()
        return out
