"""GPN-style variant scores from a masked DNA language model.

**SNVs and MNVs (same-length alleles).** The window ``[pos0 - flank, pos0 + len(ref) + flank)``
(0-based half-open; ``pos0 = POS - 1`` from the 1-based VCF position) is read from the
FASTA and REF is checked against it. On each strand the tokens covering the variant are
masked and the score is::

    LLR = sum_k log P(alt token k | masked) - sum_k log P(ref token k | masked)

averaged over the forward strand and the reverse complement. On the reverse strand the
window is reverse-complemented, the variant occupies ``[L - b, L - a)`` for a forward
span ``[a, b)`` in a window of ``L`` bp, and both alleles are complemented.

- *Single-nucleotide tokenizer*: one masked token, and the LLR is exactly
  ``log P(alt) - log P(ref)`` at the masked position (one forward pass per strand).
- *BPE tokenizer*: the tokens of the reference tokenisation that overlap the variant are
  masked. The covered piece of sequence with the alt allele substituted is re-tokenised on
  its own; if it has as many tokens as the ref piece, one masked input serves both alleles,
  otherwise the alt input gets as many ``[MASK]`` slots as alt tokens (a second pass).
  *Caveat*: masked tokens are scored independently (a product of marginals, not the joint
  probability), the flanking tokenisation is the reference one even where BPE would merge
  differently around the alt allele, and scores of variants covered by different numbers
  of tokens are not on the same scale. Use the single-nucleotide tokenizer for exact
  per-base scores.

**Indels** (different allele lengths): difference of pseudo-log-likelihoods,
``PLL(alt window) - PLL(ref window)``, where PLL sums ``log P(token | token masked)`` over
the tokens within ``pll_radius`` bp of the variant (one pass per token), averaged over both
strands.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from varkg.dna import reverse_complement
from varkg.errors import InputError, ModelError
from varkg.lm.data import FastaReader, check_dna
from varkg.typing import Assembly, Chrom, Pos1, normalise_chrom, variant_key

Method = Literal["exact-snv", "token-span", "pll"]


@dataclass(frozen=True)
class Variant:
    """A variant to score: ``pos`` is 1-based (VCF), alleles are A/C/G/T strings."""

    chrom: Chrom
    pos: Pos1
    ref: str
    alt: str
    id: str | None = None

    def key(self, assembly: Assembly) -> str:
        """The canonical Variant node key."""
        return self.id or variant_key(assembly, normalise_chrom(self.chrom), self.pos, self.ref, self.alt)


@dataclass(frozen=True)
class VariantScore:
    """A variant's LLR (natural log) averaged over strands, and its per-strand parts."""

    llr: float
    llr_forward: float
    llr_reverse: float
    method: Method


@dataclass
class _Job:
    ids: list[int]
    targets: list[tuple[int, int, float]]  # (token position, target token id, sign)
    variant: int
    strand: int  # 0 forward, 1 reverse


def variant_windows(fasta: FastaReader, variants: Sequence[Variant], *, flank: int) -> tuple[list[str], list[int]]:
    """:func:`variant_window` of every variant (errors name the variant's 1-based number): windows, offsets."""
    windows, offsets = [], []
    for i, v in enumerate(variants):
        w, o = variant_window(fasta, v, flank=flank, source=f"variant {i + 1} ({v.chrom}:{v.pos})")
        windows.append(w)
        offsets.append(o)
    return windows, offsets


def variant_window(fasta: FastaReader, v: Variant, *, flank: int, source: str = "variant") -> tuple[str, int]:
    """The reference window around ``v`` and the variant's 0-based offset in it.

    The window is ``[pos0 - flank, pos0 + len(ref) + flank)`` (0-based half-open).

    Raises:
        InputError: bad alleles, a window off the chromosome end, or REF not matching the FASTA.
    """
    ref = check_dna(v.ref, source=f"{source} REF")
    check_dna(v.alt, source=f"{source} ALT")
    if not ref or not v.alt:
        raise InputError(f"{source}: empty allele in {v.chrom}:{v.pos} {v.ref!r}>{v.alt!r}")
    if v.pos < 1:
        raise InputError(f"{source}: position {v.pos} is not a 1-based position (expected >= 1)")
    pos0 = v.pos - 1
    start, end = pos0 - flank, pos0 + len(ref) + flank
    name = fasta.resolve(v.chrom)
    length = fasta.lengths[name]
    if start < 0 or end > length:
        raise InputError(
            f"{source}: the {end - start}-bp window {name}:{start}-{end} (0-based half-open, flank {flank} bp) "
            f"around {v.chrom}:{v.pos} runs off the chromosome (length {length} bp); use a smaller flank "
            "or drop variants this close to the end"
        )
    window = fasta.fetch(name, start, end)
    got = window[flank : flank + len(ref)]
    if got != ref:
        raise InputError(
            f"{source}: REF {v.ref!r} at {v.chrom}:{v.pos} (1-based) does not match the reference {got!r} in {str(fasta.path)!r}"
        )
    return window, flank


