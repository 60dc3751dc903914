"""Text embedding throughput (texts/s): GO term definitions, all-MiniLM-L6-v2 on CPU, batch 64."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    from varkg.loaders.text import embed

    with gzip.open(DATA / "text/GO_terms_with_definitions_2022-07-01.tsv.gz", "rt") as fh:
        next(fh)
        texts = [f"{f[1]}: {f[3]}" for f in (line.rstrip("\n").split("\t") for _, line in zip(range(1000), fh))]
    embed(texts[:8])  # model load
    t = time.perf_counter()
    v = embed(texts, batch_size=64)
    dt = time.perf_counter() - t
    print(json.dumps({"name": "text_embeddings_per_second", "value": len(texts) / dt, "unit": "texts/s", "n": len(texts), "dim": int(v.shape[1])}))


if __name__ == "__main__":
    main()
