"""Interpretation throughput on CPU: masked-position scoring and in-silico mutagenesis (positions/s).

Usage::

    python benchmarks/bench_interpret.py [--size mini] [--length 128] [--repeats 3] [--threads 2]

A randomly initialised varkg masked LM of ``--size`` with the single-nucleotide tokenizer
(throughput does not depend on the weights) reads a real ``--length``-bp window of the shared
chr2 reference (``reference/hg38_chr2_1-2333275.fa.gz``, from chr2:200,000). Figures, one JSON
line each (median of ``--repeats``)::

    {"name": ..., "value": ..., "unit": "positions/s", "baseline": ..., "ratio": ...}

* ``masked_position_scoring``: ``masked_base_logprobs`` (one masked input per position and
  strand, batch 64); baseline: the same with batch size 1.
* ``ism_lm``: the full ``(L, 4)`` ISM matrix (3 alternatives per position, both strands) from
  :func:`varkg.interpret.attribution.ism_lm`, batch 64; baseline: batch 1.
* ``ism_lm_vs_per_substitution``: the same ISM against scoring the ``3 L`` substitutions one by
  one through :func:`varkg.lm.score.score_windows` (batch 64), the scorer's own path.
* ``ism_classifier``: ``3 L`` mutant sequences through a classifier head, batch 128; baseline: batch 1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

SHARED = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _time(fn, repeats: int) -> float:
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="mini")
    ap.add_argument("--length", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import torch

    from varkg.interpret.attribution import BASES, ism_classifier, ism_lm, masked_base_logprobs
    from varkg.lm.data import FastaReader
    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM, VarkgDnaForSequenceClassification
    from varkg.lm.score import score_windows
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    fa = SHARED / "reference" / "hg38_chr2_1-2333275.fa.gz"
    seq = FastaReader(fa).fetch("chr2", 200_000, 200_000 + args.length).upper()
    tok = single_nucleotide_tokenizer()
    cfg = VarkgDnaConfig.from_size(args.size, vocab_size=10, hidden_dropout_prob=0.0)
    lm = VarkgDnaForMaskedLM(cfg).eval()
    clf = VarkgDnaForSequenceClassification(VarkgDnaConfig.from_size(args.size, vocab_size=10, num_labels=2)).eval()
    L = len(seq)
    common = {"size": args.size, "length": L, "threads": args.threads, "repeats": args.repeats, "hardware": "cpu"}

    def emit(name: str, value: float, baseline: float, baseline_name: str) -> None:
        row = {
            "name": name,
            "value": round(value, 1),
            "unit": "positions/s",
            "baseline": round(baseline, 1),
            "baseline_name": baseline_name,
            "ratio": round(value / baseline, 2),
        } | common
        print(json.dumps(row), flush=True)

    t64 = _time(lambda: masked_base_logprobs(lm, tok, seq, batch_size=64), args.repeats)
    t1 = _time(lambda: masked_base_logprobs(lm, tok, seq, batch_size=1), args.repeats)
    emit("masked_position_scoring", L / t64, L / t1, "batch_size=1")

    i64 = _time(lambda: ism_lm(lm, tok, seq, batch_size=64), args.repeats)
    i1 = _time(lambda: ism_lm(lm, tok, seq, batch_size=1), args.repeats)
    emit("ism_lm", L / i64, L / i1, "batch_size=1")

    pos, refs, alts = [], [], []
    for i, r in enumerate(seq):
        for b in BASES:
            if b != r:
                pos.append(i)
                refs.append(r)
                alts.append(b)
    per = _time(lambda: score_windows(lm, tok, [seq] * len(pos), pos, refs, alts, batch_size=64), 1)
    emit("ism_lm_vs_per_substitution", L / i64, L / per, "score_windows per substitution, batch_size=64")

    c128 = _time(lambda: ism_classifier(clf, tok, seq, batch_size=128), args.repeats)
    c1 = _time(lambda: ism_classifier(clf, tok, seq, batch_size=1), 1)
    emit("ism_classifier", L / c128, L / c1, "batch_size=1")


if __name__ == "__main__":
    main()
