"""Text embedding throughput (texts/s): GO term definitions (mean ~59 word pieces), all-MiniLM-L6-v2 on CPU.

Compares the loader's settings (:func:`varkg.loaders.text.embed`: batch 16, threads = free cores) with
the previous ones (batch 64, torch's default of one thread per core) in the same run, interleaved,
median of ``--repeats`` runs. Throughput depends heavily on other load on the machine: the 1-minute
load average is reported with each line.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import time
from pathlib import Path

DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500, help="texts per run")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    import torch

    from varkg.loaders.text import embed, torch_threads

    with gzip.open(DATA / "text/GO_terms_with_definitions_2022-07-01.tsv.gz", "rt") as fh:
        next(fh)
        texts = [f"{f[1]}: {f[3]}" for f in (line.rstrip("\n").split("\t") for _, line in zip(range(args.n), fh, strict=False))]
    default_threads = torch.get_num_threads()
    embed(texts[:8])  # model load
    runs: dict[str, list[float]] = {"loader": [], "baseline": []}
    chosen = []
    for _ in range(args.repeats):
        for name in ("baseline", "loader"):
            if name == "loader":
                chosen.append(torch_threads())
            t = time.perf_counter()
            if name == "loader":
                v = embed(texts)
            else:
                v = embed(texts, batch_size=64, threads=default_threads)
            runs[name].append(len(texts) / (time.perf_counter() - t))
    base, new = statistics.median(runs["baseline"]), statistics.median(runs["loader"])
    load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "name": "text_embeddings_per_second_baseline",
                "value": round(base, 1),
                "unit": "texts/s",
                "n": len(texts),
                "batch_size": 64,
                "threads": default_threads,
                "runs": [round(x, 1) for x in runs["baseline"]],
                "load1": load,
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "text_embeddings_per_second",
                "value": round(new, 1),
                "unit": "texts/s",
                "n": len(texts),
                "dim": int(v.shape[1]),
                "batch_size": 16,
                "threads": chosen,
                "runs": [round(x, 1) for x in runs["loader"]],
                "ratio": round(new / base, 2),
                "load1": load,
            }
        )
    )


if __name__ == "__main__":
    main()
