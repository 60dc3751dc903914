"""Crash-safety benchmark: kill points tried / survived per store and atomic mode (Ladybug, Neo4j).

Scenarios (``varkg.crashtest.scenarios``, shared with the tests): the chr20 VCF (genotypes +
consequences, after the GENCODE chr20 sample) and a GO Biological Process pathways load (enrichr
GMT, symbols mapped with org.Hs.eg gene_info); the same definitions on both stores. Each kill
point runs the load in a child process, SIGKILLs it (varkg.faults), reopens, repeats the load and
compares with a clean load (varkg.crashtest). Prints one JSON line per kill point, then a summary
line per scenario and mode with the clean load's time as the baseline.

    PYTHONPATH=. python benchmarks/bench_faults.py [--quick] [--store ladybug|neo4j] [--uri bolt://...]
        [--atomic load|batch] [--only vcf_chr20|go_pathways] [--pick frame:2:0,commit:1:20]

``--store neo4j`` runs against the live server at ``--uri`` (default ``$VARKG_NEO4J_URI``; credentials
from ``NEO4J_USER`` / ``NEO4J_PASSWORD``); its graph is wiped. The load's *client* is killed, the
server rolls its open transaction back. ``--pick`` replaces each mode's point list.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from varkg.crashtest import clean_state, kill_and_recover, scenarios

D = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


POINTS = {
    "load": [
        ("frame", 1, 0),
        ("frame", 2, 0),
        ("frame", 4, 0),
        ("copy", 1, 5),
        ("copy", 3, 20),
        ("commit", 1, 0),
        ("commit", 1, 20),
        ("commit", 1, 200),
        ("artifact", 1, 0),
        ("record", 1, 0),
    ],
    "batch": [
        ("frame", 1, 0),
        ("frame", 3, 0),
        ("batch_commit", 1, 0),
        ("batch_commit", 2, 0),
        ("copy", 2, 5),
        ("commit", 1, 0),
        ("commit", 2, 10),
        ("commit", 2, 100),
        ("artifact", 1, 0),
        ("record", 1, 0),
    ],
}


def _point(text: str) -> tuple[str, int, int]:
    name, k, ms = (text.split(":") + ["1", "0"])[:3] if text.count(":") < 2 else text.split(":")
    return name, int(k), int(ms)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the first 3 points of each mode")
    ap.add_argument("--store", choices=("ladybug", "neo4j"), default="ladybug")
    ap.add_argument("--uri", default=os.environ.get("VARKG_NEO4J_URI"), help="Neo4j bolt:// URI (--store neo4j)")
    ap.add_argument("--atomic", choices=("load", "batch"), action="append", help="modes to run (default both)")
    ap.add_argument("--only", choices=("vcf_chr20", "go_pathways"), action="append", help="scenarios to run (default both)")
    ap.add_argument("--pick", help="comma-separated kill points POINT:K[:MS] instead of the default list")
    args = ap.parse_args()
    uri = None
    if args.store == "neo4j":
        if not args.uri:
            ap.error("--store neo4j needs --uri or $VARKG_NEO4J_URI")
        uri = args.uri
    picked = [_point(x) for x in args.pick.split(",")] if args.pick else None
    for atomic in args.atomic or ("load", "batch"):
        for name, sc in scenarios(D, atomic=atomic).items():
            if args.only and name not in args.only:
                continue
            points = picked or POINTS[atomic][: 3 if args.quick else None]
            with tempfile.TemporaryDirectory(prefix="varkg-faults-") as tmp:
                t0 = time.perf_counter()
                ref = clean_state(sc, Path(tmp), uri=uri)
                baseline = time.perf_counter() - t0
                tried = survived = killed = 0
                for p in points:
                    r = kill_and_recover(sc, p, work=Path(tmp), reference=ref, uri=uri)
                    tried += 1
                    killed += r.killed
                    survived += r.survived
                    print(json.dumps({"bench": "faults", "store": args.store, "scenario": name, **r.__dict__}), flush=True)
                print(
                    json.dumps(
                        {
                            "bench": "faults_summary",
                            "store": args.store,
                            "scenario": name,
                            "atomic": atomic,
                            "points_tried": tried,
                            "points_killed": killed,
                            "points_survived": survived,
                            "baseline_clean_prefix_and_load_s": round(baseline, 2),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
