"""DDL generated from the schema for Ladybug and Neo4j.

Statements are returned as lists (one statement each, no trailing semicolons) so a
store can run them one by one and a test can lint each.
"""

from __future__ import annotations

import re
from typing import Literal

from varkg.schema.model import Schema, load_schema
from varkg.schema.types import ladybug_type

Dialect = Literal["neo4j", "ladybug"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def ladybug_ddl(schema: Schema | None = None) -> list[str]:
    """``CREATE NODE TABLE`` / ``CREATE REL TABLE`` statements (idempotent: ``IF NOT EXISTS``)."""
    schema = schema or load_schema()
    out: list[str] = []
    for node in schema.nodes.values():
        cols = ", ".join(f"{p.name} {ladybug_type(p)}" for p in node.properties.values())
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {node.name}({cols}, PRIMARY KEY({node.key}))")
    for edge in schema.edges.values():
        pairs = ", ".join(f"FROM {s} TO {d}" for s, d in edge.endpoints)
        cols = "".join(f", {p.name} {ladybug_type(p)}" for p in edge.properties.values())
        out.append(f"CREATE REL TABLE IF NOT EXISTS {edge.name}({pairs}{cols}, MANY_MANY)")
    return out


def vector_index_name(node_type: str, prop: str) -> str:
    """The Neo4j vector index on ``node_type.prop`` (used by the DDL and the nearest-neighbour query)."""
    return f"{_snake(node_type)}_{prop}"


def neo4j_ddl(schema: Schema | None = None) -> list[str]:
    """Uniqueness constraints on node keys, range indexes, relationship-key indexes and
    vector indexes (cosine) for every embedding property."""
    schema = schema or load_schema()
    out: list[str] = []
    for node in schema.nodes.values():
        base = _snake(node.name)
        out.append(f"CREATE CONSTRAINT {base}_{node.key}_unique IF NOT EXISTS FOR (n:{node.name}) REQUIRE n.{node.key} IS UNIQUE")
        for p in node.properties.values():
            if p.index and p.name != node.key:
                out.append(f"CREATE INDEX {base}_{p.name} IF NOT EXISTS FOR (n:{node.name}) ON (n.{p.name})")
        for p in node.vectors:
            out.append(
                f"CREATE VECTOR INDEX {vector_index_name(node.name, p.name)} IF NOT EXISTS FOR (n:{node.name}) ON n.{p.name} "
                f"OPTIONS {{indexConfig: {{`vector.dimensions`: {p.dim}, "
                f"`vector.similarity_function`: 'cosine'}}}}"
            )
    for edge in schema.edges.values():
        if edge.key:
            props = ", ".join(f"r.{k}" for k in edge.key)
            out.append(
                f"CREATE INDEX {_snake(edge.name.title().replace('_', ''))}_key IF NOT EXISTS "
                f"FOR ()-[r:{edge.name}]-() ON ({props})"
            )
    return out


def ddl(dialect: Dialect, schema: Schema | None = None) -> list[str]:
    """DDL statements for ``dialect`` (``"neo4j"`` or ``"ladybug"``)."""
    if dialect == "neo4j":
        return neo4j_ddl(schema)
    if dialect == "ladybug":
        return ladybug_ddl(schema)
    raise ValueError(f"unknown dialect {dialect!r}; expected 'neo4j' or 'ladybug'")
