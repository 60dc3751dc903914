"""Every Cypher statement the Neo4j backend sends, built from the schema.

Labels, relationship types and property names come only from the schema (checked here);
values always travel as ``$parameters``. Keeping the builders pure lets the test suite lint
every statement for the whole schema with Neo4j's own linter, with no server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from varkg.errors import SchemaError, StoreError
from varkg.schema import Schema
from varkg.schema.model import PROVENANCE_PROPERTY


@dataclass(frozen=True)
class Statement:
    """A Cypher text and the names of the parameters it expects."""

    text: str
    parameters: tuple[str, ...]
    #: for lookups answered as one record ``rows`` (a list of per-row lists, far cheaper for the driver
    #: to receive than one record per row): the names of the per-row values, in order
    columns: tuple[str, ...] = ()


def _check_props(owner: str, allowed: Iterable[str], props: Sequence[str]) -> None:
    allowed = set(allowed)
    for p in props:
        if p not in allowed:
            raise SchemaError(f"{owner} has no property {p!r}; expected one of {sorted(allowed)}")


_PROV = (
    f"CASE WHEN $dataset IS NULL OR $dataset IN coalesce(x.{PROVENANCE_PROPERTY}, []) "
    f"THEN x.{PROVENANCE_PROPERTY} ELSE coalesce(x.{PROVENANCE_PROPERTY}, []) + $dataset END"
)


def upsert_nodes(schema: Schema, node_type: str, columns: Sequence[str]) -> Statement:
    """``UNWIND $rows AS row MERGE (x:Label {key: row.key}) SET x.p = row.p, ...`` plus provenance."""
    spec = schema.node(node_type)
    _check_props(node_type, spec.properties, columns)
    sets = [f"x.{c} = row.{c}" for c in columns if c not in (spec.key, PROVENANCE_PROPERTY)]
    if PROVENANCE_PROPERTY in columns:
        sets.append(f"x.{PROVENANCE_PROPERTY} = row.{PROVENANCE_PROPERTY}")
    else:
        sets.append(f"x.{PROVENANCE_PROPERTY} = {_PROV}")
    text = f"UNWIND $rows AS row MERGE (x:{node_type} {{{spec.key}: row.{spec.key}}}) SET {', '.join(sets)} RETURN count(x) AS n"
    return Statement(text, ("rows", "dataset"))


def _edge_sets(spec, columns: Sequence[str], skip: Sequence[str]) -> list[str]:
    sets = [f"x.{c} = row.{c}" for c in columns if c not in (*skip, PROVENANCE_PROPERTY)]
    if PROVENANCE_PROPERTY in columns:
        sets.append(f"x.{PROVENANCE_PROPERTY} = row.{PROVENANCE_PROPERTY}")
    else:
        sets.append(f"x.{PROVENANCE_PROPERTY} = {_PROV}")
    return sets


def create_edges(schema: Schema, edge_type: str, src_type: str, dst_type: str, columns: Sequence[str]) -> Statement:
    """``UNWIND $rows AS row MATCH (a) MATCH (b) CREATE (a)-[x:REL {key props}]->(b) SET ...`` for rows
    the caller has just checked are new, in the same transaction.

    Not ``MERGE``: on a graph whose statistics still say "no relationships of this type" the planner
    may answer MERGE's existence check with a relationship *index scan* per row, which is quadratic
    (25 M db hits for 5,000 rows, measured on 5.26). Identity is checked by :func:`existing_edges`."""
    spec = schema.check_endpoints(edge_type, src_type, dst_type)
    _check_props(edge_type, [*spec.properties, "src", "dst"], columns)
    sk, dk = schema.node(src_type).key, schema.node(dst_type).key
    keyprops = ", ".join(f"{k}: row.{k}" for k in spec.key)
    keymap = f" {{{keyprops}}}" if keyprops else ""
    sets = _edge_sets(spec, columns, ("src", "dst", *spec.key))
    text = (
        f"UNWIND $rows AS row MATCH (a:{src_type} {{{sk}: row.src}}) USING INDEX a:{src_type}({sk}) "
        f"MATCH (b:{dst_type} {{{dk}: row.dst}}) USING INDEX b:{dst_type}({dk}) CREATE (a)-[x:{edge_type}{keymap}]->(b) SET "
        f"{', '.join(sets)} RETURN count(x) AS n"
    )
    return Statement(text, ("rows", "dataset"))


def update_edges(schema: Schema, edge_type: str, columns: Sequence[str]) -> Statement:
    """Set properties on stored edges found by :func:`existing_edges` (``row.eid`` is their element id)."""
    spec = schema.edge(edge_type)
    _check_props(edge_type, [*spec.properties, "src", "dst", "eid"], columns)
    sets = _edge_sets(spec, columns, ("src", "dst", "eid", *spec.key))
    text = (
        f"UNWIND $rows AS row MATCH ()-[x:{edge_type}]->() WHERE elementId(x) = row.eid "
        f"SET {', '.join(sets)} RETURN count(x) AS n"
    )
    return Statement(text, ("rows", "dataset"))


# Key lookups carry ``USING INDEX`` hints: a plan made while the statistics still said "no nodes of
# this label" may otherwise scan the index once per row and stay cached after the label has 10^5
# nodes (measured: a 10^5-row re-upsert that never finished on 5.26).


def missing_nodes(schema: Schema, node_type: str) -> Statement:
    """Keys in ``$keys`` that are not nodes of ``node_type`` (dangling-endpoint check)."""
    key = schema.node(node_type).key
    return Statement(
        f"UNWIND $keys AS k OPTIONAL MATCH (n:{node_type} {{{key}: k}}) USING INDEX n:{node_type}({key}) "
        f"WITH k, n WHERE n IS NULL RETURN collect([k]) AS rows",
        ("keys",),
        ("k",),
    )


def existing_nodes(schema: Schema, node_type: str, columns: Sequence[str]) -> Statement:
    """Current values of ``columns`` for the nodes whose keys are in ``$keys`` (upsert accounting)."""
    spec = schema.node(node_type)
    _check_props(node_type, spec.properties, columns)
    cols = [c for c in columns if c != spec.key]
    vals = ", ".join([f"n.{spec.key}"] + [f"n.{c}" for c in cols])
    return Statement(
        f"UNWIND $keys AS k MATCH (n:{node_type} {{{spec.key}: k}}) USING INDEX n:{node_type}({spec.key}) RETURN "
        f"collect([{vals}]) AS rows",
        ("keys",),
        ("k", *cols),
    )


def existing_edges(schema: Schema, edge_type: str, src_type: str, dst_type: str, columns: Sequence[str]) -> Statement:
    """Current key and property values (and element ids) of the edges from each ``$groups`` source to its
    destinations (``{src: key, dst: [keys]}``): one expansion per source node, so a hub with many
    incoming rows is expanded once, not once per row."""
    spec = schema.check_endpoints(edge_type, src_type, dst_type)
    _check_props(edge_type, spec.properties, columns)
    sk, dk = schema.node(src_type).key, schema.node(dst_type).key
    vals = ", ".join(["g.src", f"b.{dk}", "elementId(r)"] + [f"r.{c}" for c in columns])
    # the expansion sits in a subquery that knows nothing of b's key, so the planner cannot answer it
    # by scanning b's index and joining (quadratic: measured on 5.26 after a restart, 60k rows)
    return Statement(
        f"UNWIND $groups AS g MATCH (a:{src_type} {{{sk}: g.src}}) USING INDEX a:{src_type}({sk}) "
        f"CALL (a) {{ MATCH (a)-[r:{edge_type}]->(b) RETURN r, b }} "
        f"WITH g, r, b WHERE b:{dst_type} AND b.{dk} IN g.dst RETURN collect([{vals}]) AS rows",
        ("groups",),
        ("src", "dst", "eid", *columns),
    )


def export_nodes(schema: Schema, node_type: str, properties: Sequence[str]) -> Statement:
    spec = schema.node(node_type)
    _check_props(node_type, spec.properties, properties)
    ret = ", ".join([f"n.{spec.key} AS {spec.key}"] + [f"n.{p} AS {p}" for p in properties if p != spec.key])
    return Statement(f"MATCH (n:{node_type}) RETURN {ret} ORDER BY n.{spec.key}", ())


def export_edges(schema: Schema, edge_type: str, src_type: str, dst_type: str, properties: Sequence[str]) -> Statement:
    spec = schema.check_endpoints(edge_type, src_type, dst_type)
    _check_props(edge_type, spec.properties, properties)
    sk, dk = schema.node(src_type).key, schema.node(dst_type).key
    ret = ", ".join([f"a.{sk} AS src", f"b.{dk} AS dst"] + [f"r.{p} AS {p}" for p in properties])
    return Statement(f"MATCH (a:{src_type})-[r:{edge_type}]->(b:{dst_type}) RETURN {ret}", ())


def vector_nearest(schema: Schema, node_type: str, prop: str) -> Statement:
    """Top ``$k`` nodes by cosine similarity to ``$v`` from the vector index the DDL creates.
    Neo4j's cosine score is (1 + cos) / 2; it is mapped back to the cosine itself."""
    from varkg.schema.ddl import vector_index_name

    spec = schema.node(node_type)
    _check_props(node_type, spec.properties, [prop])
    idx = vector_index_name(node_type, prop)
    return Statement(
        f"CALL db.index.vector.queryNodes('{idx}', $k, $v) YIELD node, score "
        f"RETURN node.{spec.key} AS k, 2 * score - 1 AS score ORDER BY score DESC, k",
        ("k", "v"),
    )


