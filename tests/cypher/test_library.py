"""Every library query runs on a small real graph with a checked result, and lints clean for Neo4j."""

from __future__ import annotations

import gzip
from collections import Counter, defaultdict

import pyarrow as pa
import pytest

from varkg.cypher import library
from varkg.errors import VarkgError


def edges(store, rel, src, dst):
    return store.export_edges(rel, src_type=src, dst_type=dst).to_pylist()


def rows(store, name, **params):
    return library.run(store, name, params).to_pylist()


def test_library_has_15_documented_queries():
    qs = library.all_queries()
    assert len(qs) >= 15
    for q in qs:
        assert q.description and q.example.startswith(f"varkg query {q.name}"), q.name
        for p in q.parameters:
            assert f"${p.name}" in q.cypher, (q.name, p.name)


def test_bind_checks_types_and_defaults():
    q = library.get("variants_in_gene_regulatory_elements")
    assert q.bind({"gene": "PAK5"}) == {"gene": "PAK5", "min_abs_delta": 0.0, "limit": 50}
    assert q.bind({"gene": "PAK5", "limit": "7", "min_abs_delta": "1.5"})["limit"] == 7
    with pytest.raises(VarkgError, match="'gene'"):
        q.bind({})
    with pytest.raises(VarkgError, match="'limit'"):
        q.bind({"gene": "PAK5", "limit": "many"})
    with pytest.raises(VarkgError, match="'colour'"):
        q.bind({"gene": "PAK5", "colour": "red"})
    with pytest.raises(VarkgError, match="unknown library query"):
        library.get("nope")


def _gtf_gene(shared_data, symbol):
    with gzip.open(shared_data / "annotation" / "gencode_v43_sample_chr20.gtf.gz", "rt") as fh:
        for line in fh:
            f = line.split("\t")
            if len(f) > 8 and f[2] == "gene" and f'gene_name "{symbol}"' in f[8]:
                return f[0].removeprefix("chr"), int(f[3]) - 1, int(f[4])
    raise AssertionError(symbol)


def test_gene_queries(demo_store, shared_data):
    s = demo_store
    chrom, start, stop = _gtf_gene(shared_data, "PAK5")
    (g,) = rows(s, "gene_summary", gene="PAK5")
    assert (g["chrom"], g["start"], g["stop"]) == (chrom, start, stop)
    aff = [e for e in edges(s, "AFFECTS", "Variant", "Gene") if e["dst"] == g["gene_id"]]
    assert g["n_variants"] == len({e["src"] for e in aff}) > 0
    reg = [e for e in edges(s, "REGULATES", "RegulatoryElement", "Gene") if e["dst"] == g["gene_id"]]
    assert g["n_elements"] == len({e["src"] for e in reg}) > 0
    # same gene by Ensembl id
    assert rows(s, "gene_summary", gene=g["gene_id"])[0]["symbol"] == "PAK5"

    got = rows(s, "variants_affecting_gene", gene="PAK5", limit=1000)
    assert sorted(r["variant_id"] for r in got) == sorted(e["src"] for e in aff)
    sev = [r["severity"] for r in got]
    assert sev == sorted(sev)
    els = rows(s, "regulatory_elements_of_gene", gene="PAK5", limit=1000)
    assert {(r["element_id"], r["evidence"]) for r in els} == {(e["src"], e["evidence"]) for e in reg}

    # variants in the gene's elements = IN_ELEMENT joined with REGULATES in Python
    ie = edges(s, "IN_ELEMENT", "Variant", "RegulatoryElement")
    reg_els = {e["src"] for e in reg}
    want = {e["src"] for e in ie if e["dst"] in reg_els}
    got = rows(s, "variants_in_gene_regulatory_elements", gene="PAK5", limit=1000)
    assert {r["variant_id"] for r in got} == want and want


