"""Faults on a live Neo4j server: wrong credentials, the server killed (SIGKILL) in the middle of a
batched load, then restarted and the load repeated: nothing half-written, nothing duplicated, the graph
equal to a clean load. The kill tests share a server of their own (the session's one must survive)."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pyarrow as pa
import pytest

from varkg.errors import StoreUnavailable
from varkg.store import open_store

pytestmark = pytest.mark.neo4j

N = 60_000  # rows per table: several 10k-row batches, seconds of work, so the kill lands mid-load


def test_wrong_password_is_one_clear_line(neo4j_server, monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "not-the-password")
    with pytest.raises(StoreUnavailable) as err:
        open_store(neo4j_server[0])
    msg = str(err.value)
    assert "refused the credentials of user 'neo4j'" in msg and "NEO4J_PASSWORD" in msg
    assert "\n" not in msg and "not-the-password" not in msg


def _tables() -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(1)
    ids = [f"ENSG{i:011d}" for i in range(N)]
    genes = pa.table(
        {
            "id": ids,
            "symbol": [f"G{i}" for i in range(N)],
            "chrom": ["20"] * N,
            "start": np.arange(N) * 100,
            "stop": np.arange(N) * 100 + 50,
        }
    )
    pairs = {(int(a), int(b)) for a, b in zip(rng.integers(0, N, N), rng.integers(0, N, N), strict=False)}
    src, dst = zip(*sorted(pairs), strict=False)
    edges = pa.table(
        {
            "src": [ids[i] for i in src],
            "dst": [ids[j] for j in dst],
            "type": ["ppi"] * len(src),
            "source": ["fault-test"] * len(src),
            "score": rng.random(len(src)),
        }
    )
    return genes, edges


@pytest.fixture(scope="module")
def own_server(tmp_path_factory, neo4j_server):
    from varkg.store.neo4j_server import Neo4jServer, NeoServerConfig, free_port, lib_ready

    if not lib_ready():
        pytest.skip("the Neo4j jars are not in tools/neo4j/lib (run `make neo4j-lib`)")
    server = Neo4jServer(
        NeoServerConfig(
            data=tmp_path_factory.mktemp("neo4j-faults"),
            bolt=f"127.0.0.1:{free_port()}",
            http=None,
            heap="768m",
            pagecache="256m",
        ),
        password=os.environ["NEO4J_PASSWORD"],
    )
    server.start()
    yield server
    server.stop()


def _load(store, genes, edges, *, one_transaction: bool):
    if one_transaction:
        with store.transaction():
            store.upsert_nodes("Gene", genes, dataset="fault")
            store.upsert_edges("INTERACTS", edges, src_type="Gene", dst_type="Gene", dataset="fault")
    else:
        store.upsert_nodes("Gene", genes, dataset="fault")
        store.upsert_edges("INTERACTS", edges, src_type="Gene", dst_type="Gene", dataset="fault")


def _kill_during(server, fn, *, after: float) -> BaseException | None:
    """Run ``fn`` in a thread, SIGKILL the server ``after`` seconds in; the error ``fn`` raised."""
    box: list[BaseException] = []

    def work():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box.append(exc)

    t = threading.Thread(target=work)
    t.start()
    time.sleep(after)
    server.kill()
    t.join(120)
    assert not t.is_alive()
    return box[0] if box else None


@pytest.mark.parametrize("one_transaction", [True, False], ids=["one-tx", "per-upsert"])
def test_server_killed_mid_load_then_reload_equals_clean_load(own_server, one_transaction):
    genes, edges = _tables()
    store = open_store(own_server.uri)
    while store.execute("MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS n").column("n")[0].as_py():
        pass
    store.init_schema()
    # while the edges are being written (per-upsert: the genes are committed first)
    delay = 1.0 if one_transaction else None
    if not one_transaction:
        store.upsert_nodes("Gene", genes, dataset="fault")
        delay = 0.5
    err = _kill_during(own_server, lambda: _load(store, genes, edges, one_transaction=one_transaction), after=delay)
    assert isinstance(err, StoreUnavailable), f"the load was not interrupted (finished first?): {err!r}"
    assert "\n" not in str(err) and "Neo4j" in str(err)
    store.close()

    own_server.start()  # recovery from the transaction log
    store = open_store(own_server.uri)
    c = store.counts()
    assert c["Gene-INTERACTS->Gene"] == 0, "a half-written batch survived the crash"
    assert c["Gene"] == (0 if one_transaction else N)
    _load(store, genes, edges, one_transaction=True)
    c = store.counts()
    assert (c["Gene"], c["Gene-INTERACTS->Gene"]) == (N, edges.num_rows)
    # equal to a clean load: same rows, and a repeat load changes nothing
    got = store.export_edges("INTERACTS", src_type="Gene", dst_type="Gene").sort_by([("src", "ascending"), ("dst", "ascending")])
    assert got.column("src").to_pylist() == edges.column("src").to_pylist()
    assert got.column("dst").to_pylist() == edges.column("dst").to_pylist()
    np.testing.assert_allclose(got.column("score").to_numpy(), edges.column("score").to_numpy())
    assert store.upsert_edges("INTERACTS", edges, src_type="Gene", dst_type="Gene", dataset="fault").unchanged == edges.num_rows
    assert store.upsert_nodes("Gene", genes, dataset="fault").unchanged == N
    store.close()
