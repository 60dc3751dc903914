"""Seed inputs for fuzzing the loaders' parsers: one table of parsers and real seed files, shared by
the hypothesis tests (tests/loaders/test_fuzz.py) and the atheris run (benchmarks/fuzz_parsers.py).

Each seed is the head of a real file of the shared data (the whole file for the .cool reader).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FuzzTarget:
    """A parser under fuzz: the loader that reads it, the seed file (relative to the shared data
    folder), records kept from it (0: the whole file), the suffix inputs are written with, the
    assembly and loader options of the load."""

    loader: str
    seed: str
    records: int
    suffix: str
    assembly: str | None
    options: dict[str, Any] = field(default_factory=dict)

    def seed_lines(self, data_dir: Path) -> list[bytes]:
        """The seed's lines: the file's header and first records (narrowPeak: as 10-column rows)."""
        lines = head_lines(data_dir / self.seed, self.records)
        return narrowpeak_lines(lines) if self.suffix == ".narrowPeak" else lines

    def seed_bytes(self, data_dir: Path) -> bytes:
        """The seed input (the whole file when ``records`` is 0)."""
        if self.records == 0:
            return (data_dir / self.seed).read_bytes()
        return b"".join(self.seed_lines(data_dir))


TARGETS: dict[str, FuzzTarget] = {
    "vcf": FuzzTarget(
        "vcf", "variants/kgp_chr20_1-4Mb_unphased.vcf.gz", 160, ".vcf", "GRCh38", {"genotypes": False, "consequences": "none"}
    ),
    "gtf": FuzzTarget("annotation", "annotation/gencode_v43_sample_chr20.gtf.gz", 60, ".gtf", "GRCh38"),
    "bed": FuzzTarget("elements", "regulatory/catlas_adipocyte_cCREs_sample.bed", 40, ".bed", "GRCh38", {"regulates": False}),
    # the cCRE intervals as 10-column narrowPeak rows (narrowpeak_lines)
    "narrowpeak": FuzzTarget(
        "elements",
        "regulatory/catlas_adipocyte_cCREs_sample.bed",
        40,
        ".narrowPeak",
        "GRCh38",
        {"regulates": False, "format": "narrowPeak"},
    ),
    "gmt": FuzzTarget("pathways", "networks/h.all.v7.0.symbols.gmt", 6, ".gmt", None, {"jaccard": 0}),
    "gwas": FuzzTarget("gwas", "gwas/eduAttainOkbay_sumstats_subset.txt", 40, ".txt", "GRCh37", {"harmonise_with_store": False}),
    "gwas_catalog": FuzzTarget(
        "gwas", "gwas/gwas_catalog_associations_sample.tsv", 30, ".tsv", "GRCh38", {"harmonise_with_store": False}
    ),
    "cool": FuzzTarget("hic", "hic/mm9_CN_10000kb.cool", 0, ".cool", "mm9", {"links": False}),
}
TEXT_TARGETS = [name for name, t in TARGETS.items() if t.records > 0]


def head_lines(path: Path, n: int) -> list[bytes]:
    """The header and the first ``n`` records of a (gzipped) text file."""
    opener = gzip.open if path.suffix == ".gz" else open
    out: list[bytes] = []
    with opener(path, "rb") as fh:
        for line in fh:
            out.append(line)
            if len(out) >= n and not line.startswith(b"#"):
                break
    return out


def narrowpeak_lines(lines: list[bytes]) -> list[bytes]:
    """Real BED intervals with narrowPeak's columns 5-10 (score, strand, signal, p, q, summit)."""
    out = []
    for k, line in enumerate(lines):
        f = line.rstrip(b"\n").split(b"\t")
        summit = (int(f[2]) - int(f[1])) // 2
        extra = [b"%d" % (100 + k), b".", b"%.2f" % (2 + k / 7), b"%.2f" % (5 + k / 3), b"%.2f" % (3 + k / 5)]
        out.append(b"\t".join([*f[:4], *extra, b"%d" % summit]) + b"\n")
    return out
