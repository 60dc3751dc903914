"""Property kinds mapped to Arrow, Ladybug and Neo4j types (one table, used everywhere)."""

from __future__ import annotations

import pyarrow as pa

from varkg.schema.model import Property

_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "string_list": pa.list_(pa.string()),
    "float_list": pa.list_(pa.float64()),
    "int_list": pa.list_(pa.int64()),
}

_LADYBUG: dict[str, str] = {
    "string": "STRING",
    "int": "INT64",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "string_list": "STRING[]",
    "float_list": "DOUBLE[]",
    "int_list": "INT64[]",
}

_NEO4J: dict[str, str] = {
    "string": "STRING",
    "int": "INTEGER",
    "float": "FLOAT",
    "bool": "BOOLEAN",
    "timestamp": "LOCAL DATETIME",
    "string_list": "LIST<STRING NOT NULL>",
    "float_list": "LIST<FLOAT NOT NULL>",
    "int_list": "LIST<INTEGER NOT NULL>",
    "vector": "LIST<FLOAT NOT NULL>",
}


def arrow_type(prop: Property) -> pa.DataType:
    """The canonical Arrow type of a property (vectors: fixed-size float32 lists)."""
    if prop.kind == "vector":
        assert prop.dim is not None
        return pa.list_(pa.float32(), prop.dim)
    return _ARROW[prop.kind]


def ladybug_type(prop: Property) -> str:
    """The Ladybug column type (vectors: ``FLOAT[dim]`` arrays)."""
    if prop.kind == "vector":
        return f"FLOAT[{prop.dim}]"
    return _LADYBUG[prop.kind]


def neo4j_type(prop: Property) -> str:
    """The Neo4j property type name (as used in type constraints and docs)."""
    return _NEO4J[prop.kind]