def test_variant_queries(demo_store):
    s = demo_store
    ie = edges(s, "IN_ELEMENT", "Variant", "RegulatoryElement")
    vid = ie[0]["src"]
    out = Counter()
    for rel, src, dst in (("AFFECTS", "Variant", "Gene"), ("IN_ELEMENT", "Variant", "RegulatoryElement")):
        out[rel] = sum(1 for e in edges(s, rel, src, dst) if e["src"] == vid)
    rep = rows(s, "variant_report", variant=vid)
    assert Counter(r["relation"] for r in rep) == +out
    rs = rep[0]["rsid"]
    assert rs and rows(s, "variant_report", variant=rs)[0]["variant_id"] == vid

    tfs = rows(s, "tfs_disrupted_by_variant", variant=vid)
    assert {r["element_id"] for r in tfs} == {e["dst"] for e in ie if e["src"] == vid}

    pos = int(vid.split(":")[2])
    lo, hi = pos - 1 - 5000, pos - 1 + 5000
    reg = rows(s, "variants_in_region", chrom="20", start=lo, stop=hi, limit=10000)
    allv = s.query("MATCH (v:Variant) RETURN v.id AS id, v.pos AS pos").to_pylist()
    assert sorted(r["variant_id"] for r in reg) == sorted(v["id"] for v in allv if lo <= v["pos"] - 1 < hi)

    genes = s.query("MATCH (g:Gene) RETURN g.id AS id, g.tss AS tss").to_pylist()
    loc = rows(s, "locus_genes_3d_vs_linear", variant=vid, window=200_000, limit=1000)
    assert sorted(r["gene_id"] for r in loc) == sorted(g["id"] for g in genes if abs(g["tss"] - (pos - 1)) <= 200_000)
    assert [r["linear_distance"] for r in loc] == sorted(r["linear_distance"] for r in loc)


def test_tad_and_predictions(demo_store):
    s = demo_store
    # a TAD over the first 250 kb of the window: IN_REGION computed here by interval overlap
    tad = {"id": "GRCh38:20:9540000-9790000", "chrom": "20", "start": 9_540_000, "stop": 9_790_000}
    s.upsert_nodes("ChromatinRegion", pa.table({k: [v] for k, v in tad.items()} | {"kind": ["TAD"], "resolution": [10_000]}))
    genes = s.query("MATCH (g:Gene) RETURN g.id AS id, g.start AS start, g.stop AS stop").to_pylist()
    ing = [g["id"] for g in genes if g["start"] < tad["stop"] and g["stop"] > tad["start"]]
    var = s.query("MATCH (v:Variant) RETURN v.id AS id, v.pos AS pos").to_pylist()
    inv = [v["id"] for v in var if tad["start"] <= v["pos"] - 1 < tad["stop"]]
    assert ing and inv
    ov = [min(g["stop"], tad["stop"]) - max(g["start"], tad["start"]) for g in genes if g["id"] in ing]
    s.upsert_edges(
        "IN_REGION",
        pa.table({"src": ing, "dst": [tad["id"]] * len(ing), "overlap": ov}),
        src_type="Gene",
        dst_type="ChromatinRegion",
    )
    s.upsert_edges(
        "IN_REGION",
        pa.table({"src": inv, "dst": [tad["id"]] * len(inv), "overlap": [1] * len(inv)}),
        src_type="Variant",
        dst_type="ChromatinRegion",
    )
    got = rows(s, "genes_in_tad_of_variant", variant=inv[0])
    assert sorted(r["gene_id"] for r in got) == sorted(ing)

    # predictions: a score per variant written as effect_probability; the query must rank them
    probs = {v["id"]: (v["pos"] % 997) / 997 for v in var}
    s.upsert_nodes("Variant", pa.table({"id": list(probs), "effect_probability": list(probs.values())}))
    (g,) = s.query("MATCH (g:Gene {symbol: 'PAK5'}) RETURN g.tss AS tss").to_pylist()
    near = sorted((p for v, p in probs.items() if abs(int(v.split(":")[2]) - 1 - g["tss"]) <= 50_000), reverse=True)
    got = rows(s, "top_effect_variants_near_gene", gene="PAK5", window=50_000, limit=10)
    assert [r["effect_probability"] for r in got] == pytest.approx(near[:10])