def count_nodes(node_type: str) -> Statement:
    return Statement(f"MATCH (n:{node_type}) RETURN count(n) AS n", ())


def count_edges(edge_type: str, src_type: str, dst_type: str) -> Statement:
    return Statement(f"MATCH (:{src_type})-[r:{edge_type}]->(:{dst_type}) RETURN count(r) AS n", ())


def _where(owner: str, allowed: Iterable[str], where: Sequence[str], var: str) -> str:
    if not where:
        raise StoreError("refusing an unconditional delete/unset: give at least one property in 'where'")
    _check_props(owner, allowed, where)
    return " AND ".join(f"{var}.{k} = ${k}" for k in where)


def delete_edges(schema: Schema, edge_type: str, src_type: str, dst_type: str, where: Sequence[str]) -> Statement:
    spec = schema.check_endpoints(edge_type, src_type, dst_type)
    cond = _where(edge_type, spec.properties, where, "r")
    return Statement(
        f"MATCH (:{src_type})-[r:{edge_type}]->(:{dst_type}) WHERE {cond} WITH r, 1 AS one DELETE r RETURN count(one) AS n",
        tuple(where),
    )


def unset_node_properties(schema: Schema, node_type: str, properties: Sequence[str], where: Sequence[str]) -> Statement:
    spec = schema.node(node_type)
    _check_props(node_type, spec.properties, properties)
    cond = _where(node_type, spec.properties, where, "n")
    sets = ", ".join(f"n.{p} = null" for p in properties)
    return Statement(f"MATCH (n:{node_type}) WHERE {cond} SET {sets} RETURN count(n) AS n", tuple(where))


