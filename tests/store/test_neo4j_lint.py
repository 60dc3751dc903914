"""Every Cypher statement Neo4jStore can issue, for the whole schema, passes Neo4j's own linter."""

from __future__ import annotations

import pytest

from varkg.schema import load_schema
from varkg.schema.ddl import neo4j_ddl
from varkg.store.neo4j_cypher import all_statements, upsert_nodes
from varkg.store.neo4j_lint import lint, linter_available

pytestmark = pytest.mark.skipif(not linter_available(), reason="node or tools/cypher-lint/node_modules missing: run `make test`")


def test_every_neo4j_statement_lints_clean():
    stmts = all_statements(load_schema())
    assert len(stmts) > 200
    params = {p: None for s in stmts for p in s.parameters}
    diags = lint([s.text for s in stmts], parameters=params)
    assert diags == [], "\n".join(f"{d.severity}: {d.message} in {stmts[d.query].text[:160]}" for d in diags[:10])


def test_ddl_lints_clean():
    assert lint(neo4j_ddl()) == []


def test_linter_catches_mistakes():
    diags = lint(["MATCH (g:Gen) RETURN g.symbl", "MATCH (g:Gene) RETURN $undefined"])
    msgs = " ".join(d.message for d in diags)
    assert "Gen" in msgs and "symbl" in msgs and "$undefined" in msgs


def test_statement_builder_refuses_unknown_properties():
    from varkg.errors import SchemaError

    with pytest.raises(SchemaError, match="no property 'colour'"):
        upsert_nodes(load_schema(), "Gene", ["id", "colour"])