def test_causal_phenotype_pathway_queries(demo_store):
    s = demo_store
    hpo = edges(s, "ASSOCIATED_WITH", "Gene", "Phenotype")
    assert hpo
    by_ph = defaultdict(set)
    for e in hpo:
        by_ph[e["dst"]].add(e["src"])
    ph, gset = next(iter(sorted(by_ph.items())))
    assert {r["gene_id"] for r in rows(s, "genes_for_phenotype", phenotype=ph)} == gset
    gene = sorted(gset)[0]
    assert ph in {r["phenotype_id"] for r in rows(s, "phenotypes_of_gene", gene=gene)}

    # causal write-back: variant->gene (coloc) and gene->phenotype (MR)
    v = edges(s, "AFFECTS", "Variant", "Gene")
    vg = [e for e in v if e["dst"] == gene] or [v[0]]
    gene = vg[0]["dst"]
    s.upsert_nodes("CausalRun", pa.table({"id": ["test-run"], "method": ["coloc_abf"]}))
    s.upsert_edges(
        "CAUSAL_FOR",
        pa.table({"src": [vg[0]["src"]], "dst": [gene], "method": ["coloc_abf"], "run_id": ["test-run"], "pp_h4": [0.93]}),
        src_type="Variant",
        dst_type="Gene",
    )
    s.upsert_edges(
        "CAUSAL_FOR",
        pa.table(
            {"src": [gene], "dst": [ph], "method": ["mr_ivw"], "run_id": ["test-run"], "estimate": [0.4], "pvalue": [0.001]}
        ),
        src_type="Gene",
        dst_type="Phenotype",
    )
    got = rows(s, "causal_paths_to_phenotype", phenotype=ph)
    assert [(r["variant_id"], r["variant_gene_pp_h4"], r["gene_phenotype_estimate"]) for r in got] == [(vg[0]["src"], 0.93, 0.4)]
    assert rows(s, "causal_paths_to_phenotype", phenotype=ph, max_pvalue=1e-4) == []
    assert "test-run" in {r["run_id"] for r in rows(s, "model_runs")}

    memb = edges(s, "IN_PATHWAY", "Gene", "Pathway")
    assert memb
    pw = memb[0]["dst"]
    assert {r["gene_id"] for r in rows(s, "pathway_members", pathway=pw)} == {e["src"] for e in memb if e["dst"] == pw}
    g0 = memb[0]["src"]
    mine = {e["dst"] for e in memb if e["src"] == g0}
    want = Counter(e["src"] for e in memb if e["dst"] in mine and e["src"] != g0)
    got = rows(s, "genes_sharing_pathways", gene=g0)
    assert {r["gene_id"]: r["shared"] for r in got} == dict(want)

    ds = rows(s, "datasets")
    assert len(ds) == s.query("MATCH (d:Dataset) RETURN count(d) AS n")["n"][0].as_py() >= 5
    assert {r["loader"] for r in rows(s, "datasets", loader="vcf")} == {"vcf"}


@pytest.mark.parametrize(
    ("name", "params", "rel", "src", "dst"),
    [
        ("eqtls_of_gene", {"gene": "PAK5", "max_pvalue": 1.0}, "EQTL_OF", "Variant", "Gene"),
        ("interaction_partners", {"gene": "PAK5", "min_score": 0.0}, "INTERACTS", "Gene", "Gene"),
        (
            "gwas_hits_for_phenotype",
            {"phenotype": "", "max_pvalue": 1.0, "limit": 100000},
            "ASSOCIATED_WITH",
            "Variant",
            "Phenotype",
        ),
        ("tf_target_genes", {"tf": "CTCF"}, "BINDS", "TranscriptionFactor", "RegulatoryElement"),
    ],
)
def test_queries_on_sparse_relations(demo_store, name, params, rel, src, dst):
    """Relations the quick graph lacks (no loader yet): the query returns what the graph holds."""
    n = edges(demo_store, rel, src, dst)
    got = rows(demo_store, name, **params)
    if name == "gwas_hits_for_phenotype":
        assert len(got) == len(n)
    elif not n:
        assert got == []
    cols = library.run(demo_store, name, library.get(name).bind(params)).column_names
    assert cols


def test_credible_set(demo_store):
    s = demo_store
    var = s.query("MATCH (v:Variant) RETURN v.id AS id ORDER BY v.id LIMIT 5")["id"].to_pylist()
    pips = [0.9, 0.5, 0.3, 0.05, 0.02]
    s.upsert_nodes(
        "Variant", pa.table({"id": var, "pip": pips, "finemap_trait": ["test-trait"] * 5, "credible_set": ["cs1"] * 5})
    )
    got = rows(s, "credible_set_variants", trait="test-trait", min_pip=0.1)
    assert [r["pip"] for r in got] == [0.9, 0.5, 0.3]


def test_every_query_lints_clean_for_neo4j():
    from varkg.store.neo4j_lint import lint, linter_available

    if not linter_available():
        pytest.skip("Neo4j Cypher linter not installed (make lint-tools)")
    qs = library.all_queries()
    params: dict = {}
    for q in qs:
        params.update(q.neo4j_param_types())
    diags = lint([q.cypher_for("neo4j") for q in qs], parameters=params)
    assert [(qs[d.query].name, d.severity, d.message) for d in diags] == []
