"""Time of ``import varkg`` in a fresh interpreter (median of several runs).

tests/test_import.py checks that no heavy module is imported; the time is measured here, where a
loaded machine does not turn it into a failure. Target: well under 0.3 s.

Usage: python benchmarks/bench_import.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

_CODE = "import time; t = time.perf_counter(); import varkg, varkg.typing, varkg.errors; print(time.perf_counter() - t)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    runs = [
        float(subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True).stdout)
        for _ in range(args.runs)
    ]
    print(json.dumps({"bench": "import_varkg", "median_s": round(statistics.median(runs), 4), "runs": args.runs}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