def all_statements(schema: Schema) -> list[Statement]:
    """Every statement shape the backend can issue for ``schema`` (used by the linter test)."""
    from varkg.schema.ddl import neo4j_ddl

    out = [Statement(s, ()) for s in neo4j_ddl(schema)]
    for node in schema.nodes.values():
        cols = list(node.properties)
        out.append(upsert_nodes(schema, node.name, cols))
        out.append(upsert_nodes(schema, node.name, [c for c in cols if c != PROVENANCE_PROPERTY]))
        out.append(missing_nodes(schema, node.name))
        out.append(existing_nodes(schema, node.name, cols))
        out.append(export_nodes(schema, node.name, cols))
        out.append(count_nodes(node.name))
        out += [vector_nearest(schema, node.name, v.name) for v in node.vectors]
        settable = [p for p in cols if p != node.key]
        out.append(unset_node_properties(schema, node.name, settable[:3], [settable[-1]]))
    for edge in schema.edges.values():
        cols = ["src", "dst", *edge.properties]
        for s, d in edge.endpoints:
            out.append(create_edges(schema, edge.name, s, d, cols))
            out.append(create_edges(schema, edge.name, s, d, [c for c in cols if c != PROVENANCE_PROPERTY]))
            out.append(export_edges(schema, edge.name, s, d, list(edge.properties)))
            out.append(existing_edges(schema, edge.name, s, d, list(edge.properties)))
            out.append(count_edges(edge.name, s, d))
            out.append(delete_edges(schema, edge.name, s, d, list(edge.key) or [next(iter(edge.properties))]))
        out.append(update_edges(schema, edge.name, [*cols, "eid"]))
    out.append(Statement("MATCH (s:SchemaInfo) RETURN s.version AS version, s.hash AS hash, s.created_at AS created_at", ()))
    return out
