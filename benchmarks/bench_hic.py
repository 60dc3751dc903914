"""Hi-C loader time per million contacts (yeast 10 kb cool, 728,311 pixels) into a tmp Ladybug store."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> None:
    import cooler

    from varkg.loaders.base import LoadContext, get_loader
    from varkg.loaders.run import load
    from varkg.store import open_store

    path = DATA / "hic/yeast_10kb.cool"
    nnz = int(cooler.Cooler(str(path)).info["nnz"])
    frames_t, load_t = [], []
    for _ in range(3):
        t = time.perf_counter()
        n = sum(
            f.table.num_rows
            for f in get_loader("hic").frames([path], context=LoadContext(assembly="sacCer3", options={"min_obs_exp": 1.5}))
        )
        frames_t.append(time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "g.db")
        store.init_schema()
        t = time.perf_counter()
        load(store, "hic", [path], assembly="sacCer3", options={"min_obs_exp": 1.5}, progress=False)
        load_t.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "name": "hic_frames_per_million_contacts",
                "value": statistics.median(frames_t) / nnz * 1e6,
                "unit": "s",
                "nnz": nnz,
                "rows": n,
            }
        )
    )
    print(json.dumps({"name": "hic_load_per_million_contacts", "value": load_t[0] / nnz * 1e6, "unit": "s", "nnz": nnz}))


if __name__ == "__main__":
    main()
