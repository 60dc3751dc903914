"""Coverage-guided fuzzing (atheris / libFuzzer) of the loaders' parsers, one subprocess per parser.

Each parser's corpus is seeded with the head of a real file from the shared data (the whole file
for the .cool reader); atheris mutates it for ``--seconds`` (default 60) with varkg's modules
instrumented for coverage. Every input is written to a file and loaded through
``varkg.loaders.run.load`` into a store holding the GENCODE chr20 sample genes. The invariant
(the one of tests/loaders/test_fuzz.py): the input loads, or raises a ``VarkgError`` whose message
names the file and leaves the graph fingerprint unchanged. Anything else (another exception type,
an unnamed file, a changed graph, an input running past ``--timeout`` seconds, a native crash) is
a crash: atheris writes the input and ``os._exit``s, the parent records it, keeps the input and
restarts the child for the time left (at most ``--max-crashes`` per parser).

Prints one JSON line per parser: inputs tried, rejected (with file:line), loaded, crashes, hangs,
seconds, and the baseline (the seed's own load time, same run).

    PYTHONPATH=. nice -n 10 python benchmarks/fuzz_parsers.py [--seconds 60] [--parsers vcf,gtf,...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from varkg.fuzzing import TARGETS, FuzzTarget

D = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

# the GMT fuzz keeps running past gene sets emptied by a mutation
OPTIONS = {"gmt": {"empty_sets": "skip"}}
PARSERS = list(TARGETS)


def target(parser: str) -> FuzzTarget:
    t = TARGETS[parser]
    return replace(t, options={**t.options, **OPTIONS.get(parser, {})})


def seed_bytes(parser: str) -> bytes:
    return TARGETS[parser].seed_bytes(D)


# ---------------------------------------------------------------------------------------- child


def child(parser: str, seconds: int, work: Path, timeout: int) -> None:
    import atheris
    import numpy  # noqa: F401  (native dependencies imported before instrumentation)
    import pyarrow  # noqa: F401

    with atheris.instrument_imports(include=["varkg"]):
        import varkg.loaders.annotation
        import varkg.loaders.elements
        import varkg.loaders.gwas
        import varkg.loaders.hic
        import varkg.loaders.pathways
        import varkg.loaders.vcf  # noqa: F401
        from varkg.errors import VarkgError
        from varkg.loaders.run import load
        from varkg.store import open_store
        from varkg.store.fingerprint import graph_fingerprint

    t = target(parser)
    loader, suffix, assembly, options = t.loader, t.suffix, t.assembly, t.options
    store = open_store(str(work / "g.db"))
    store.init_schema()
    load(store, "annotation", [D / "annotation/gencode_v43_sample_chr20.gtf.gz"], assembly="GRCh38", progress=False)
    stats_path = work / "stats.json"
    stats: dict[str, int] = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    for k in ("tried", "rejected", "rejected_with_line", "loaded"):
        stats.setdefault(k, 0)
    state = {"fp": graph_fingerprint(store)}
    f = work / f"input{suffix}"

    def one(data: bytes) -> None:
        f.write_bytes(data)
        stats["tried"] += 1
        try:
            load(store, loader, [f], assembly=assembly, options=dict(options), progress=False)
        except VarkgError as exc:
            stats["rejected"] += 1
            msg = str(exc)
            if str(f) not in msg and f.name not in msg:
                raise AssertionError(f"error does not name the file: {msg}") from exc
            if f"{f}:" in msg:
                stats["rejected_with_line"] += 1
            if graph_fingerprint(store) != state["fp"]:
                raise AssertionError("a failed load changed the graph") from exc
        else:
            stats["loaded"] += 1
            state["fp"] = graph_fingerprint(store)
        finally:
            stats_path.write_text(json.dumps(stats))

    corpus = work / "corpus"
    argv = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={seconds}",
        f"-timeout={timeout}",
        f"-max_len={max(4096, 2 * len(seed_bytes(parser)))}",
        f"-artifact_prefix={work}/",
        "-rss_limit_mb=4096",
        "-print_final_stats=1",
    ]
    atheris.Setup(argv, one)
    atheris.Fuzz()


# --------------------------------------------------------------------------------------- parent


def seed_load_ms(parser: str, work: Path) -> float:
    """Baseline: the unmutated seed's load time into a store with the genes (same process)."""
    from varkg.loaders.run import load
    from varkg.store import open_store

    t = target(parser)
    loader, suffix, assembly, options = t.loader, t.suffix, t.assembly, t.options
    store = open_store(str(work / "baseline.db"))
    store.init_schema()
    load(store, "annotation", [D / "annotation/gencode_v43_sample_chr20.gtf.gz"], assembly="GRCh38", progress=False)
    f = work / f"seed{suffix}"
    f.write_bytes(seed_bytes(parser))
    t = time.perf_counter()
    load(store, loader, [f], assembly=assembly, options=dict(options), progress=False)
    ms = (time.perf_counter() - t) * 1000
    store.close()
    return round(ms, 1)


