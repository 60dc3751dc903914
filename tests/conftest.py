"""Shared fixtures: real data location, temporary stores (Ladybug always, Neo4j when configured)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (or ``$VARKG_SHARED_DATA``); tests that need it skip where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data directory {SHARED_DATA} is absent (set VARKG_SHARED_DATA)")
    return SHARED_DATA


def _store_params():
    params = [pytest.param("ladybug", id="ladybug")]
    params.append(pytest.param("neo4j", id="neo4j", marks=pytest.mark.neo4j))
    return params


@pytest.fixture(params=_store_params())
def any_store(request, tmp_path):
    """A fresh, initialised store of each backend (Neo4j only where VARKG_NEO4J_URI is set)."""
    from varkg.store import open_store

    if request.param == "neo4j":
        uri = os.environ.get("VARKG_NEO4J_URI")
        if not uri:
            pytest.skip("VARKG_NEO4J_URI is not set")
        store = open_store(uri)
        store.execute("MATCH (n) DETACH DELETE n")
    else:
        store = open_store(tmp_path / "graph.db")
    store.init_schema()
    yield store
    store.close()


@pytest.fixture
def ladybug_store(tmp_path):
    """A fresh, initialised embedded store."""
    from varkg.store import open_store

    store = open_store(tmp_path / "graph.db")
    store.init_schema()
    yield store
    store.close()
