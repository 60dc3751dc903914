"""The GraphStore protocol itself: what both backends inherit from it."""

from __future__ import annotations

import inspect

import pyarrow as pa
import pytest

from varkg.store.base import GraphStore
from varkg.store.ladybug import LadybugStore
from varkg.store.neo4j import Neo4jStore

_DECLARED = ("transaction", "release_memory", "schema_info", "nearest", "close", "__enter__", "__exit__")


@pytest.mark.parametrize("cls", [LadybugStore, Neo4jStore])
def test_backends_subclass_the_protocol(cls: type) -> None:
    assert GraphStore in cls.__mro__
    for name in _DECLARED:
        assert callable(getattr(cls, name)), name


def test_protocol_declares_the_optional_members() -> None:
    members = dict(inspect.getmembers(GraphStore))
    for name in _DECLARED:
        assert name in members, name


def test_release_memory_default_is_a_no_op() -> None:
    """Neo4j inherits the default: nothing client-side to free, so a batch load just commits."""
    assert Neo4jStore.release_memory is GraphStore.release_memory
    assert GraphStore.release_memory(object.__new__(Neo4jStore)) is False


def test_context_manager_default_closes() -> None:
    closed: list[bool] = []

    class Minimal(Neo4jStore):
        def __init__(self) -> None:  # no server: only the inherited context manager is under test
            pass

        def close(self) -> None:
            closed.append(True)

    with Minimal() as s:
        assert isinstance(s, Minimal)
    assert closed == [True]


@pytest.mark.parametrize("cls", [LadybugStore, Neo4jStore])
def test_backends_share_the_upsert_edges_steps(cls: type) -> None:
    """One upsert_edges (read-only refusal, endpoint check, validation); each backend writes only."""
    assert cls.upsert_edges is GraphStore.upsert_edges
    assert cls._write_edges is not GraphStore._write_edges
    assert cls._require_writable is GraphStore._require_writable


def test_read_only_store_refuses_edges_before_validating(tmp_path) -> None:
    from varkg.errors import ReadOnlyError
    from varkg.store import open_store

    s = open_store(tmp_path / "g.db")
    s.init_schema()
    s.close()
    ro = open_store(tmp_path / "g.db", read_only=True)
    try:
        with pytest.raises(ReadOnlyError, match="read-only"):
            ro.upsert_edges("INTERACTS", pa.table({"src": ["a"]}), src_type="Gene", dst_type="Gene")
    finally:
        ro.close()
