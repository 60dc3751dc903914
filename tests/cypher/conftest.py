from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def demo_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    """A small real graph (GENCODE chr20, chr20 common SNPs, ENCODE cCREs, JASPAR, HPO, hallmark sets)."""
    from varkg.demo.build import build_graph
    from varkg.store import open_store

    d = tmp_path_factory.mktemp("cypher_graph")
    store = open_store(str(d / "graph.lbug"))
    build_graph(store, shared_data, quick=True, work_dir=d, log=None)
    yield store
    store.close()
