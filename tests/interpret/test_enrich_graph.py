"""Enrichment from the graph: sets read by Cypher, variants mapped to genes, top-N of a score,
write-back with lineage; the graph path agrees with the file path on the real KEGG GMT."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from varkg.interpret.enrichment import over_representation
from varkg.interpret.genesets import GeneIdMap, pathway_sets, read_gmt
from varkg.interpret.mapping import top_scored, variants_to_genes


@pytest.fixture
def kegg_graph(shared_data, tmp_path):
    """A Ladybug graph with 60 real KEGG sets (Gene ids from the real gene-info table), 400
    variants AFFECTing genes, the first 40 in hsa03010's genes with the highest effect_score."""
    from varkg.store import open_store

    gmt = shared_data / "networks" / "enrichr.KEGG_2016.gmt"
    info = shared_data / "annotation" / "orgHsEgDb_gene_info.tsv.gz"
    lib = read_gmt(gmt)
    keep = sorted(lib.sets)[:59] + ["hsa03010"]
    idmap = GeneIdMap.from_gene_info(info)
    sym2ens: dict[str, str] = {}
    for s, _e, ens in idmap.rows:
        if ens and s not in sym2ens:
            sym2ens[s] = ens
    members = [(g, sid) for sid in keep for g in sorted(lib.sets[sid]) if g in sym2ens]
    genes = sorted({g for g, _ in members})
    store = open_store(tmp_path / "g.db")
    store.init_schema()
    store.upsert_nodes("Gene", pa.table({"id": [sym2ens[g] for g in genes], "symbol": genes}))
    store.upsert_nodes("Pathway", pa.table({"id": keep, "name": [lib.names[k] for k in keep], "source": ["KEGG"] * len(keep)}))
    e = pd.DataFrame({"src": [sym2ens[g] for g, _ in members], "dst": [s for _, s in members]}).drop_duplicates()
    store.upsert_edges("IN_PATHWAY", pa.Table.from_pandas(e, preserve_index=False), src_type="Gene", dst_type="Pathway")
    rng = np.random.default_rng(3)
    ribo = sorted({g for g, s in members if s == "hsa03010"})
    targets = ribo[:40] + rng.choice(genes, 360, replace=False).tolist()
    vid = [f"GRCh38:2:{1000 + i}:A:G" for i in range(len(targets))]
    score = np.r_[np.linspace(10, 5, 40), rng.uniform(-3, 4, 360)]
    store.upsert_nodes(
        "Variant",
        pa.table(
            {
                "id": vid,
                "assembly": ["GRCh38"] * len(vid),
                "chrom": ["2"] * len(vid),
                "pos": [1000 + i for i in range(len(vid))],
                "ref": ["A"] * len(vid),
                "alt": ["G"] * len(vid),
                "effect_score": score,
            }
        ),
    )
    store.upsert_edges(
        "AFFECTS", pa.table({"src": vid, "dst": [sym2ens[g] for g in targets]}), src_type="Variant", dst_type="Gene"
    )
    yield store, lib, keep, sym2ens, vid, targets
    store.close()


def test_graph_sets_and_variant_mapping_match_the_file(kegg_graph):
    store, lib, keep, sym2ens, vid, targets = kegg_graph
    glib = pathway_sets(store, source="KEGG")
    assert set(glib.sets) == set(keep)
    for k in keep:
        assert glib.sets[k] == frozenset(sym2ens[g] for g in lib.sets[k] if g in sym2ens)
    top, bg = top_scored(store, label="Variant", score="effect_score", top=40)
    assert top == vid[:40] and len(bg) == 400
    m = variants_to_genes(store, top, via=["AFFECTS"])
    assert m.genes() == {sym2ens[g] for g in targets[:40]} and not m.unmapped
    assert "40 variants -> 40 genes (AFFECTS 40)" in m.describe()
    mb = variants_to_genes(store, bg, via=["AFFECTS"])
    ours = over_representation(m.genes(), background=mb.genes(), library=glib, min_size=1).set_index("set_id")
    # the same test on the file's symbols, translated by hand
    ens2sym = {v: k for k, v in sym2ens.items()}
    filelib = type(lib)("KEGG", {k: frozenset(g for g in lib.sets[k] if g in sym2ens) for k in keep}, "symbol")
    theirs = over_representation(
        {ens2sym[g] for g in m.genes()}, background={ens2sym[g] for g in mb.genes()}, library=filelib, min_size=1
    ).set_index("set_id")
    pd.testing.assert_series_equal(ours["pvalue"].sort_index(), theirs["pvalue"].sort_index())
    assert ours.index[0] == "hsa03010" and ours.loc["hsa03010", "fdr"] < 1e-10


def test_cli_enrich_top_score_writes_back_and_replaces(kegg_graph, tmp_path):
    from varkg.cli.main import app

    store, *_ = kegg_graph
    loc = str(store.location)
    store.close()
    out, png = tmp_path / "e.tsv", tmp_path / "e.png"
    args = [
        "--store",
        loc,
        "enrich",
        "--top",
        "40",
        "--score",
        "effect_score",
        "--graph-sets",
        "KEGG",
        "--via",
        "AFFECTS",
        "--min-size",
        "1",
        "--out",
        str(out),
        "--plot",
        str(png),
        "--write-back",
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert png.stat().st_size > 5000 and png.read_bytes()[:4] == b"\x89PNG"
    head = out.read_text().splitlines()[0]
    assert head.startswith(
        "# mapping: top 40 Variant nodes by effect_score among 400 scored; study: 40 variants -> 40 genes (AFFECTS 40)"
    )
    res = pd.read_csv(out, sep="\t", comment="#")
    assert res.loc[0, "set_id"] == "hsa03010"
    r2 = CliRunner().invoke(app, args)  # the same run again replaces, never duplicates
    assert r2.exit_code == 0, r2.output
    from varkg.store import open_store

    s = open_store(loc, read_only=True)
    try:
        runs = s.query("MATCH (r:PredictionRun) WHERE r.task = $t RETURN r.id AS id, r.parameters AS p", {"t": "enrichment"})
        assert runs.num_rows == 1 and "AFFECTS" in runs.column("p")[0].as_py()
        p = s.query(
            "MATCH (p:Pathway) WHERE p.id = $id RETURN p.enrichment_fdr AS q, p.enrichment_run_id AS r", {"id": "hsa03010"}
        )
        assert (
            p.column("q")[0].as_py() == pytest.approx(res.loc[0, "fdr"])
            and p.column("r")[0].as_py() == runs.column("id")[0].as_py()
        )
    finally:
        s.close()
