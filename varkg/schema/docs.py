"""``docs/schema.md``: a readable reference for biologists writing Cypher, generated from the schema."""

from __future__ import annotations

from varkg.schema.ddl import neo4j_ddl
from varkg.schema.model import Schema, load_schema
from varkg.schema.types import ladybug_type


def schema_markdown(schema: Schema | None = None) -> str:
    """Render the schema as Markdown (node types, edge types, properties, indexes)."""
    schema = schema or load_schema()
    lines = [
        "# varkg graph schema",
        "",
        f"Schema version **{schema.version}**, content hash `{schema.hash[:16]}`.",
        "Generated from `varkg/schema/graph.yaml` by `varkg schema ddl --dialect docs`; do not edit by hand.",
        "",
        "Coordinates: `start`/`stop` are 0-based half-open (BED start/end; `end` is reserved in Ladybug Cypher); `pos` is "
        "1-based (VCF).",
        "Every node and relationship has `datasets`: the ids of the Dataset nodes that asserted it.",
        "",
        "## Node types",
        "",
    ]
    for node in schema.nodes.values():
        lines += [f"### `{node.name}`", "", node.description, "", f"Key: `{node.key}`. Caption: `{node.caption}`.", ""]
        lines += ["| property | type | unit | description |", "|---|---|---|---|"]
        for p in node.properties.values():
            flag = " (required)" if p.required else ""
            flag += " (indexed)" if p.index else ""
            lines.append(f"| `{p.name}` | {ladybug_type(p)}{flag} | {p.unit or ''} | {p.description} |")
        lines.append("")
    lines += ["## Relationship types", ""]
    for edge in schema.edges.values():
        pairs = ", ".join(f"`(:{s})-[:{edge.name}]->(:{d})`" for s, d in edge.endpoints)
        ident = ", ".join(f"`{k}`" for k in edge.key) or "none beyond the endpoints"
        lines += [f"### `{edge.name}`", "", edge.description, "", f"Patterns: {pairs}.", f"Identity key: {ident}.", ""]
        lines += ["| property | type | unit | description |", "|---|---|---|---|"]
        for p in edge.properties.values():
            flag = " (required)" if p.required else ""
            lines.append(f"| `{p.name}` | {ladybug_type(p)}{flag} | {p.unit or ''} | {p.description} |")
        lines.append("")
    lines += [
        "## Example",
        "",
        "```cypher",
        "MATCH (v:Variant)-[a:AFFECTS]->(g:Gene {symbol: $symbol})",
        "WHERE a.impact IN ['HIGH', 'MODERATE']",
        "RETURN v.id, a.consequence, v.effect_probability ORDER BY v.effect_probability DESC LIMIT 20",
        "```",
        "",
        "## Neo4j constraints and indexes",
        "",
        "```cypher",
        *[s + ";" for s in neo4j_ddl(schema)],
        "```",
        "",
    ]
    return "\n".join(lines)
