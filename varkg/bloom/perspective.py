"""Generate a Neo4j Bloom perspective (JSON) from the graph schema and the Cypher library.

One category per node label (caption property and colour from ``graph.yaml``; vector properties
hidden), every relationship type, and a search phrase per library query whose parameters are
all strings or numbers (Bloom asks for each ``$parameter``; string parameters on a gene, variant,
phenotype, TF or pathway get suggestions from that label's caption property).
"""

from __future__ import annotations

import hashlib
from typing import Any

from varkg.schema import Schema

_BLOOM_TYPE = {
    "string": "String",
    "int": "Integer",
    "float": "Float",
    "bool": "Boolean",
    "timestamp": "DateTime",
    "string_list": "String",
    "float_list": "Float",
    "int_list": "Integer",
    "vector": "Float",
}
_SUGGEST = {
    "gene": ("Gene", "symbol"),
    "variant": ("Variant", "rsid"),
    "phenotype": ("Phenotype", "name"),
    "tf": ("TranscriptionFactor", "symbol"),
    "pathway": ("Pathway", "name"),
}


def _id(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:12]


def _phrase(q: Any) -> str:
    """A search phrase like ``gene_summary $gene`` (Bloom matches on the leading words)."""
    words = q.name.replace("_", " ")
    return " ".join([words, *(f"${p.name}" for p in q.parameters if p.required)])


def search_phrases(schema: Schema) -> list[dict[str, Any]]:
    """Bloom search-phrase templates for the library queries (Neo4j dialect)."""
    from varkg.cypher.library import all_queries

    out = []
    for q in all_queries():
        text = q.cypher_for("neo4j")
        # Bloom has no defaults: inline the defaults of optional parameters
        for p in q.parameters:
            if not p.required:
                lit = repr(p.default) if p.type != "string" else "'" + str(p.default).replace("'", "\\'") + "'"
                text = text.replace(f"${p.name}", lit if p.type != "bool" else str(p.default).lower())
        params = []
        for p in q.parameters:
            if not p.required:
                continue
            entry: dict[str, Any] = {"name": f"${p.name}", "dataType": _BLOOM_TYPE[p.type]}
            if p.name in _SUGGEST and _SUGGEST[p.name][0] in schema.nodes:
                entry["suggestionLabel"], entry["suggestionProp"] = _SUGGEST[p.name]
            params.append(entry)
        out.append(
            {
                "id": _id("template", q.name),
                "name": q.name,
                "text": _phrase(q),
                "cypher": text,
                "description": q.description,
                "params": params,
                "isUpdateQuery": False,
                "hasCypherErrors": False,
            }
        )
    return out


def perspective(schema: Schema, *, name: str = "varkg") -> dict[str, Any]:
    """The Bloom perspective for ``schema`` as a JSON-ready dict (import in Bloom's perspective gallery)."""
    cats = []
    for i, (label, spec) in enumerate(sorted(schema.nodes.items()), 1):
        props = [
            {
                "name": p.name,
                "exclude": p.kind == "vector",
                "isCaption": p.name == spec.caption,
                "dataType": _BLOOM_TYPE.get(p.kind, "String"),
            }
            for p in spec.properties.values()
        ]
        cats.append(
            {
                "id": i,
                "name": label,
                "labels": [label],
                "color": spec.color or "#A5ABB6",
                "size": 1,
                "icon": "no-icon",
                "caption": [spec.caption or spec.key],
                "textSize": 1,
                "properties": props,
                "hideWhenStyled": False,
                "styleRules": [],
                "createdAt": "",
                "lastEditedAt": "",
            }
        )
    rels = [
        {
            "id": t,
            "name": t,
            "color": "#848484",
            "width": 1,
            "description": spec.description,
            "properties": [
                {"name": p.name, "exclude": False, "isCaption": False, "dataType": _BLOOM_TYPE.get(p.kind, "String")}
                for p in spec.properties.values()
            ],
        }
        for t, spec in sorted(schema.edges.items())
    ]
    return {
        "id": _id("perspective", name, schema.hash),
        "name": f"{name} {schema.version}",
        "version": "2.x",
        "schemaVersion": schema.version,
        "schemaHash": schema.hash,
        "categories": cats,
        "relationshipTypes": rels,
        "hiddenRelationshipTypes": [],
        "hideUncategorisedData": False,
        "templates": search_phrases(schema),
        "sceneActions": [],
        "parentPerspectiveId": None,
    }


def param_lines() -> list[str]:
    """Neo4j Browser ``:param`` lines with the defaults/examples of every library query parameter."""
    import json

    from varkg.cypher.library import all_queries

    seen: dict[str, Any] = {}
    for q in all_queries():
        for k, v in q.neo4j_param_types().items():
            seen.setdefault(k, v)
    return [f":param {k} => {json.dumps(v)};" for k, v in sorted(seen.items())]
