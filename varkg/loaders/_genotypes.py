"""Per-sample genotypes as an on-disk ``int8`` matrix, samples x variants (``.npy``), written
while a VCF streams with memory bounded by one block (never the whole matrix).

Values: alt-allele dosage of the split (biallelic) variant, 0/1/2 for diploid calls, -1 missing.
Sidecars: ``{stem}.genotypes.variants.txt`` (Variant ids, one per column, in order) and
``{stem}.genotypes.samples.txt`` (sample names, one per row).

Read back with ``np.load(path, mmap_mode="r")``.
"""

from __future__ import annotations

import os
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