def crash_error(stderr: str) -> str:
    """The exception line atheris printed (to stdout) after "Uncaught Python exception" (else the tail)."""
    _, found, after = stderr.partition("Uncaught Python exception")
    lines = [ln.strip() for ln in after.splitlines()[1:] if ln.strip()] if found else []
    errs = [ln for ln in lines if re.match(r"[\w.]+(Error|Exception|Exit)\b", ln)]
    return (errs[0] if errs else lines[0] if lines else stderr[-300:])[:300]


def fuzz_parser(parser: str, seconds: int, timeout: int, max_crashes: int, keep: Path) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"fuzz-{parser}-"))
    (work / "corpus").mkdir()
    (work / "corpus" / "seed").write_bytes(seed_bytes(parser))
    baseline = seed_load_ms(parser, work)
    crashes: list[dict[str, str]] = []
    hangs = 0
    t0 = time.perf_counter()
    while (left := seconds - (time.perf_counter() - t0)) > 3 and len(crashes) + hangs < max_crashes:
        for old in work.glob("g.db*"):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        cmd = [sys.executable, __file__, "--child", parser, "--seconds", str(int(left)), "--work", str(work)]
        cmd += ["--timeout", str(timeout)]
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=left + 300)
        artifacts = [p for p in work.iterdir() if re.match(r"(crash|timeout|oom|leak)-", p.name)]
        if proc.returncode == 0 and not artifacts:
            break
        for art in artifacts:
            dest = keep / f"{parser}-{art.name}"
            shutil.move(str(art), dest)
            if art.name.startswith("timeout-"):
                hangs += 1
                continue
            log = dest.with_suffix(".log")
            log.write_text(proc.stdout + proc.stderr)
            crashes.append({"input": str(dest), "error": crash_error(proc.stdout + proc.stderr), "log": str(log)})
        if not artifacts:  # died without an artifact (native crash before libFuzzer could write)
            crashes.append({"input": "", "error": f"rc {proc.returncode}: {proc.stderr[-300:]}"})
    stats = json.loads((work / "stats.json").read_text()) if (work / "stats.json").exists() else {}
    corpus_size = len(list((work / "corpus").iterdir()))
    shutil.rmtree(work, ignore_errors=True)
    return {
        "parser": parser,
        "loader": TARGETS[parser].loader,
        "seed": TARGETS[parser].seed,
        "inputs_tried": stats.get("tried", 0),
        "rejected": stats.get("rejected", 0),
        "rejected_with_line": stats.get("rejected_with_line", 0),
        "loaded": stats.get("loaded", 0),
        "crashes": len(crashes),
        "hangs": hangs,
        "corpus": corpus_size,
        "seconds": round(time.perf_counter() - t0, 1),
        "baseline_seed_load_ms": baseline,
        "crash_details": crashes,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=60, help="fuzzing time per parser")
    ap.add_argument("--parsers", default=",".join(PARSERS), help="comma-separated subset of " + ",".join(PARSERS))
    ap.add_argument("--timeout", type=int, default=20, help="seconds one input may take before it is a hang")
    ap.add_argument("--max-crashes", type=int, default=5, help="stop a parser after this many crashes")
    ap.add_argument("--keep", default=str(Path(tempfile.gettempdir()) / "varkg-fuzz-crashes"), help="folder for crashing inputs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.seconds, Path(args.work), args.timeout)
        return
    keep = Path(args.keep)
    keep.mkdir(parents=True, exist_ok=True)
    for parser in args.parsers.split(","):
        print(json.dumps(fuzz_parser(parser, args.seconds, args.timeout, args.max_crashes, keep)), flush=True)


if __name__ == "__main__":
    main()
