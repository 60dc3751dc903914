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
