"""Neo4j-specific behaviour that needs no server: errors, bulk-import files."""

from __future__ import annotations

import csv

import pyarrow as pa
import pytest

from varkg.errors import StoreUnavailable
from varkg.schema import load_schema
from varkg.store import open_store
from varkg.store.neo4j import write_bulk_import


def test_unreachable_neo4j(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "x")
    with pytest.raises(StoreUnavailable, match="cannot reach Neo4j at bolt://127.0.0.1:1"):
        open_store("bolt://127.0.0.1:1")


def test_missing_password(monkeypatch):
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    with pytest.raises(StoreUnavailable, match="NEO4J_PASSWORD is not set"):
        open_store("neo4j://127.0.0.1:7687")


def test_bulk_import_files(tmp_path):
    genes = pa.table({"id": ["g1", "g2"], "symbol": ["A", "B"], "datasets": [["d1"], ["d1", "d2"]]})
    edges = pa.table({"src": ["g1"], "dst": ["g2"], "type": ["ppi"], "source": ["STRING"], "score": [0.7]})
    cmd = write_bulk_import(load_schema(), [("Gene", genes, None, None), ("INTERACTS", edges, "Gene", "Gene")], tmp_path)
    assert cmd.startswith("neo4j-admin database import full")
    assert "--nodes=Gene=" in cmd and "--relationships=INTERACTS=" in cmd
    header = next(csv.reader(open(tmp_path / "nodes_000_Gene_header.csv")))
    assert header == ["id:ID(Gene)", "symbol:string", "datasets:string[]"]
    rows = list(csv.reader(open(tmp_path / "nodes_000_Gene.csv")))
    assert rows[1] == ["g2", "B", "d1;d2"]
    rheader = next(csv.reader(open(tmp_path / "rels_001_INTERACTS_Gene_Gene_header.csv")))
    assert rheader[:2] == [":START_ID(Gene)", ":END_ID(Gene)"]
