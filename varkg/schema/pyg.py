"""PyTorch Geometric metadata derived from the schema (no torch import here)."""

from __future__ import annotations

from varkg.schema.model import Schema, load_schema
from varkg.typing import EdgeType, NodeType


def pyg_metadata(schema: Schema | None = None, *, include_provenance: bool = False) -> tuple[list[NodeType], list[EdgeType]]:
    """``(node_types, edge_types)`` as ``HeteroData.metadata()`` returns them.

    Provenance node types (Dataset, Release, runs) carry no biology and are left out unless asked.

    >>> nodes, edges = pyg_metadata()
    >>> "Variant" in nodes and ("Variant", "AFFECTS", "Gene") in edges
    True
    """
    schema = schema or load_schema()
    nodes = [n.name for n in schema.nodes.values() if include_provenance or not n.provenance]
    edges = [t for t in schema.edge_triples() if t[0] in nodes and t[2] in nodes]
    return nodes, edges
