"""Crash-safety benchmark: kill points tried / survived per store and atomic mode (Ladybug).

Scenarios: the chr20 VCF (genotypes + consequences, after the GENCODE chr20 sample) and a GO
Biological Process pathways load (enrichr GMT, symbols mapped with org.Hs.eg gene_info). Each kill
point runs the load in a child process, SIGKILLs it (varkg.faults), reopens, repeats the load and
compares with a clean load (varkg.crashtest). Prints one JSON line per kill point, then a summary
line per scenario and mode with the clean load's time as the baseline.

    PYTHONPATH=. python benchmarks/bench_faults.py [--quick]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from varkg.crashtest import Scenario, Step, clean_state, kill_and_recover

D = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def scenarios(atomic: str) -> dict[str, Scenario]:
    gtf = Step("annotation", [str(D / "annotation/gencode_v43_sample_chr20.gtf.gz")], "GRCh38")
    vcf = Step("vcf", [str(D / "variants/kgp_chr20_1-4Mb_unphased.vcf.gz")], "GRCh38", {"batch_size": 5000})
    go = Step(
        "pathways",
        [str(D / "networks/enrichr.GO_Biological_Process_2021.gmt")],
        None,
        {"id_map": str(D / "annotation/orgHsEgDb_gene_info.tsv.gz"), "jaccard": 0},
    )
    return {
        "vcf_chr20": Scenario(prefix=[gtf], target=vcf, atomic=atomic),  # type: ignore[arg-type]
        "go_pathways": Scenario(prefix=[], target=go, atomic=atomic, commit_rows=50_000),  # type: ignore[arg-type]
    }


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


def main() -> None:
    quick = "--quick" in sys.argv
    for atomic in ("load", "batch"):
        for name, sc in scenarios(atomic).items():
            with tempfile.TemporaryDirectory(prefix="varkg-faults-") as tmp:
                t0 = time.perf_counter()
                ref = clean_state(sc, Path(tmp))
                baseline = time.perf_counter() - t0
                tried = survived = killed = 0
                for p in POINTS[atomic][: 3 if quick else None]:
                    r = kill_and_recover(sc, p, work=Path(tmp), reference=ref)
                    tried += 1
                    killed += r.killed
                    survived += r.survived
                    print(json.dumps({"bench": "faults", "store": "ladybug", "scenario": name, **r.__dict__}), flush=True)
                print(
                    json.dumps(
                        {
                            "bench": "faults_summary",
                            "store": "ladybug",
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
