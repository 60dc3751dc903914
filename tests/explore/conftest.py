from __future__ import annotations

import threading
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def explore_server(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """The explorer served on 127.0.0.1 (free port) over a small real graph; yields (base URL, store)."""
    from varkg.demo.build import build_graph
    from varkg.explore.server import serve
    from varkg.store import open_store

    d = tmp_path_factory.mktemp("explore_graph")
    store = open_store(str(d / "graph.lbug"))
    build_graph(store, shared_data, quick=True, work_dir=d, log=None)
    srv = serve(store, port=0)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", store
    srv.shutdown()
    srv.server_close()
    store.close()
