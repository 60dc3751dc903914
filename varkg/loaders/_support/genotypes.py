"""Per-sample genotypes as an on-disk ``int8`` matrix, samples x variants (``.npy``), written
while a VCF streams with memory bounded by one block (never the whole matrix).

:class:`AlleleBatch` holds a few thousand records' calls as allele indices and turns them into
per-ALT dosages with whole-array numpy operations (no per-sample Python).

Values: alt-allele dosage of the split (biallelic) variant, 0/1/2 for diploid calls, -1 missing.
Sidecars: ``{stem}.genotypes.variants.txt`` (Variant ids, one per column, in order) and
``{stem}.genotypes.samples.txt`` (sample names, one per row).

Read back with ``np.load(path, mmap_mode="r")``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

_TRANSPOSE_BLOCK = 1 << 16  # variants per transpose step (x n_samples bytes of memory)


class GenotypeWriter:
    """Append variant-major blocks, then :meth:`finish` transposes them into the ``.npy``."""

    def __init__(self, out_dir: Path, stem: str, samples: list[str]) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.samples = list(samples)
        self.npy = out_dir / f"{stem}.genotypes.npy"
        self.ids_path = out_dir / f"{stem}.genotypes.variants.txt"
        self.samples_path = out_dir / f"{stem}.genotypes.samples.txt"
        self._tmp_path = out_dir / f".{stem}.genotypes.tmp"
        self._tmp = open(self._tmp_path, "wb")
        self._ids = open(self.ids_path, "w")
        self.n_variants = 0

    def add(self, block: np.ndarray, ids: list[str]) -> None:
        """``block``: int8 ``[len(ids), n_samples]``."""
        assert block.shape == (len(ids), len(self.samples)), (block.shape, len(ids))
        self._tmp.write(np.ascontiguousarray(block, dtype=np.int8).tobytes())
        if ids:
            self._ids.write("\n".join(ids) + "\n")
        self.n_variants += len(ids)

    def finish(self) -> list[str]:
        """Write the ``.npy`` (samples x variants) and sidecars; return their paths."""
        self._tmp.close()
        self._ids.close()
        s, n = len(self.samples), self.n_variants
        self.samples_path.write_text("".join(f"{x}\n" for x in self.samples))
        with open(self.npy, "wb") as fh:
            np.lib.format.write_array_header_2_0(fh, {"descr": "|i1", "fortran_order": False, "shape": (s, n)})
            offset = fh.tell()
            fh.truncate(offset + s * n)
        fd = os.open(self.npy, os.O_WRONLY)
        try:
            with open(self._tmp_path, "rb") as tmp:
                for a in range(0, n, _TRANSPOSE_BLOCK):
                    k = min(_TRANSPOSE_BLOCK, n - a)
                    block = np.frombuffer(tmp.read(k * s), dtype=np.int8).reshape(k, s)
                    bt = np.ascontiguousarray(block.T)
                    for i in range(s):
                        os.pwrite(fd, bt[i].data, offset + i * n + a)
        finally:
            os.close(fd)
            self._tmp_path.unlink(missing_ok=True)
        return [str(self.npy), str(self.ids_path), str(self.samples_path)]

    def abort(self) -> None:
        for fh in (self._tmp, self._ids):
            fh.close()
        self._tmp_path.unlink(missing_ok=True)


_DOSAGE_CHUNK = 8192  # rows per vectorised dosage step (bounds the temporaries)


class AlleleBatch:
    """The genotypes of one batch of VCF records, kept as allele indices and turned into dosages
    per split (biallelic) variant in vectorised steps.

    Records are stored once (``int8 [records, 2, samples]``: allele index per haplotype, ``-1``
    missing, ``-2`` absent haplotype of a haploid call); each output row names its record slot and
    its ALT (1-based). Calls that do not fit (ploidy above 2, more than 126 ALT alleles) are kept
    as their full arrays and counted the same way.

    Dosage of a row: the number of haplotypes carrying its ALT; ``-1`` when any haplotype of the
    call is missing or the record had no genotypes.
    """

    def __init__(self, n_samples: int, capacity: int) -> None:
        self.n_samples = n_samples
        self.alleles = np.empty((max(capacity, 1), 2, n_samples), dtype=np.int8)
        self.n_records = 0
        self.row_slot: list[int] = []
        self.row_alt: list[int] = []
        self._wide: dict[int, np.ndarray] = {}

    def add_record(self, gt: np.ndarray | None, n_alt: int) -> int:
        """Store one record's ``cyvcf2`` ``Genotypes.array()`` (``[samples, ploidy + 1]``, the last
        column the phase flag) with ``n_alt`` ALT alleles; return its slot, or ``-1`` when it has
        no genotypes."""
        if gt is None or gt.ndim != 2 or gt.shape[0] != self.n_samples:
            return -1
        slot = self.n_records
        ploidy = gt.shape[1] - 1
        if ploidy == 2:
            if n_alt > 126:
                self._wide[slot] = np.array(gt[:, :2])
            else:
                self.alleles[slot] = gt[:, :2].T
        elif ploidy == 1:
            if n_alt > 126:
                self._wide[slot] = np.array(gt[:, :1])
            else:
                self.alleles[slot, 0] = gt[:, 0]
                self.alleles[slot, 1] = -2
        else:
            self._wide[slot] = np.array(gt[:, :ploidy])
        self.n_records += 1
        return slot

    @property
    def full(self) -> bool:
        """True when no further record fits (compute the dosages and :meth:`reset`)."""
        return self.n_records >= self.alleles.shape[0]

    def add_row(self, slot: int, alt: int) -> None:
        """One output row: the record in ``slot`` (``-1``: none) and its ALT index (1-based)."""
        self.row_slot.append(slot)
        self.row_alt.append(alt)

    def __len__(self) -> int:
        return len(self.row_slot)

    def dosages(self, start: int, stop: int) -> np.ndarray:
        """``int8 [stop - start, samples]`` dosages of rows ``start:stop``."""
        slots = np.asarray(self.row_slot[start:stop], dtype=np.int64)
        alts = np.asarray(self.row_alt[start:stop], dtype=np.int64)
        out = np.full((len(slots), self.n_samples), -1, dtype=np.int8)
        has = slots >= 0
        if has.any():
            picked = slots[has]
            lo = int(picked[0])
            if len(picked) == int(picked[-1]) - lo + 1 and np.array_equal(picked, np.arange(lo, lo + len(picked))):
                a = self.alleles[lo : lo + len(picked)]  # one row per record, in order: a view
            else:
                a = self.alleles[picked]
            alt = alts[has].astype(np.int8)[:, None]
            h0, h1 = a[:, 0], a[:, 1]
            d = (h0 == alt).view(np.int8) + (h1 == alt).view(np.int8)
            np.putmask(d, (h0 == -1) | (h1 == -1), -1)
            out[has] = d
        if self._wide:
            for r in np.flatnonzero(has):
                w = self._wide.get(int(slots[r]))
                if w is not None:
                    d = (w == alts[r]).sum(axis=1).astype(np.int8)
                    d[(w == -1).any(axis=1)] = -1
                    out[r] = d
        return out

    def chunks(self) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(start, stop, dosages)`` over all rows in steps of a few thousand rows."""
        n = len(self.row_slot)
        for a in range(0, n, _DOSAGE_CHUNK):
            b = min(n, a + _DOSAGE_CHUNK)
            yield a, b, self.dosages(a, b)

    def reset(self) -> None:
        self.n_records = 0
        self.row_slot = []
        self.row_alt = []
        self._wide = {}
