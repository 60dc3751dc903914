"""The spine's CLI commands through Typer's CliRunner: output, exit codes, one-line errors."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from varkg.cli.main import app
from varkg.store import open_store

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "g.db"
    r = invoke("--store", str(path), "init")
    assert r.exit_code == 0, r.output
    s = open_store(path)
    s.upsert_nodes(
        "Gene", pa.table({"id": ["ENSG00000124181", "ENSG00000101349"], "symbol": ["PLCG1", "PAK5"], "chrom": ["20", "20"]})
    )
    s.close()
    return path


def test_help_has_examples():
    for cmd in (["--help"], ["query", "--help"], ["load", "--help"], ["schema", "ddl", "--help"], ["stats", "--help"]):
        r = invoke(*cmd)
        assert r.exit_code == 0
    assert "Example" in invoke("query", "--help").output


def test_query_formats(db):
    r = invoke(
        "--store", str(db), "query", "MATCH (g:Gene {symbol: $s}) RETURN g.id AS id", "--param", "s=PAK5", "--format", "json"
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output.strip()) == {"id": "ENSG00000101349"}
    r = invoke("--store", str(db), "query", "MATCH (g:Gene) RETURN g.symbol AS s ORDER BY s", "--format", "csv")
    assert r.output.split() == ['"s"', '"PAK5"', '"PLCG1"']


def test_query_is_read_only_unless_write(db):
    r = invoke("--store", str(db), "query", "MATCH (g:Gene) SET g.name = 'x' RETURN g.id")
    assert r.exit_code == 1 and "write clause" in r.output
    r = invoke(
        "--store",
        str(db),
        "query",
        "--write",
        "MATCH (g:Gene {symbol: 'PAK5'}) SET g.name = 'p21 activated kinase 5' RETURN g.name AS n",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.output and "p21" in r.output


def test_stats_json(db):
    r = invoke("--store", str(db), "stats", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.output)["counts"]["Gene"] == 2


def test_schema_commands():
    r = invoke("schema", "ddl", "--dialect", "neo4j")
    assert "CREATE CONSTRAINT variant_id_unique" in r.output
    r = invoke("schema", "ddl", "--dialect", "ladybug")
    assert "CREATE REL TABLE IF NOT EXISTS AFFECTS(FROM Variant TO Gene" in r.output
    r = invoke("schema", "show", "Variant")
    assert r.exit_code == 0 and "pos" in r.output
    r = invoke("schema", "show", "Varient")
    assert r.exit_code == 1 and "unknown node type 'Varient'" in r.output
    r = invoke("schema", "ddl", "--dialect", "oracle")
    assert r.exit_code == 2


def test_store_errors_are_one_line(tmp_path):
    r = invoke("--store", str(tmp_path), "stats")
    assert r.exit_code == 1 and "is a directory" in r.output
    f = tmp_path / "x.txt"
    f.write_text("not a db")
    r = invoke("--store", str(f), "init")
    assert r.exit_code == 1 and "cannot open Ladybug store" in r.output
    r = invoke("--store", str(tmp_path / "missing.db"), "stats")
    assert r.exit_code == 1 and "does not exist" in r.output


def test_unreachable_neo4j_cli(monkeypatch):
    monkeypatch.setenv("NEO4J_PASSWORD", "x")
    r = invoke("--store", "bolt://127.0.0.1:1", "stats")
    assert r.exit_code == 1 and "cannot reach Neo4j" in r.output


def test_unknown_loader_lists_choices(db):
    r = invoke("--store", str(db), "load", "no-such-loader", "x.txt")
    assert r.exit_code == 1 and "unknown loader 'no-such-loader'" in r.output


def test_variant_ids_are_not_turned_into_emoji(tmp_path):
    path = tmp_path / "g.db"
    invoke("--store", str(path), "init")
    s = open_store(path)
    s.upsert_nodes(
        "Variant",
        pa.table({"id": ["GRCh38:X:100:A:G"], "assembly": ["GRCh38"], "chrom": ["X"], "pos": [100], "ref": ["A"], "alt": ["G"]}),
    )
    s.close()
    r = invoke("--store", str(path), "query", "MATCH (v:Variant) RETURN v.id AS id")
    assert "GRCh38:X:100:A:G" in r.output


def test_load_in_commit_groups_gives_the_same_graph(tmp_path, shared_data):
    vcf = shared_data / "variants" / "hapmap_exome_chr22.vcf.gz"
    counts = []
    for args in ([], ["--atomic", "batch", "--commit-rows", "100"]):
        path = tmp_path / f"g{len(counts)}.db"
        r = invoke("--quiet", "--store", str(path), "load", "vcf", str(vcf), "--assembly", "GRCh37", *args)
        assert r.exit_code == 0, r.output
        r = invoke("--store", str(path), "query", "MATCH (v:Variant) RETURN count(v) AS n", "--format", "json")
        counts.append(json.loads(r.output.strip())["n"])
    assert counts[0] == counts[1] == 1072
