"""Crash-safety harness: run a real load in a child process, SIGKILL it at a chosen point, reopen the
store, repeat the load, and compare the graph with a clean single load.

A kill point is ``(point, k, ms)`` as in :mod:`varkg.faults`. A point *survives* when

* the killed store reopens read-write without error;
* after the kill, an ``atomic="load"`` load left the graph exactly as before it (fingerprint equal),
  and neither mode left the load's Dataset node (it is written last, inside the last transaction),
  unless the last COMMIT had reached the store before the process died: then the graph must equal
  the clean load in full (outcome ``committed``; on Neo4j the check waits until the server has
  finished the dead client's transaction);
* after the repeated load, the graph's fingerprint (counts + a hash of every node/edge table) equals
  a clean load's, there is one Dataset node per load, and the artifacts directory holds exactly the
  clean load's files with the same bytes (no partial file left over).

The store is a Ladybug directory under ``work`` (default) or, with ``uri="bolt://..."``, a live Neo4j
server (credentials from ``NEO4J_USER`` / ``NEO4J_PASSWORD``). Ladybug kill points start from a copy
of the prefix store; on Neo4j every node and relationship is deleted and the prefix loads repeated
(the server is never killed here: the *client* dies mid-transaction and the server must roll it back).

Example (a few minutes on two cores)::

    from varkg.crashtest import run_kill_points, scenarios
    sc = scenarios(Path("../shared/data"), atomic="load")["vcf_chr20"]
    results = run_kill_points(sc, [("frame", 2, 0), ("commit", 1, 30)], work=tmp_dir)
    on_neo4j = run_kill_points(sc, [("copy", 2, 5)], work=tmp_dir, uri="bolt://127.0.0.1:7687")
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from varkg.faults import ENV


@dataclass
class Step:
    """One load: loader name, input paths, assembly and options."""

    loader: str
    paths: list[str]
    assembly: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scenario:
    """Loads run cleanly first (``prefix``), then the ``target`` load that is killed and repeated."""

    target: Step
    prefix: list[Step] = field(default_factory=list)
    atomic: Literal["load", "batch"] = "load"
    commit_rows: int = 10_000


@dataclass
class KillResult:
    point: str
    k: int
    ms: int
    atomic: str
    killed: bool
    survived: bool
    problems: list[str]
    seconds: float
    outcome: str = ""  # after the kill: "rolled_back" (this load's Dataset absent) or "committed" (the whole load)


ScenarioName = Literal["vcf_chr20", "go_pathways"]


def scenarios(data: Path, *, atomic: Literal["load", "batch"]) -> dict[ScenarioName, Scenario]:
    """The two measured scenarios, on the real files under ``data`` (``../shared/data``), for either store.

    * ``vcf_chr20``: the GENCODE v43 chr20 sample (prefix), then the 1000 Genomes chr20 1-4 Mb VCF
      (24,990 variants with genotypes and consequences; 5,000-record frames; batch mode commits every
      10,000 rows);
    * ``go_pathways``: the enrichr GO Biological Process 2021 GMT (6,036 sets), symbols mapped with
      org.Hs.eg ``gene_info`` (genes the store lacks are created), no Jaccard edges; batch mode
      commits every 50,000 rows.
    """
    gtf = Step("annotation", [str(data / "annotation/gencode_v43_sample_chr20.gtf.gz")], "GRCh38")
    vcf = Step("vcf", [str(data / "variants/kgp_chr20_1-4Mb_unphased.vcf.gz")], "GRCh38", {"batch_size": 5000})
    go = Step(
        "pathways",
        [str(data / "networks/enrichr.GO_Biological_Process_2021.gmt")],
        None,
        {"id_map": str(data / "annotation/orgHsEgDb_gene_info.tsv.gz"), "jaccard": 0},
    )
    return {
        "vcf_chr20": Scenario(prefix=[gtf], target=vcf, atomic=atomic),
        "go_pathways": Scenario(prefix=[], target=go, atomic=atomic, commit_rows=50_000),
    }


def _where(work: Path, uri: str | None) -> tuple[str, Path]:
    """(store location, artifacts directory): one of each for every run, since Dataset nodes record artifact paths."""
    d = Path(work) / "store"
    if uri is None:
        return str(d / "g.db"), d / "g.db.artifacts"
    return uri, d / "neo4j.artifacts"


def _run_child(store: str, steps: list[Step], *, artifacts: Path, atomic: str, commit_rows: int, fault: str | None) -> int:
    env = dict(os.environ)
    env.pop(ENV, None)
    if fault:
        env[ENV] = fault
    env["PYTHONPATH"] = os.pathsep.join([p for p in sys.path if p])
    payload = json.dumps(
        {
            "store": store,
            "artifacts": str(artifacts),
            "steps": [asdict(s) for s in steps],
            "atomic": atomic,
            "commit_rows": commit_rows,
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "varkg.crashtest", payload], env=env, capture_output=True, text=True, timeout=1800
    )
    if proc.returncode not in (0, -9):
        raise RuntimeError(f"load child failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return proc.returncode


def _child(payload: str) -> None:
    from varkg.loaders.run import load
    from varkg.store import open_store

    spec = json.loads(payload)
    store = open_store(spec["store"])
    try:
        store.init_schema()
        for s in spec["steps"]:
            load(
                store,
                s["loader"],
                s["paths"],
                assembly=s["assembly"],
                options=s["options"],
                progress=False,
                atomic=spec["atomic"],
                commit_rows=spec["commit_rows"],
                artifacts_dir=spec["artifacts"],
            )
    finally:
        store.close()


def wipe_graph(uri: str) -> None:
    """Delete every node and relationship of the Neo4j graph at ``uri`` in bounded transactions
    (constraints and indexes stay)."""
    from varkg.store import open_store

    store = open_store(uri)
    try:
        while store.execute(_WIPE, {"n": 20_000}).column("n")[0].as_py():
            pass
    finally:
        store.close()


_WIPE = "MATCH (n) WITH n LIMIT $n DETACH DELETE n RETURN count(*) AS n"
_OTHER_TX = "SHOW TRANSACTIONS YIELD transactionId, currentQuery WHERE NOT currentQuery STARTS WITH $self RETURN count(*) AS n"


def wait_quiet(uri: str, *, timeout: float = 120.0) -> None:
    """Wait until the Neo4j server at ``uri`` runs no transaction but this one: a killed client's
    transaction is still rolled back, or a COMMIT it sent still completes, for a moment after it died."""
    import time

    from varkg.store import open_store

    store = open_store(uri)
    try:
        end = time.monotonic() + timeout
        while store.execute(_OTHER_TX, {"self": "SHOW TRANSACTIONS"}).column("n")[0].as_py():
            if time.monotonic() > end:
                raise RuntimeError(f"Neo4j at {uri} still runs other transactions after {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        store.close()


def _state(location: str, artifacts: Path) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(fingerprint, {artifact relative path: sha256}, Dataset ids) of a store; opens it read-write
    first (a killed Ladybug writer's log is replayed on that open; Neo4j has rolled the dead
    client's transaction back)."""
    from varkg.store import open_store
    from varkg.store.fingerprint import graph_fingerprint

    store = open_store(location)
    try:
        fp = graph_fingerprint(store)
        ds = sorted(store.query("MATCH (d:Dataset) RETURN d.id AS id").column("id").to_pylist())
    finally:
        store.close()
    files = {}
    if artifacts.is_dir():
        for f in sorted(artifacts.rglob("*")):
            if f.is_file():
                files[str(f.relative_to(artifacts))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return fp, files, ds


def _fresh_prefix(scenario: Scenario, work: Path, uri: str | None) -> None:
    """Put the store in the state after the prefix loads (Ladybug: a copy of the template made by
    :func:`clean_state`; Neo4j: wipe, then run the prefix loads again)."""
    d = Path(work) / "store"
    loc, art = _where(work, uri)
    if uri is None:
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(Path(work) / "prefix-template", d)
        return
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    wipe_graph(uri)
    _run_child(loc, scenario.prefix, artifacts=art, atomic=scenario.atomic, commit_rows=scenario.commit_rows, fault=None)


def clean_state(
    scenario: Scenario, work: Path, *, uri: str | None = None
) -> tuple[dict[str, Any], dict[str, str], list[str], dict[str, Any]]:
    """(fingerprint, artifacts, Dataset ids) of a clean prefix+target load, plus the prefix-only
    fingerprint; on the Ladybug store under ``work`` or, with ``uri``, the Neo4j graph there
    (which is wiped first)."""
    d = Path(work) / "store"
    loc, art = _where(work, uri)
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    if uri is not None:
        wipe_graph(uri)
    _run_child(loc, scenario.prefix, artifacts=art, atomic=scenario.atomic, commit_rows=scenario.commit_rows, fault=None)
    before, _, _ = _state(loc, art)
    if uri is None:
        template = Path(work) / "prefix-template"
        shutil.rmtree(template, ignore_errors=True)
        shutil.copytree(d, template)  # each kill point starts from a copy of the prefix state
    _run_child(loc, [scenario.target], artifacts=art, atomic=scenario.atomic, commit_rows=scenario.commit_rows, fault=None)
    fp, files, ds = _state(loc, art)
    return fp, files, ds, before


def kill_and_recover(
    scenario: Scenario,
    point: tuple[str, int, int],
    *,
    work: Path,
    reference: tuple[dict[str, Any], dict[str, str], list[str], dict[str, Any]],
    uri: str | None = None,
) -> KillResult:
    """Run the scenario with ``point`` armed, then check recovery against ``reference``
    (:func:`clean_state` with the same ``work`` and ``uri``)."""
    import time

    t0 = time.perf_counter()
    name, k, ms = point
    fp_ref, files_ref, ds_ref, before_ref = reference
    _fresh_prefix(scenario, work, uri)
    store, art = _where(work, uri)
    problems: list[str] = []
    fault = f"{name}:{k}" + (f":{ms}" if ms else "")
    rc = _run_child(
        store, [scenario.target], artifacts=art, atomic=scenario.atomic, commit_rows=scenario.commit_rows, fault=fault
    )
    killed = rc == -9
    if uri is not None:
        wait_quiet(uri)
    try:
        fp_after, _, ds_after = _state(store, art)
    except Exception as exc:  # noqa: BLE001 - any failure to reopen is the finding
        problems.append(f"reopen after kill failed: {type(exc).__name__}: {str(exc)[:300]}")
        return KillResult(name, k, ms, scenario.atomic, killed, False, problems, time.perf_counter() - t0)
    target_ds = [x for x in ds_ref if x not in ds_after]
    outcome = "rolled_back"
    if killed:
        if ds_after == ds_ref and fp_after == fp_ref:
            # the COMMIT reached the store before the process died: the whole load is there (all, not part)
            outcome = "committed"
        else:
            if len(ds_after) != len(ds_ref) - 1 or not target_ds:
                problems.append(f"the killed load's Dataset node exists after the kill: {ds_after}")
            if scenario.atomic == "load" and fp_after != before_ref:
                diff = {
                    k2: (before_ref["counts"].get(k2), v)
                    for k2, v in fp_after["counts"].items()
                    if before_ref["counts"].get(k2) != v
                }
                bad = [t for t in fp_after["tables"] if fp_after["tables"][t] != before_ref["tables"].get(t)]
                problems.append(f"atomic='load' kill left a half-written graph: counts {diff}, tables {bad}")
    _run_child(store, [scenario.target], artifacts=art, atomic=scenario.atomic, commit_rows=scenario.commit_rows, fault=None)
    fp, files, ds = _state(store, art)
    if fp != fp_ref:
        diff = {k2: (fp_ref["counts"].get(k2), v) for k2, v in fp["counts"].items() if fp_ref["counts"].get(k2) != v}
        bad_tables = [t for t in fp["tables"] if fp["tables"][t] != fp_ref["tables"].get(t)]
        problems.append(f"graph after reload differs from a clean load: counts {diff}, tables {bad_tables}")
    if ds != ds_ref:
        problems.append(f"Dataset nodes {ds} != clean {ds_ref}")
    if files != files_ref:
        problems.append(f"artifacts differ from a clean load: {sorted(set(files) ^ set(files_ref)) or 'same names, other bytes'}")
    return KillResult(name, k, ms, scenario.atomic, killed, not problems, problems, time.perf_counter() - t0, outcome)


def run_kill_points(
    scenario: Scenario, points: list[tuple[str, int, int]], *, work: Path, uri: str | None = None
) -> list[KillResult]:
    """:func:`kill_and_recover` for every point, against one clean reference (Ladybug under
    ``work``, or the Neo4j server at ``uri``)."""
    ref = clean_state(scenario, work, uri=uri)
    return [kill_and_recover(scenario, p, work=work, reference=ref, uri=uri) for p in points]


if __name__ == "__main__":
    _child(sys.argv[1])
