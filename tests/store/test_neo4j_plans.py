"""Every upsert-path statement is planned with index seeks on an empty graph (the worst case for the
planner's statistics): no label, index or relationship scans, which turn a batched upsert quadratic."""

from __future__ import annotations

import pytest

from varkg.store import neo4j_cypher as cy

pytestmark = pytest.mark.neo4j

_SCANS = (
    "AllNodesScan",
    "NodeByLabelScan",
    "NodeIndexScan",
    "RelationshipIndexScan",
    "RelationshipTypeScan",
    "UndirectedRelationshipIndexScan",
    "DirectedRelationshipIndexScan",
    "DirectedRelationshipTypeScan",
    "UndirectedRelationshipTypeScan",
)


def _operators(plan) -> list[str]:
    out = [plan["operatorType"].split("@")[0]]
    for c in plan.get("children", []):
        out += _operators(c)
    return out


def test_upsert_statements_seek_on_an_empty_graph(neo4j_store):
    schema = neo4j_store.schema
    statements = []
    for node in schema.nodes.values():
        cols = list(node.properties)
        statements += [
            cy.existing_nodes(schema, node.name, cols),
            cy.missing_nodes(schema, node.name),
            cy.upsert_nodes(schema, node.name, cols),
        ]
    for edge in schema.edges.values():
        cols = ["src", "dst", *edge.properties]
        for s, d in edge.endpoints:
            statements += [
                cy.create_edges(schema, edge.name, s, d, cols),
                cy.existing_edges(schema, edge.name, s, d, list(edge.properties)),
            ]
        statements.append(cy.update_edges(schema, edge.name, [*cols, "eid"]))
    bad = {}
    with neo4j_store._driver.session(database=neo4j_store.database) as session:
        for st in statements:
            plan = session.run("EXPLAIN " + st.text, {"rows": [], "keys": [], "groups": [], "dataset": None}).consume().plan
            ops = [o for o in _operators(plan) if o.split("(")[0] in _SCANS]
            if ops:
                bad[st.text] = ops
    assert not bad, bad
    assert len(statements) > 100
