"""DNA sequence input for the language model: FASTA windows, labelled CSVs, checks.

Coordinates: every interval here is 0-based half-open (BED convention) on the
FASTA's own coordinates; VCF-style 1-based positions are converted by callers
(:mod:`varkg.lm.score`) before they reach this module.

The FASTA reader is self-contained (it does not use :mod:`varkg.loaders`): it
reads plain or bgzipped FASTA through pysam when an index (``.fai``, plus
``.gzi`` for bgzip) exists or can be written, and otherwise parses the file into
memory (small references in read-only folders).

Reverse complements come from :mod:`varkg.dna`.

Example:
    >>> check_dna("acgtn", source="example")
    'ACGTN'
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from varkg.errors import InputError
from varkg.typing import normalise_chrom

DNA_ALPHABET = "ACGTN"
"""Bases the model accepts (after upper-casing); N is any/unknown base."""

_BAD_BASE = re.compile(r"[^ACGTN]")


def check_dna(seq: str, *, source: str = "sequence", line: int | None = None, field: str | None = None) -> str:
    """Upper-case ``seq`` and check it uses only ``ACGTN``.

    Args:
        seq: the sequence (any case).
        source: what to name in the error (a file path or a description).
        line: 1-based line number of ``seq`` in ``source``, if from a file.
        field: the field name of ``seq`` in ``source``, if from a table.

    Returns:
        The upper-cased sequence.

    Raises:
        InputError: quoting the first bad character and its 0-based offset.
    """
    up = seq.upper()
    bad = _BAD_BASE.search(up)
    if bad is not None:
        shown = seq[:40] + ("..." if len(seq) > 40 else "")
        msg = f"non-ACGTN character {bad.group()!r} at offset {bad.start()} (0-based) of {shown!r}; expected only A, C, G, T, N"
        if line is None and field is None:
            raise InputError(f"{source}: {msg}")
        raise InputError(msg, path=source, line=line, field=field)
    return up


class FastaReader:
    """Random access to a FASTA file (plain, gzip or bgzip), 0-based half-open fetches.

    Chromosome names are matched with and without ``chr`` (``"2"`` finds ``>chr2``).
    Sequence is returned upper-cased (soft-masked repeats become ordinary bases).

    Args:
        path: FASTA path. A bgzipped file uses its ``.fai``/``.gzi`` index when present.

    Raises:
        InputError: the file is missing or not FASTA.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise InputError(f"FASTA file not found: {str(self.path)!r}")
        self._pysam = None
        self._mem: dict[str, str] | None = None
        try:
            import pysam

            fai = Path(str(self.path) + ".fai")
            if fai.exists() or _writable(self.path.parent):
                self._pysam = pysam.FastaFile(str(self.path))
        except (OSError, ValueError):
            self._pysam = None
        if self._pysam is not None:
            self._lengths = dict(zip(self._pysam.references, self._pysam.lengths, strict=True))
        else:
            self._mem = _parse_fasta(self.path)
            self._lengths = {k: len(v) for k, v in self._mem.items()}
        if not self._lengths:
            raise InputError(f"no FASTA records ('>' header lines) found in {str(self.path)!r}")
        self._alias = {}
        for name in self._lengths:
            self._alias[name] = name
            self._alias.setdefault(normalise_chrom(name), name)

    @property
    def lengths(self) -> dict[str, int]:
        """Record name → length in bp."""
        return dict(self._lengths)

    def resolve(self, chrom: str) -> str:
        """The FASTA record name for ``chrom`` (``"2"``, ``"chr2"``...).

        Raises:
            InputError: no such record; the message lists the records.
        """
        name = self._alias.get(chrom) or self._alias.get(normalise_chrom(chrom))
        if name is None:
            raise InputError(f"chromosome {chrom!r} is not in {str(self.path)!r}; records: {sorted(self._lengths)[:20]}")
        return name

    def fetch(self, chrom: str, start: int, end: int, *, keep_case: bool = False) -> str:
        """Upper-cased sequence of ``[start, end)`` (0-based half-open) on ``chrom``
        (``keep_case=True``: as in the file, soft-masked repeats lower case).

        Raises:
            InputError: the interval is empty or runs off either end of the record.
        """
        name = self.resolve(chrom)
        length = self._lengths[name]
        if start < 0 or end > length or start >= end:
            raise InputError(
                f"window {name}:{start}-{end} (0-based half-open) is outside the record "
                f"{name} of length {length} bp in {str(self.path)!r}; expected 0 <= start < end <= {length}"
            )
        if self._pysam is not None:
            raw = self._pysam.fetch(name, start, end)
        else:
            assert self._mem is not None
            raw = self._mem[name][start:end]
        return raw if keep_case else raw.upper()

    def close(self) -> None:
        """Close the underlying file."""
        if self._pysam is not None:
            self._pysam.close()


