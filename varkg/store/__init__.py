"""Graph stores: the :class:`GraphStore` protocol, the embedded Ladybug default and Neo4j.

``open_store`` picks the backend from the location: ``bolt://``, ``neo4j://`` (and ``+s``/``+ssc``
variants) open a :class:`~varkg.store.neo4j.Neo4jStore`; anything else is a Ladybug database file.
The default location is ``$VARKG_STORE`` or ``./varkg.db``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from varkg.store.base import GraphStore, UpsertResult

if TYPE_CHECKING:
    from varkg.schema import Schema

DEFAULT_STORE = "varkg.db"
NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def default_location() -> str:
    return os.environ.get("VARKG_STORE") or DEFAULT_STORE


def open_store(
    location: str | os.PathLike[str] | None = None, *, read_only: bool = False, schema: Schema | None = None
) -> GraphStore:
    """Open the store at ``location`` (a Ladybug file path or a Neo4j URI)."""
    loc = str(location) if location is not None else default_location()
    if loc.startswith(NEO4J_SCHEMES):
        from varkg.store.neo4j import Neo4jStore

        return Neo4jStore(loc, read_only=read_only, schema=schema)
    from varkg.store.ladybug import LadybugStore

    return LadybugStore(loc, read_only=read_only, schema=schema)


__all__ = ["DEFAULT_STORE", "GraphStore", "UpsertResult", "default_location", "open_store"]
