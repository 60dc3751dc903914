"""Reference sequence: random access to a FASTA (plain, or bgzipped with ``.fai``/``.gzi``).

:class:`ReferenceGenome` is what other loaders receive as ``LoadContext.reference``: the VCF
loader checks REF alleles and left-aligns indels with it, the language model cuts sequence
windows from it. Chromosome names are normalised (``chr2`` -> ``2``, ``chrM``/``MT`` -> ``M``);
the assembly is data (``GRCh38``, ``Sscrofa11.1``), never a constant.

Coordinates: :meth:`ReferenceGenome.fetch` takes 0-based half-open ``[start, end)``.
Soft-masking (lowercase = repeats) is kept: ``fetch(..., keep_case=True)`` returns the bases as
stored, the default upper-cases them, and allele comparison is case-insensitive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from varkg.errors import InputError
from varkg.loaders._support.context import option
from varkg.loaders._support.text import check_gzip
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import Assembly, Chrom, normalise_chrom


class ReferenceGenome:
    """Random access to one FASTA file.

    Args:
        path: FASTA, plain or BGZF-compressed (``.fai`` and, for BGZF, ``.gzi`` next to it; they
            are created when missing and the directory is writable).
        assembly: assembly name recorded with the sequences (e.g. ``"GRCh38"``).
        offsets: per chromosome, the 0-based genome position of the first base of the record,
            for excerpt files whose header does not carry it (default 0).

    Example:
        >>> ref = ReferenceGenome("hg38_chr2_1-2333275.fa.gz", assembly="GRCh38")  # doctest: +SKIP
        >>> ref.fetch("2", 10_000, 10_005)  # doctest: +SKIP
        'TAACC'
    """

    def __init__(self, path: str | Path, *, assembly: Assembly | None = None, offsets: Mapping[str, int] | None = None) -> None:
        import pysam

        self.path = Path(path)
        self.assembly = assembly
        if not self.path.exists():
            raise InputError("reference FASTA does not exist", path=self.path)
        try:
            self._fa = pysam.FastaFile(str(self.path))
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot open FASTA ({exc}); expected plain FASTA or BGZF (bgzip) with .fai/.gzi indexes", path=self.path
            ) from None
        self._names: dict[Chrom, str] = {}
        self.lengths: dict[Chrom, int] = {}
        self.offsets: dict[Chrom, int] = {normalise_chrom(k): int(v) for k, v in (offsets or {}).items()}
        for name, length in zip(self._fa.references, self._fa.lengths, strict=False):
            chrom = normalise_chrom(name)
            self._names[chrom] = name
            self.lengths[chrom] = self.offsets.get(chrom, 0) + int(length)

    @property
    def chroms(self) -> list[Chrom]:
        """Normalised chromosome names in file order."""
        return list(self._names)

    def __contains__(self, chrom: str) -> bool:
        return normalise_chrom(chrom) in self._names

    def fetch(self, chrom: str, start: int, end: int, *, keep_case: bool = False) -> str:
        """Bases of ``[start, end)`` (0-based half-open, genome coordinates), upper-cased unless
        ``keep_case``. Positions outside the record are an InputError."""
        c = normalise_chrom(chrom)
        if c not in self._names:
            raise InputError(f"chromosome {chrom!r} is not in the reference; expected one of {self.chroms[:25]}", path=self.path)
        off = self.offsets.get(c, 0)
        if start < off or end > self.lengths[c] or start > end:
            raise InputError(
                f"interval {c}:{start}-{end} (0-based) is outside the reference record {c}:{off}-{self.lengths[c]}",
                path=self.path,
            )
        seq = self._fa.fetch(self._names[c], start - off, end - off)
        return seq if keep_case else seq.upper()

    def covers(self, chrom: str, start: int, end: int) -> bool:
        """Whether ``[start, end)`` lies inside the sequence held for ``chrom``."""
        c = normalise_chrom(chrom)
        return c in self._names and start >= self.offsets.get(c, 0) and end <= self.lengths[c]

    def masked_fraction(self, chrom: str) -> float:
        """Fraction of soft-masked (lowercase) bases of ``chrom`` (streamed in 1 Mb windows)."""
        c = normalise_chrom(chrom)
        off, total, low = self.offsets.get(c, 0), 0, 0
        step = 1 << 20
        for s in range(off, self.lengths[c], step):
            seq = self.fetch(c, s, min(s + step, self.lengths[c]), keep_case=True)
            total += len(seq)
            low += sum(1 for b in seq if b.islower())
        return low / total if total else 0.0

    def close(self) -> None:
        self._fa.close()


def open_reference(ref: str | Path | ReferenceGenome | None, *, assembly: Assembly | None = None) -> ReferenceGenome | None:
    """A :class:`ReferenceGenome` from a path (or the object itself, or ``None``)."""
    if ref is None or isinstance(ref, ReferenceGenome):
        return ref
    return ReferenceGenome(ref, assembly=assembly)


@register_loader("reference")
class ReferenceLoader(Loader):
    """Reference FASTA: records the assembly and chromosome lengths (no graph nodes).

    Writes ``{stem}.contigs.json`` (assembly, FASTA path, normalised chromosome -> length,
    soft-masked fraction when ``masked_fraction=true``) under ``artifacts_dir`` and lists it
    in ``context.artifacts``, so the Dataset node records the reference.

    Options:
        offset (int): 0-based genome position of the first base, for single-record excerpts
            whose header lacks it (default 0).
        masked_fraction (bool): also compute the soft-masked fraction per chromosome (default false).

    Example:
        ``varkg load reference hg38_chr2_1-2333275.fa.gz --assembly GRCh38``
    """

    description = "Reference FASTA (plain or bgzipped with .fai/.gzi): assembly and chromosome lengths"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        offset = option(context.options, "offset", 0)
        with_mask = option(context.options, "masked_fraction", False)
        for path in paths:
            path = Path(path)
            check_gzip(path)
            probe = ReferenceGenome(path, assembly=context.assembly)
            offsets = {c: offset for c in probe.chroms} if offset else None
            ref = ReferenceGenome(path, assembly=context.assembly, offsets=offsets) if offsets else probe
            info: dict[str, Any] = {
                "assembly": context.assembly,
                "path": str(path.resolve()),
                "contigs": ref.lengths,
                "offsets": ref.offsets,
            }
            if with_mask:
                info["masked_fraction"] = {c: round(ref.masked_fraction(c), 6) for c in ref.chroms}
            if context.artifacts_dir is not None:
                context.artifacts_dir.mkdir(parents=True, exist_ok=True)
                out = context.artifacts_dir / f"{path.name.split('.')[0]}.contigs.json"
                out.write_text(json.dumps(info, indent=1))
                context.artifacts.append(str(out))
            context.version = context.version or path.name
        return iter(())
