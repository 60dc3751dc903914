"""A content fingerprint of a whole graph: counts plus a hash of every node and edge table.

Two graphs with the same fingerprint hold the same nodes and edges with the same property values
(timestamps excluded: they record *when*, not *what*). The fault tests compare a graph after a
killed-and-repeated load with a clean load by this fingerprint.

Example:
    >>> import tempfile, pyarrow as pa
    >>> from varkg.store import open_store
    >>> store = open_store(tempfile.mkdtemp() + "/g.db")
    >>> store.init_schema()
    >>> before = graph_fingerprint(store)
    >>> _ = store.upsert_nodes("Gene", pa.table({"id": ["ENSG00000141510"], "symbol": ["TP53"]}))
    >>> after = graph_fingerprint(store)
    >>> before["counts"]["Gene"], after["counts"]["Gene"], before["tables"]["Gene"] != after["tables"]["Gene"]
    (0, 1, True)
    >>> store.close()
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa

from varkg.store.base import GraphStore

_SKIP_KINDS = {"timestamp"}


def _table_hash(table: pa.Table, order: list[str]) -> str:
    """SHA-256 of the rows of ``table`` in a canonical order (sorted by ``order`` then all columns)."""
    cols = sorted(table.column_names)
    rows = [json.dumps([r[c] for c in cols], default=str, sort_keys=True) for r in table.select(cols).to_pylist()]
    rows.sort()
    h = hashlib.sha256(json.dumps(cols).encode())
    for r in rows:
        h.update(r.encode())
        h.update(b"\n")
    return h.hexdigest()


def graph_fingerprint(store: GraphStore) -> dict[str, Any]:
    """``{"counts": store.counts(), "tables": {label: sha256}}`` over every schema node type and
    edge endpoint pair (edge labels as ``Src-REL->Dst``); timestamp properties are left out.

    Args:
        store: an open store (read-only is fine).
    """
    schema = store.schema
    counts = store.counts()
    tables: dict[str, str] = {}
    for name, spec in schema.nodes.items():
        if name not in counts:
            continue
        props = [p for p, s in spec.properties.items() if p != spec.key and s.kind not in _SKIP_KINDS]
        tables[name] = _table_hash(store.export_nodes(name, properties=props), [spec.key])
    for e in schema.edges.values():
        props = [p for p, s in e.properties.items() if s.kind not in _SKIP_KINDS]
        for s, d in e.endpoints:
            label = f"{s}-{e.name}->{d}"
            if label not in counts:
                continue
            tables[label] = _table_hash(store.export_edges(e.name, src_type=s, dst_type=d, properties=props), ["src", "dst"])
    return {"counts": counts, "tables": tables}


def fingerprint_digest(fp: dict[str, Any]) -> str:
    """One SHA-256 over a fingerprint (for printing and comparing whole graphs)."""
    return hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()
