"""The explorer as a user runs it (`varkg explore` in its own process, free port): loopback bind
by default, non-loopback refused without --allow-remote, capped rows, JSON errors without stack
traces, hostile parameters leave the graph's fingerprint unchanged."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from varkg.explore.server import Explorer, make_handler
from varkg.loaders.run import load
from varkg.store import open_store
from varkg.store.fingerprint import graph_fingerprint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


@pytest.fixture(scope="module")
def graph(shared_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("explore_hard") / "g.db"
    store = open_store(str(path))
    store.init_schema()
    load(store, "annotation", [shared_data / "annotation/gencode_v43_sample_chr20.gtf.gz"], assembly="GRCh38", progress=False)
    fp = graph_fingerprint(store)
    store.close()
    return path, fp


def _varkg(*args: str) -> list[str]:
    return [sys.executable, "-m", "varkg.cli.main", *args]


@pytest.fixture(scope="module")
def running(graph):
    path, _ = graph
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.Popen(
        _varkg("--store", str(path), "explore", "--port", str(port), "--max-rows", "5"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read() if proc.stdout else "explore exited") from None
            time.sleep(0.1)
    yield base, port
    proc.terminate()
    proc.wait(timeout=20)


def test_binds_loopback_only(running):
    _, port = running
    addrs = {a for a in socket.gethostbyname_ex(socket.gethostname())[2] if not a.startswith("127.")}
    for a in addrs:
        with pytest.raises(OSError), socket.create_connection((a, port), timeout=1):
            pass


def test_non_loopback_bind_needs_the_flag(graph):
    path, _ = graph
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    r = subprocess.run(
        _varkg("--store", str(path), "explore", "--host", "0.0.0.0", "--port", "0"),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and "--allow-remote" in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_rows_capped_and_hostile_parameters_harmless(running, graph):
    base, _ = running
    path, fp = graph
    code, body = _get(base + "/api/search?q=ENSG&limit=100")
    assert code == 200 and len(json.loads(body)) == 5  # --max-rows 5 (the graph has 52 genes)
    hostile = [
        "x' }) DETACH DELETE n //",
        "') CREATE (:Gene {id:'EVIL'}) //",
        "LOAD FROM '/etc/passwd' RETURN *",
        "\\u0027) CREATE (:Gene {id:'EVIL'})",
        "\x00",
        "%" * 5000,
    ]
    tried = 0
    for h in hostile:
        for path_q in (
            f"/api/search?q={urllib.parse.quote(h)}",
            f"/api/node?type=Gene&id={urllib.parse.quote(h)}",
            f"/api/node?type={urllib.parse.quote(h)}&id=x",
            f"/api/neighbours?type=Gene&id={urllib.parse.quote(h)}",
        ):
            code, body = _get(base + path_q)
            tried += 1
            assert code in (200, 400), (path_q, code, body)
            assert "Traceback" not in body and "root:" not in body
            json.loads(body)
    for bad in ("/api/search?q=a&limit=abc", "/api/neighbours?type=Gene&id=x&limit=-", "/nope", "/static/../../etc/passwd"):
        code, body = _get(base + bad)
        assert code in (400, 404) and "error" in json.loads(body) and "Traceback" not in body
    store = open_store(str(path), read_only=True)
    try:
        assert graph_fingerprint(store) == fp
    finally:
        store.close()


def test_internal_error_is_json_without_internals(graph, tmp_path):
    import threading
    from http.server import ThreadingHTTPServer

    class Broken:
        schema = open_store(str(tmp_path / "s.db")).schema

        def query(self, *a, **k):
            raise RuntimeError("/secret/internal/path exploded")

    srv = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Explorer(Broken())))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        code, body = _get(f"http://127.0.0.1:{srv.server_address[1]}/api/search?q=TP53")
        assert code == 500 and json.loads(body) == {"error": "internal error; see the server's log"}
    finally:
        srv.shutdown()
        srv.server_close()


def test_query_time_is_capped(graph):
    """A query longer than the explorer's timeout is interrupted by the store (a clear error)."""
    from varkg.errors import StoreError

    path, _ = graph
    store = open_store(str(path), read_only=True)
    try:
        Explorer(store, timeout_s=0.05)
        t0 = time.perf_counter()
        with pytest.raises(StoreError, match="(?i)interrupt|timeout"):  # 52**5 rows: minutes uncapped
            store.query(
                "MATCH (a:Gene), (b:Gene), (c:Gene), (d:Gene), (e:Gene) "
                "WHERE a.start + b.start + c.start + d.start + e.start = 7 RETURN count(*)"
            )
        assert time.perf_counter() - t0 < 10
    finally:
        store.close()
