"""The schema is read into typed objects, validated, and every derived artefact agrees with it."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from varkg.errors import SchemaError, ValidationError
from varkg.schema import load_schema
from varkg.schema.ddl import ladybug_ddl, neo4j_ddl
from varkg.schema.docs import schema_markdown
from varkg.schema.model import SCHEMA_PATH, parse_schema
from varkg.schema.pyg import pyg_metadata
from varkg.schema.validate import validate_edges, validate_nodes

DESIGN_NODES = {
    "Gene",
    "Variant",
    "RegulatoryElement",
    "TranscriptionFactor",
    "Motif",
    "ChromatinRegion",
    "Pathway",
    "Phenotype",
    "Text",
    "Tissue",
    "CellType",
    "Dataset",
    "Release",
}
DESIGN_EDGES = {
    "INTERACTS",
    "REGULATES",
    "AFFECTS",
    "IN_ELEMENT",
    "BINDS",
    "HAS_MOTIF",
    "ENCODED_BY",
    "IN_PATHWAY",
    "PATHWAY_LINK",
    "ASSOCIATED_WITH",
    "EQTL_OF",
    "EXPRESSED_IN",
    "CONTACTS",
    "IN_REGION",
    "DESCRIBES",
    "LD_WITH",
    "CAUSAL_FOR",
}


def raw():
    return yaml.safe_load(SCHEMA_PATH.read_text())


def test_schema_covers_design():
    s = load_schema()
    assert DESIGN_NODES <= set(s.nodes)
    assert DESIGN_EDGES <= set(s.edges)
    assert ("Variant", "CAUSAL_FOR", "Phenotype") in s.edge_triples()
    assert s.node("Variant").properties["pos"].kind == "int"
    assert s.node("Text").properties["embedding"].dim == 384
    assert all("datasets" in n.properties for n in s.nodes.values())


def test_hash_is_stable_and_content_sensitive():
    a = parse_schema(raw())
    b = parse_schema(raw())
    assert a.hash == b.hash == load_schema().hash
    r = raw()
    r["nodes"]["Gene"]["properties"]["symbol"]["description"] = "changed"
    assert parse_schema(r).hash != a.hash


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda r: r["nodes"]["Gene"]["properties"]["start"].update(kind="integer"), "kind 'integer'"),
        (lambda r: r["nodes"]["Gene"]["properties"]["seq_embedding"].pop("dim"), "positive integer 'dim'"),
        (lambda r: r["edges"]["AFFECTS"].update(endpoints=[["Variant", "Gen"]]), "endpoint 'Gen' is not a node type"),
        (lambda r: r["nodes"]["Gene"].update(key="nope"), "key 'nope'"),
        (lambda r: r["edges"]["EQTL_OF"].update(key=["slope"]), "must be a required string"),
        (lambda r: r["nodes"]["Gene"].update(colour="red"), "unknown keys"),
        (lambda r: r["nodes"]["Gene"]["properties"].update(end={"kind": "int"}), "'end' is reserved"),
    ],
)
def test_invalid_schema_is_refused(mutate, expected):
    r = copy.deepcopy(raw())
    mutate(r)
    with pytest.raises(SchemaError, match=re.escape(expected)):
        parse_schema(r)


def test_unknown_type_lists_choices():
    with pytest.raises(SchemaError, match="expected one of: .*Gene"):
        load_schema().node("Gen")


def test_ladybug_ddl_matches_schema():
    s = load_schema()
    stmts = ladybug_ddl(s)
    assert len(stmts) == len(s.nodes) + len(s.edges)
    for node in s.nodes.values():
        (stmt,) = [x for x in stmts if x.startswith(f"CREATE NODE TABLE IF NOT EXISTS {node.name}(")]
        for p in node.properties:
            assert f" {p} " in stmt or f"({p} " in stmt
        assert stmt.endswith(f"PRIMARY KEY({node.key}))")
    for edge in s.edges.values():
        (stmt,) = [x for x in stmts if x.startswith(f"CREATE REL TABLE IF NOT EXISTS {edge.name}(")]
        for a, b in edge.endpoints:
            assert f"FROM {a} TO {b}" in stmt


def test_neo4j_ddl_matches_schema():
    s = load_schema()
    stmts = neo4j_ddl(s)
    for node in s.nodes.values():
        assert any(f"FOR (n:{node.name}) REQUIRE n.{node.key} IS UNIQUE" in x for x in stmts)
        for v in node.vectors:
            assert any(
                "VECTOR INDEX" in x and f"(n:{node.name}) ON n.{v.name}" in x and f"`vector.dimensions`: {v.dim}" in x
                for x in stmts
            )
    names = [x.split()[2] if not x.startswith("CREATE VECTOR") else x.split()[3] for x in stmts]
    assert len(names) == len(set(names)), "index/constraint names must be unique"


def test_pyg_metadata_matches_schema():
    nodes, edges = pyg_metadata()
    s = load_schema()
    assert set(nodes) == {n.name for n in s.nodes.values() if not n.provenance}
    assert set(edges) == {t for t in s.edge_triples() if t[0] in nodes and t[2] in nodes}
    assert all(isinstance(t, tuple) and len(t) == 3 for t in edges)


def test_docs_are_generated_from_schema():
    md = schema_markdown()
    docs = Path(__file__).resolve().parents[2] / "docs" / "schema.md"
    assert docs.read_text().strip() == md.strip(), (
        "docs/schema.md is stale: run `varkg schema ddl --dialect docs > docs/schema.md`"
    )
    for name in load_schema().nodes:
        assert f"### `{name}`" in md


def test_validation_reports_every_failure_with_rows():
    t = pa.table({"id": ["a", None, "a"], "pos": ["1", "2", "3"], "chrom": ["1", "1", None], "colour": [1, 2, 3]})
    with pytest.raises(ValidationError) as exc:
        validate_nodes(t, "Variant")
    msg = str(exc.value)
    assert "Variant.colour.known" in msg
    assert "Variant.pos.type" in msg and "expected int64" in msg
    assert "Variant.id.not_null" in msg and "rows 1" in msg
    assert "Variant.chrom.not_null" in msg and "rows 2" in msg
    _, failures = validate_nodes(t, "Variant", mode="report")
    assert {f.check for f in failures} >= {"Variant.colour.known", "Variant.pos.type", "Variant.id.not_null"}


def test_validation_casts_and_checks_vectors_and_duplicates():
    t = pa.table({"id": ["g1", "g2"], "start": pa.array([1, 2], pa.int32()), "text_embedding": [[0.0] * 384, [1.0] * 384]})
    out, failures = validate_nodes(t, "Gene")
    assert not failures and out.schema.field("start").type == pa.int64()
    assert pa.types.is_fixed_size_list(out.schema.field("text_embedding").type)
    bad = pa.table({"id": ["g1"], "text_embedding": [[0.0] * 3]})
    with pytest.raises(ValidationError, match="Gene.text_embedding.dim"):
        validate_nodes(bad, "Gene")
    dup = pa.table({"id": ["g1", "g1"]})
    with pytest.raises(ValidationError, match="Gene.id.unique"):
        validate_nodes(dup, "Gene")


def test_edge_validation():
    e = pa.table({"src": ["v"], "dst": [None], "tissue": ["liver"], "qtl_kind": ["eQTL"]})
    with pytest.raises(ValidationError) as exc:
        validate_edges(e, "EQTL_OF", src_type="Variant", dst_type="Gene")
    assert "EQTL_OF.dst.not_null" in str(exc.value) and "EQTL_OF.phenotype_id.present" in str(exc.value)
    with pytest.raises(SchemaError, match="does not connect Gene->Variant"):
        validate_edges(e, "EQTL_OF", src_type="Gene", dst_type="Variant")
