"""The server the launcher runs: HTTP discovery advertises the Bolt address it listens on, and
Neo4j Browser (from Maven Central) is served at /browser/."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.neo4j


def test_discovery_and_browser(neo4j_server):
    uri, server = neo4j_server
    if server is None or server.config.http is None:
        pytest.skip("an external server ($VARKG_NEO4J_URI): its HTTP side is not ours to check")
    base = f"http://{server.config.http}"
    with urllib.request.urlopen(base + "/", timeout=10) as r:
        disco = json.load(r)
    assert disco["neo4j_edition"] == "community" and disco["neo4j_version"].startswith("5.26")
    assert disco["bolt_direct"] == uri
    with urllib.request.urlopen(base + "/browser/", timeout=10) as r:
        assert r.status == 200 and "<title>Neo4j Browser</title>" in r.read().decode()


def _fingerprint(store) -> tuple:
    labels = store.query("CALL db.labels() YIELD label RETURN label ORDER BY label").column("label").to_pylist()
    return tuple(labels), tuple(sorted(store.counts().items()))


@pytest.mark.parametrize(
    "cypher",
    [
        "CALL db.createLabel('Pwned')",  # a write procedure: no write keyword for the text guard to see
        "CALL db.createProperty('pwned')",
        "CALL apoc.cypher.doIt('CREATE (:Pwned)', {}) YIELD value RETURN value",  # the write hides in a string
        "CALL apoc.cypher.doIt('MATCH (g:Gene) DETACH DELETE g', {}) YIELD value RETURN value",
        "CALL apoc.periodic.iterate('MATCH (g:Gene) RETURN g', 'SET g.symbol = 1', {}) YIELD batches RETURN batches",
    ],
)
def test_read_only_query_path_cannot_write_whatever_its_spelling(neo4j_store, cypher):
    """`store.query` (what `varkg query` without --write runs) is a READ transaction on the server, so a
    write fails even where the keyword guard cannot see it; the graph is unchanged."""
    import pyarrow as pa

    from varkg.errors import VarkgError

    neo4j_store.upsert_nodes(
        "Gene", pa.table({"id": ["ENSG00000000001"], "symbol": ["A"], "chrom": ["1"], "start": [1], "stop": [2]})
    )
    before = _fingerprint(neo4j_store)
    with pytest.raises(VarkgError, match="read access mode"):
        neo4j_store.query(cypher)
    assert _fingerprint(neo4j_store) == before
    assert neo4j_store.query("MATCH (g:Gene) RETURN g.symbol AS s").column("s").to_pylist() == ["A"]


def test_cli_library_query_uses_the_neo4j_dialect(neo4j_store):
    """`varkg --store bolt://... query NAME` sends the Neo4j text of a library query (it used to send the
    Ladybug one, and `variant_report` failed on Ladybug's label())."""
    import pyarrow as pa
    from typer.testing import CliRunner

    from varkg.cli.main import app

    neo4j_store.upsert_nodes(
        "Variant",
        pa.table(
            {
                "id": ["GRCh38:20:100:A:G"],
                "assembly": ["GRCh38"],
                "chrom": ["20"],
                "pos": [100],
                "ref": ["A"],
                "alt": ["G"],
                "rsid": ["rs1"],
            }
        ),
    )
    res = CliRunner().invoke(
        app, ["--store", neo4j_store.location, "query", "variant_report", "--param", "variant=rs1", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    assert "GRCh38:20:100:A:G" in res.output