def _writable(folder: Path) -> bool:
    import os

    return os.access(folder, os.W_OK)


def _parse_fasta(path: Path) -> dict[str, str]:
    opener = gzip.open if _is_gzip(path) else open
    records: dict[str, list[str]] = {}
    current: list[str] | None = None
    with opener(path, "rt") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.strip()
            if not line:
                continue
            if line.startswith(">"):
                name = line[1:].split()[0] if len(line) > 1 else ""
                if not name:
                    raise InputError("empty FASTA header", path=path, line=lineno)
                current = records.setdefault(name, [])
            elif current is None:
                raise InputError(f"sequence before the first '>' header: {line[:30]!r}", path=path, line=lineno)
            else:
                current.append(line)
    return {k: "".join(v) for k, v in records.items()}


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def random_windows(
    fasta: FastaReader,
    *,
    length: int,
    n: int,
    rng: np.random.Generator,
    max_n_fraction: float = 0.1,
    max_tries: int = 100,
) -> list[str]:
    """Draw ``n`` random windows of ``length`` bp, chromosome chosen by length.

    Windows with more than ``max_n_fraction`` N bases are redrawn (the N-only
    start of a chromosome is skipped this way).

    Raises:
        InputError: no record is long enough, or no acceptable window was found.
    """
    names = [k for k, v in fasta.lengths.items() if v >= length]
    if not names:
        raise InputError(f"no record of {str(fasta.path)!r} is at least {length} bp long; lengths {fasta.lengths}")
    sizes = np.array([fasta.lengths[k] - length + 1 for k in names], dtype=float)
    probs = sizes / sizes.sum()
    out: list[str] = []
    for _ in range(n):
        for _try in range(max_tries):
            name = names[int(rng.choice(len(names), p=probs))]
            start = int(rng.integers(0, fasta.lengths[name] - length + 1))
            seq = fasta.fetch(name, start, start + length)
            if seq.count("N") <= max_n_fraction * length:
                out.append(seq)
                break
        else:
            raise InputError(
                f"found no {length}-bp window with at most {max_n_fraction:.0%} N in {str(fasta.path)!r} after {max_tries} tries"
            )
    return out


def tile_windows(fasta: FastaReader, *, length: int, stride: int, max_n_fraction: float = 0.1) -> Iterator[str]:
    """Yield windows of ``length`` bp every ``stride`` bp over every record, skipping N-rich ones."""
    for name, size in fasta.lengths.items():
        for start in range(0, size - length + 1, stride):
            seq = fasta.fetch(name, start, start + length)
            if seq.count("N") <= max_n_fraction * length:
                yield seq


@dataclass(frozen=True)
class LabelledSequences:
    """Sequences with integer class labels (a GUE-style ``sequence,label`` CSV)."""

    sequences: list[str]
    labels: np.ndarray
    path: str

    def __len__(self) -> int:
        return len(self.sequences)


def read_sequence_csv(
    path: str | Path, *, sequence_field: str = "sequence", label_field: str | None = "label"
) -> LabelledSequences:
    """Read a CSV with a sequence column and (optionally) an integer label column.

    Raises:
        InputError: a missing column, a bad base or a non-integer label (file, line, field named).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"sequence CSV not found: {str(path)!r}")
    seqs: list[str] = []
    labels: list[int] = []
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        for need in [sequence_field] + ([label_field] if label_field else []):
            if need not in fields:
                raise InputError(f"column {need!r} missing; header has {fields}", path=path, line=1, field=need)
        for lineno, row in enumerate(reader, start=2):
            seqs.append(check_dna(row[sequence_field] or "", source=str(path), line=lineno, field=sequence_field))
            if label_field:
                raw = row[label_field]
                try:
                    labels.append(int(raw))
                except (TypeError, ValueError):
                    raise InputError(f"label {raw!r} is not an integer", path=path, line=lineno, field=label_field) from None
    return LabelledSequences(seqs, np.asarray(labels, dtype=np.int64), str(path))


def split_n_runs(seq: str, *, min_length: int = 1) -> list[str]:
    """Split ``seq`` at runs of N, returning the non-N pieces of at least ``min_length`` bp.

    >>> split_n_runs("ACGNNNTTA")
    ['ACG', 'TTA']
    """
    return [p for p in re.split(r"N+", seq) if len(p) >= min_length]


def batched(items: Sequence, size: int) -> Iterator[Sequence]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
