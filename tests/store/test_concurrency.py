"""Concurrent use of one embedded store: readers (`varkg query`, the explorer's read-only store)
while `varkg load` runs in another process get either the last committed state or a clear
"locked by PID n, try again" error; a second writer gets that error; nothing crashes or corrupts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from typer.testing import CliRunner

from varkg.errors import StoreUnavailable
from varkg.store import open_store

N_VARIANTS = 24990  # the chr20 1-4 Mb VCF after splitting and normalisation


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def _count(path) -> tuple[str, int | None, str]:
    try:
        store = open_store(str(path), read_only=True)
    except StoreUnavailable as exc:
        return "locked", None, str(exc)
    try:
        n = store.query("MATCH (v:Variant) RETURN count(v) AS n").column("n")[0].as_py()
        return "ok", int(n), ""
    finally:
        store.close()


def test_readers_and_a_second_writer_during_a_load(shared_data, tmp_path):
    from varkg.cli.main import app

    path = tmp_path / "g.db"
    store = open_store(str(path))
    store.init_schema()
    store.close()
    vcf = shared_data / "variants/kgp_chr20_1-4Mb_unphased.vcf.gz"
    cmd = [sys.executable, "-m", "varkg.cli.main", "--store", str(path), "load", "vcf", str(vcf), "-a", "GRCh38"]
    cmd += ["-o", "batch_size=2000", "-o", "genotypes=false", "--atomic", "load"]
    loader = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outcomes: list[tuple[str, int | None, str]] = []
    writer_errors: list[str] = []
    runner = CliRunner()
    try:
        while loader.poll() is None:
            outcomes.append(_count(path))
            r = runner.invoke(app, ["--store", str(path), "query", "MATCH (v:Variant) RETURN count(v) AS n", "--format", "csv"])
            if r.exit_code == 0:
                outcomes.append(("ok", int(r.output.strip().splitlines()[-1]), ""))
            else:
                outcomes.append(("locked", None, r.output))
            try:
                open_store(str(path)).close()  # a second writer
                writer_errors.append("")
            except StoreUnavailable as exc:
                writer_errors.append(str(exc))
            time.sleep(0.2)
        out, err = loader.communicate(timeout=300)
    finally:
        if loader.poll() is None:
            loader.kill()
    assert loader.returncode == 0, err[-2000:]
    assert outcomes, "the load finished before any reader ran"
    for kind, n, msg in outcomes:
        if kind == "ok":
            assert n in (0, N_VARIANTS), f"a reader saw an uncommitted, half-written load: {n} variants"
        else:
            assert re.search(r"locked by PID \d+|try again", msg), msg
            assert "Traceback" not in msg
    pid_errors = [e for e in writer_errors if e]
    assert pid_errors and all(f"locked by PID {loader.pid}" in e and "try again" in e for e in pid_errors), writer_errors[:3]
    final = _count(path)
    assert final[:2] == ("ok", N_VARIANTS)
    s = open_store(str(path))  # read-write after the load: not corrupted, lock released
    try:
        assert s.counts()["Variant"] == N_VARIANTS
    finally:
        s.close()
    print(
        {"readers": len(outcomes), "ok": sum(o[0] == "ok" for o in outcomes), "locked": sum(o[0] == "locked" for o in outcomes)}
    )


def test_a_load_while_a_reader_holds_the_store(shared_data, tmp_path):
    """A read-only store open in another process (the explorer) does not block a load, and the
    reader keeps its snapshot until it reopens."""
    path = tmp_path / "g.db"
    s = open_store(str(path))
    s.init_schema()
    s.close()
    reader = open_store(str(path), read_only=True)
    try:
        cmd = [sys.executable, "-m", "varkg.cli.main", "--store", str(path), "load", "annotation"]
        cmd += [str(shared_data / "annotation/gencode_v43_sample_chr20.gtf.gz"), "-a", "GRCh38"]
        r = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
        ok = r.returncode == 0
        if not ok:
            assert re.search(r"locked by PID \d+", r.stderr) and "Traceback" not in r.stderr, r.stderr
        reader.query("MATCH (g:Gene) RETURN count(g) AS n")
    finally:
        reader.close()
    kind, _, _ = _count(path)
    assert kind == "ok"
    print({"load_while_reader_open": "ran" if ok else "locked"})
