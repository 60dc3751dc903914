"""The graph schema: single source of truth for node/edge types and their properties.

Everything else is generated from it: :mod:`varkg.schema.ddl` (Neo4j and Ladybug DDL),
:mod:`varkg.schema.pyg` (PyG metadata), :mod:`varkg.schema.validate` (Arrow validation),
:mod:`varkg.schema.docs` (``docs/schema.md``).
"""

from varkg.schema.model import EdgeSpec, NodeSpec, Property, Schema, load_schema, load_schema_file

__all__ = ["EdgeSpec", "NodeSpec", "Property", "Schema", "load_schema", "load_schema_file"]
