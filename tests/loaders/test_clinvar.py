"""ClinVar VCF (hand-written fixture in ClinVar's format) and the variant-label loader on the real dev sample."""

from __future__ import annotations

from pathlib import Path

from varkg.loaders.clinvar import normalise_significance, review_stars
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders1"


def test_significance_and_stars():
    assert normalise_significance("Likely_benign") == "likely_benign"
    assert normalise_significance("Conflicting_interpretations_of_pathogenicity") == "conflicting"
    assert normalise_significance("drug_response") == "other"
    assert review_stars("practice_guideline") == 4 and review_stars("no_assertion_criteria_provided") == 0


def test_clinvar_vcf_into_store(ladybug_store):
    r = load(ladybug_store, "clinvar", [DATA / "clinvar_mini.vcf"], assembly="GRCh38", progress=False)
    assert r.results["Variant"]["inserted"] == 3
    v = ladybug_store.query(
        "MATCH (v:Variant) RETURN v.id AS id, v.clinical_significance AS s, v.review_stars AS st, v.rsid AS rs ORDER BY v.pos"
    ).to_pylist()
    assert v[0] == {"id": "GRCh38:1:1000:C:T", "s": "pathogenic", "st": 2, "rs": "rs1801133"}
    assert [x["s"] for x in v[1:]] == ["conflicting", "benign"] and v[2]["st"] == 3
    e = ladybug_store.query(
        "MATCH (v:Variant)-[a:ASSOCIATED_WITH]->(p:Phenotype) RETURN p.id AS p, p.name AS n, a.study AS study ORDER BY p.id"
    ).to_pylist()
    assert e == [
        {"p": "MONDO:0015356", "n": "Hereditary cancer", "study": "15932"},
        {"p": "OMIM:123456", "n": "Some syndrome", "study": "20001"},
    ]
