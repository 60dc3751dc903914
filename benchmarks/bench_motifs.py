"""Motif scan throughput (bp x motifs / s): vectorised scanner vs a per-position numpy loop.

Sequence: chr2:10,000-210,000 of the hg38 excerpt (real, soft-masked) from ../shared/data;
motifs: JASPAR2024 CORE vertebrates (pyjaspar, offline). Prints one JSON object per line.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

from varkg.loaders._support.motif_matrices import jaspar_motifs
from varkg.motifscan import MotifScanner

DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    import pyfaidx

    seq = pyfaidx.Fasta(str(DATA / "reference/hg38_chr2_1-2333275.fa.gz"))["chr2"][10_000:210_000].seq
    motifs = jaspar_motifs(release="JASPAR2024")[:64]
    sc = MotifScanner(motifs, pvalue=1e-4)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        hits = sc.scan(seq)
        times.append(time.perf_counter() - t)
    fast = len(seq) * len(motifs) * 2 / statistics.median(times)  # both strands
    # reference: plain per-position loop, one motif, plus strand, on 20 kb (both strands = x2)
    sub = seq[:20_000]
    t = time.perf_counter()
    sc.per_position_reference(sub, 0)
    ref = len(sub) / (time.perf_counter() - t)
    print(
        json.dumps(
            {
                "name": "motif_scan_throughput",
                "value": fast,
                "unit": "bp*motif*strand/s",
                "motifs": len(motifs),
                "bp": len(seq),
                "hits": len(hits),
                "median_s": statistics.median(times),
            }
        )
    )
    print(json.dumps({"name": "motif_scan_reference_per_position", "value": ref, "unit": "bp*motif*strand/s", "bp": len(sub)}))
    print(json.dumps({"name": "motif_scan_speedup", "value": fast / ref, "unit": "ratio"}))


if __name__ == "__main__":
    main()
