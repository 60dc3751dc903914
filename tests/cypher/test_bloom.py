"""The Bloom perspective is generated from the schema and its search phrases lint clean for Neo4j."""

from __future__ import annotations

import json

import pytest

from varkg.bloom import perspective
from varkg.cypher import library
from varkg.schema import load_schema


def test_perspective_covers_schema():
    s = load_schema()
    p = perspective(s)
    json.dumps(p)
    assert {c["name"] for c in p["categories"]} == set(s.nodes)
    for c in p["categories"]:
        spec = s.nodes[c["name"]]
        assert c["color"] == spec.color
        caps = [x["name"] for x in c["properties"] if x["isCaption"]]
        assert caps == [spec.caption]
        assert all(x["exclude"] for x in c["properties"] if spec.properties[x["name"]].kind == "vector")
    assert {r["name"] for r in p["relationshipTypes"]} == set(s.edges)
    assert {t["name"] for t in p["templates"]} == {q.name for q in library.all_queries()}
    g = next(t for t in p["templates"] if t["name"] == "gene_summary")
    assert g["text"] == "gene summary $gene" and g["params"][0]["suggestionLabel"] == "Gene"


@pytest.mark.slow
def test_search_phrases_lint_clean():
    from varkg.store.neo4j_lint import lint, linter_available

    if not linter_available():
        pytest.skip("Neo4j Cypher linter not installed")
    ts = perspective(load_schema())["templates"]
    params = {}
    for q in library.all_queries():
        params.update(q.neo4j_param_types())
    diags = lint([t["cypher"] for t in ts], parameters=params)
    assert [(ts[d.query]["name"], d.message) for d in diags] == []