def _encode_with_offsets(tokenizer: Any, seq: str) -> tuple[list[int], list[tuple[int, int]], list[int]]:
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError("variant scoring needs a fast tokenizer (one that returns offset mappings)")
    enc = tokenizer(seq, return_offsets_mapping=True, return_special_tokens_mask=True)
    return enc["input_ids"], [tuple(o) for o in enc["offset_mapping"]], enc["special_tokens_mask"]


def _span_tokens(offsets: list[tuple[int, int]], special: list[int], a: int, b: int) -> tuple[int, int]:
    idx = [i for i, (s, e) in enumerate(offsets) if not special[i] and e > a and s < b]
    if not idx:
        raise ModelError(f"no token covers bases [{a}, {b}) of the window (tokenizer dropped them?)")
    return idx[0], idx[-1] + 1


def _same_length_jobs(tokenizer: Any, seq: str, a: int, b: int, alt: str, *, variant: int, strand: int) -> list[_Job]:
    ids, offsets, special = _encode_with_offsets(tokenizer, seq)
    i, j = _span_tokens(offsets, special, a, b)
    ca, cb = offsets[i][0], offsets[j - 1][1]
    ref_toks = ids[i:j]
    alt_piece = seq[ca:a] + alt + seq[b:cb]
    alt_toks = tokenizer(alt_piece, add_special_tokens=False)["input_ids"]
    m = tokenizer.mask_token_id
    ref_in = ids[:i] + [m] * (j - i) + ids[j:]
    if len(alt_toks) == len(ref_toks):
        targets = [(i + k, t, -1.0) for k, t in enumerate(ref_toks)]
        targets += [(i + k, t, +1.0) for k, t in enumerate(alt_toks)]
        return [_Job(ref_in, targets, variant, strand)]
    alt_in = ids[:i] + [m] * len(alt_toks) + ids[j:]
    return [
        _Job(ref_in, [(i + k, t, -1.0) for k, t in enumerate(ref_toks)], variant, strand),
        _Job(alt_in, [(i + k, t, +1.0) for k, t in enumerate(alt_toks)], variant, strand),
    ]


def _pll_jobs(tokenizer: Any, seq: str, a: int, b: int, *, radius: int, sign: float, variant: int, strand: int) -> list[_Job]:
    ids, offsets, special = _encode_with_offsets(tokenizer, seq)
    m = tokenizer.mask_token_id
    jobs = []
    for i, (s, e) in enumerate(offsets):
        if special[i] or e <= a - radius or s >= b + radius:
            continue
        masked = list(ids)
        masked[i] = m
        jobs.append(_Job(masked, [(i, ids[i], sign)], variant, strand))
    return jobs


def build_jobs(
    tokenizer: Any,
    windows: Sequence[str],
    offsets: Sequence[int],
    refs: Sequence[str],
    alts: Sequence[str],
    *,
    pll_radius: int = 8,
) -> tuple[list[_Job], list[Method]]:
    """Masked inputs for every variant and strand (see the module docstring for the method)."""
    jobs: list[_Job] = []
    methods: list[Method] = []
    single = _is_single(tokenizer)
    for vi, (w, o, ref, alt) in enumerate(zip(windows, offsets, refs, alts, strict=True)):
        w = w.upper()
        ref, alt = ref.upper(), alt.upper()
        if w[o : o + len(ref)] != ref:
            raise InputError(f"variant {vi}: REF {ref!r} does not match the window {w[o : o + len(ref)]!r} at offset {o}")
        L = len(w)
        alt_w = w[:o] + alt + w[o + len(ref) :]
        for strand in (0, 1):
            if strand == 0:
                seq, a, b, a_al, seq_alt = w, o, o + len(ref), alt, alt_w
            else:
                seq, a, b = reverse_complement(w), L - (o + len(ref)), L - o
                a_al, seq_alt = reverse_complement(alt), reverse_complement(alt_w)
            if len(ref) == len(alt):
                jobs.extend(_same_length_jobs(tokenizer, seq, a, b, a_al, variant=vi, strand=strand))
            else:
                ab = a + len(a_al)
                jobs.extend(_pll_jobs(tokenizer, seq, a, b, radius=pll_radius, sign=-1.0, variant=vi, strand=strand))
                jobs.extend(_pll_jobs(tokenizer, seq_alt, a, ab, radius=pll_radius, sign=+1.0, variant=vi, strand=strand))
        if len(ref) != len(alt):
            methods.append("pll")
        else:
            methods.append("exact-snv" if single and len(ref) == 1 else "token-span")
    return jobs, methods


def _is_single(tokenizer: Any) -> bool:
    from varkg.lm.tokenizer import is_single_nucleotide

    return is_single_nucleotide(tokenizer)


