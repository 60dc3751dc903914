"""Crash-safe loads: the chr20 VCF (genotypes + consequences against the GENCODE sample loaded
first) is SIGKILLed in a child process at chosen points, the store reopened and the load repeated:
the graph equals a clean single load (fingerprint of every table, one Dataset per load, artifacts
byte-identical), and an ``atomic="load"`` kill leaves the graph exactly as before the load.
The same on a live Neo4j server (``uri=``: the client is killed mid-transaction), and the GO pathways
load on both stores (slow). Scenarios from ``varkg.crashtest.scenarios`` (shared with
benchmarks/bench_faults.py, which runs every kill point)."""

from __future__ import annotations

import pytest

from varkg.crashtest import Scenario, clean_state, kill_and_recover, scenarios


def _scenario(shared_data, atomic: str) -> Scenario:
    return scenarios(shared_data, atomic=atomic)["vcf_chr20"]  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def reference(shared_data, tmp_path_factory):
    work = tmp_path_factory.mktemp("crash")
    return work, clean_state(_scenario(shared_data, "load"), work)


@pytest.mark.parametrize(
    ("atomic", "point"),
    [
        ("load", ("frame", 2, 0)),  # after two frames of one open transaction
        ("batch", ("batch_commit", 1, 0)),  # after the first committed group: earlier groups stay
    ],
)
def test_killed_load_recovers(shared_data, reference, atomic, point):
    work, ref = reference
    assert ref[2] and any(d.startswith("vcf:") for d in ref[2]) and ref[0]["counts"]["Variant-AFFECTS->Gene"] > 0
    r = kill_and_recover(_scenario(shared_data, atomic), point, work=work, reference=ref)
    assert r.killed, "the kill point was never reached"
    assert r.survived, r.problems


@pytest.mark.slow
@pytest.mark.parametrize(
    ("atomic", "point"),
    [
        ("load", ("copy", 3, 5)),
        ("load", ("commit", 1, 20)),
        ("load", ("record", 1, 0)),
        ("batch", ("frame", 3, 0)),
        ("batch", ("commit", 2, 10)),
        ("batch", ("artifact", 1, 0)),
    ],
)
def test_killed_load_recovers_more_points(shared_data, reference, atomic, point):
    work, ref = reference
    r = kill_and_recover(_scenario(shared_data, atomic), point, work=work, reference=ref)
    assert r.killed and r.survived, r.problems


@pytest.mark.slow
def test_killed_batch_pathways_load_records_the_same_dataset(shared_data, tmp_path):
    sc = scenarios(shared_data, atomic="batch")["go_pathways"]
    ref = clean_state(sc, tmp_path)
    r = kill_and_recover(sc, ("batch_commit", 1, 0), work=tmp_path, reference=ref)
    assert r.killed and r.survived, r.problems


# ---------------------------------------------------------------- Neo4j (the live server)
# The load's client process is SIGKILLed mid-transaction; the server must roll the open transaction
# back, and a repeated load must give the clean load's graph. Same harness, ``uri=`` instead of a path.


@pytest.fixture(scope="module")
def neo4j_reference(shared_data, neo4j_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("crash-neo4j")
    return work, clean_state(_scenario(shared_data, "load"), work, uri=neo4j_server[0])


@pytest.mark.neo4j
@pytest.mark.parametrize(
    ("atomic", "point"),
    [
        ("load", ("copy", 2, 5)),  # during the second batched write statement of one open transaction
        ("batch", ("batch_commit", 1, 0)),  # after the first committed group
    ],
)
def test_killed_neo4j_load_recovers(shared_data, neo4j_server, neo4j_reference, atomic, point):
    work, ref = neo4j_reference
    assert any(d.startswith("vcf:") for d in ref[2]) and ref[0]["counts"]["Variant-AFFECTS->Gene"] > 0 and ref[1]
    r = kill_and_recover(_scenario(shared_data, atomic), point, work=work, reference=ref, uri=neo4j_server[0])
    assert r.killed, "the kill point was never reached"
    assert r.survived, r.problems


@pytest.mark.neo4j
@pytest.mark.slow
@pytest.mark.parametrize(
    ("atomic", "point"),
    [
        ("load", ("frame", 2, 0)),
        ("load", ("commit", 1, 0)),
        ("load", ("commit", 1, 20)),
        ("load", ("record", 1, 0)),
        ("batch", ("frame", 3, 0)),
        ("batch", ("commit", 2, 10)),
        ("batch", ("artifact", 1, 0)),
    ],
)
def test_killed_neo4j_load_recovers_more_points(shared_data, neo4j_server, neo4j_reference, atomic, point):
    work, ref = neo4j_reference
    r = kill_and_recover(_scenario(shared_data, atomic), point, work=work, reference=ref, uri=neo4j_server[0])
    assert r.killed and r.survived, r.problems


@pytest.fixture(scope="module")
def neo4j_go_reference(shared_data, neo4j_server, tmp_path_factory):
    work = tmp_path_factory.mktemp("crash-neo4j-go")
    return work, clean_state(scenarios(shared_data, atomic="load")["go_pathways"], work, uri=neo4j_server[0])


@pytest.mark.neo4j
@pytest.mark.slow
@pytest.mark.parametrize(
    ("atomic", "point"),
    [
        ("load", ("copy", 2, 5)),  # during a batched write of the one open transaction
        ("batch", ("batch_commit", 1, 0)),  # after the first committed group (genes it created stay)
    ],
)
def test_killed_neo4j_pathways_load_recovers(shared_data, neo4j_server, neo4j_go_reference, atomic, point):
    work, ref = neo4j_go_reference
    sc = scenarios(shared_data, atomic=atomic)["go_pathways"]
    assert ref[0]["counts"]["Gene-IN_PATHWAY->Pathway"] > 0 and any(d.startswith("pathways:") for d in ref[2])
    r = kill_and_recover(sc, point, work=work, reference=ref, uri=neo4j_server[0])
    assert r.killed and r.survived, r.problems
