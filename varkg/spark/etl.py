"""Distributed ETL into the graph: frames to Parquet partitions, then into Neo4j through the Neo4j
Connector for Apache Spark, or (small outputs) into any varkg store through its API.

* :func:`write_parquet`: a Spark DataFrame (or a Hail Table, via ``to_spark``) as Parquet,
  partitioned by chromosome: each task writes its own files, no coordination.
* :func:`load_nodes_neo4j`: ``MERGE`` on the schema key of the node type (connector
  ``Overwrite`` mode with ``node.keys``), in batches of ``batch_size`` rows per transaction.
  Idempotent: running it twice leaves one node per key.
* :func:`load_edges_neo4j`: relationships by a Cypher ``MERGE`` on the endpoint keys and the
  relationship's schema key properties (connector ``query`` mode, rows as ``event``). The labels,
  types and property names in that text come from the schema and are checked against it; values
  travel as parameters. Relationship writes are coalesced to one partition per type, so no two
  transactions lock the same endpoint nodes in opposite order (no deadlock retries).
* :func:`load_small`: a small DataFrame collected to the driver and upserted with
  ``store.upsert_nodes`` (the embedded Ladybug store or Neo4j alike).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from varkg.errors import AnalysisError

__all__ = ["edge_merge_cypher", "load_edges_neo4j", "load_nodes_neo4j", "load_small", "write_parquet"]

FORMAT = "org.neo4j.spark.DataSource"


def _schema() -> Any:
    from varkg.schema.model import load_schema

    return load_schema()


def _node_key(node_type: str) -> str:
    s = _schema()
    if node_type not in s.nodes:
        raise AnalysisError(f"unknown node type {node_type!r}; expected one of {sorted(s.nodes)}")
    return str(s.nodes[node_type].key)


def write_parquet(df: Any, path: str | Path, *, partition_by: list[str] | None = None) -> Path:
    """``df`` (Spark DataFrame or Hail Table) as Parquet under ``path``, partitioned by ``partition_by``
    (default ``["chrom"]`` when the frame has it); overwrites ``path``."""
    if hasattr(df, "to_spark"):
        df = df.to_spark(flatten=True)
    parts = partition_by if partition_by is not None else (["chrom"] if "chrom" in df.columns else [])
    w = df.write.mode("overwrite")
    if parts:
        w = w.partitionBy(*parts)
    w.parquet(str(path))
    return Path(path)


def _auth(w: Any, uri: str, user: str, password: str) -> Any:
    return (
        w.format(FORMAT)
        .option("url", uri)
        .option("authentication.type", "basic")
        .option("authentication.basic.username", user)
        .option("authentication.basic.password", password)
    )


def load_nodes_neo4j(df: Any, node_type: str, *, uri: str, user: str = "neo4j", password: str, batch_size: int = 5000) -> None:
    """MERGE ``df``'s rows as ``node_type`` nodes on the schema key (the key column must be present)."""
    key = _node_key(node_type)
    if key not in df.columns:
        raise AnalysisError(f"frame for {node_type} lacks its key column {key!r} (columns: {df.columns})")
    w = _auth(df.write.mode("overwrite"), uri, user, password)
    w.option("labels", f":{node_type}").option("node.keys", key).option("batch.size", str(batch_size)).save()


def edge_merge_cypher(rel: str, *, src_type: str, dst_type: str, properties: list[str]) -> str:
    """The connector's per-row Cypher for one relationship type: endpoints matched on their keys
    (``event.src``, ``event.dst``), the relationship merged on its schema key properties, the
    other ``properties`` set. Names are checked against the schema; values stay parameters."""
    s = _schema()
    if rel not in s.edges:
        raise AnalysisError(f"unknown relationship type {rel!r}; expected one of {sorted(s.edges)}")
    e = s.edges[rel]
    allowed = set(e.properties)
    bad = [p for p in properties if p not in allowed]
    if bad:
        raise AnalysisError(f"{rel} has no properties {bad}; expected some of {sorted(allowed)}")
    sk, dk = _node_key(src_type), _node_key(dst_type)
    keys = [k for k in e.key if k in properties]
    rest = [p for p in properties if p not in keys]
    merge_props = ", ".join(f"{k}: event.{k}" for k in keys)
    sets = ", ".join(f"r.{p} = event.{p}" for p in rest)
    text = f"MATCH (a:{src_type} {{{sk}: event.src}}) MATCH (b:{dst_type} {{{dk}: event.dst}}) "
    text += f"MERGE (a)-[r:{rel}{{{merge_props}}}]->(b)"
    text = text.replace("{}", "")
    return text + (f" SET {sets}" if sets else "")


def load_edges_neo4j(
    df: Any,
    rel: str,
    *,
    src_type: str,
    dst_type: str,
    uri: str,
    user: str = "neo4j",
    password: str,
    batch_size: int = 5000,
) -> None:
    """MERGE ``df``'s rows (``src``, ``dst`` plus property columns) as ``rel`` relationships, one
    partition (one writer) per call so relationship transactions never deadlock."""
    for c in ("src", "dst"):
        if c not in df.columns:
            raise AnalysisError(f"edge frame lacks {c!r} (columns: {df.columns})")
    props = [c for c in df.columns if c not in ("src", "dst")]
    q = edge_merge_cypher(rel, src_type=src_type, dst_type=dst_type, properties=props)
    w = _auth(df.coalesce(1).write.mode("overwrite"), uri, user, password)
    w.option("query", q).option("batch.size", str(batch_size)).save()


def load_small(store: Any, df: Any, node_type: str, *, dataset: str | None = None) -> int:
    """Collect a small Spark DataFrame (or Hail Table) and upsert it with the store API; returns rows."""
    pdf = df.to_pandas() if hasattr(df, "to_pandas") else df.toPandas()
    table = pa.Table.from_pandas(pdf, preserve_index=False)
    store.upsert_nodes(node_type, table, dataset=dataset)
    return table.num_rows