def run_jobs(model: Any, jobs: Sequence[_Job], n_variants: int, *, batch_size: int = 64, quiet: bool = True) -> np.ndarray:
    """Run masked inputs through ``model``; returns ``(n_variants, 2)`` per-strand LLR sums (nats)."""
    import torch
    from tqdm.auto import tqdm

    dev = next(model.parameters()).device
    out = np.zeros((n_variants, 2), dtype=np.float64)
    order = sorted(range(len(jobs)), key=lambda k: len(jobs[k].ids))  # length-sorted batches pad less
    with torch.inference_mode():
        for s in tqdm(range(0, len(order), batch_size), disable=quiet, desc="score", unit="batch"):
            batch = [jobs[k] for k in order[s : s + batch_size]]
            width = max(len(j.ids) for j in batch)
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            mask = torch.zeros(len(batch), width, dtype=torch.long)
            for r, j in enumerate(batch):
                ids[r, : len(j.ids)] = torch.tensor(j.ids)
                mask[r, : len(j.ids)] = 1
            logits = model(input_ids=ids.to(dev), attention_mask=mask.to(dev)).logits
            logp = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
            for r, j in enumerate(batch):
                out[j.variant, j.strand] += sum(sign * logp[r, p, t] for p, t, sign in j.targets)
    return out


def score_windows(
    model: Any,
    tokenizer: Any,
    windows: Sequence[str],
    offsets: Sequence[int],
    refs: Sequence[str],
    alts: Sequence[str],
    *,
    batch_size: int = 64,
    pll_radius: int = 8,
    quiet: bool = True,
) -> list[VariantScore]:
    """Score variants given their windows and 0-based offsets in them (no FASTA needed).

    Args:
        model: a masked LM (varkg or any Hugging Face ``*ForMaskedLM``), in eval mode.
        tokenizer: its fast tokenizer (with a mask token and offsets).
        windows: forward-strand sequences containing the REF allele.
        offsets: 0-based offset of each variant's first REF base in its window.
        refs, alts: alleles.
        batch_size: masked inputs per forward pass.
        pll_radius: bp around an indel whose tokens enter the pseudo-log-likelihood.
        quiet: no progress bar.
    """
    jobs, methods = build_jobs(tokenizer, windows, offsets, refs, alts, pll_radius=pll_radius)
    per = run_jobs(model, jobs, len(windows), batch_size=batch_size, quiet=quiet)
    return [VariantScore(float(per[i].mean()), float(per[i, 0]), float(per[i, 1]), methods[i]) for i in range(len(windows))]


def score_variants(
    model: Any,
    tokenizer: Any,
    fasta: FastaReader,
    variants: Sequence[Variant],
    *,
    flank: int = 64,
    batch_size: int = 64,
    pll_radius: int = 8,
    quiet: bool = True,
) -> list[VariantScore]:
    """Score variants against a reference FASTA (windows of ``flank`` bp each side).

    Raises:
        InputError: a bad allele, a window off the chromosome end, or a REF mismatch.
    """
    windows, offs = variant_windows(fasta, variants, flank=flank)
    return score_windows(
        model,
        tokenizer,
        windows,
        offs,
        [v.ref for v in variants],
        [v.alt for v in variants],
        batch_size=batch_size,
        pll_radius=pll_radius,
        quiet=quiet,
    )


def read_variants_vcf(path: str | Path) -> Iterator[Variant]:
    """Variants of a VCF/BCF (multi-allelic records split; ``pos`` stays 1-based).

    Raises:
        InputError: a symbolic or non-ACGT allele (file, record and field named).
    """
    import pysam

    path = Path(path)
    if not path.exists():
        raise InputError(f"VCF not found: {str(path)!r}")
    with pysam.VariantFile(str(path)) as vcf:
        for n, rec in enumerate(vcf, start=1):
            for alt in rec.alts or ():
                for field, allele in (("REF", rec.ref), ("ALT", alt)):
                    if not allele or set(allele.upper()) - set("ACGTN"):
                        raise InputError(
                            f"allele {allele!r} of record {n} ({rec.chrom}:{rec.pos}) cannot be scored; expected A/C/G/T/N bases",
                            path=path,
                            field=field,
                        )
                yield Variant(rec.chrom, rec.pos, (rec.ref or "").upper(), alt.upper(), rec.id if rec.id else None)


def read_variants_table(path: str | Path) -> list[Variant]:
    """Variants from a TSV/CSV with columns ``chrom, pos, ref, alt`` (``pos`` 1-based), optional ``id``.

    Raises:
        InputError: a missing column or a non-integer position (file, line, field named).
    """
    import csv

    path = Path(path)
    if not path.exists():
        raise InputError(f"variant table not found: {str(path)!r}")
    delim = "\t" if path.suffix in {".tsv", ".txt"} else ","
    out = []
    with open(path, newline="") as fh:
        rows = csv.DictReader(fh, delimiter=delim)
        for need in ("chrom", "pos", "ref", "alt"):
            if need not in (rows.fieldnames or []):
                raise InputError(f"column {need!r} missing; header {rows.fieldnames}", path=path, line=1, field=need)
        for line, r in enumerate(rows, start=2):
            try:
                pos = int(r["pos"])
            except ValueError:
                raise InputError(f"position {r['pos']!r} is not an integer", path=path, line=line, field="pos") from None
            out.append(Variant(r["chrom"], pos, r["ref"].upper(), r["alt"].upper(), r.get("id") or None))
    return out
