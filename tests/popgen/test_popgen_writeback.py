"""LDBlock / IN_BLOCK / LD_WITH write-back with a Dataset node; a re-run replaces, never duplicates."""

from __future__ import annotations

import pyarrow as pa

from varkg.popgen.blocks import gabriel_blocks
from varkg.popgen.ld import LdWindow, ld_pairs
from varkg.popgen.writeback import write_blocks, write_ld_edges


def _variants(store, g):
    v = g.variants
    store.upsert_nodes(
        "Variant",
        pa.table(
            {
                "id": v["id"].tolist(),
                "assembly": [g.assembly] * len(v),
                "chrom": v["chrom"].tolist(),
                "pos": pa.array(v["pos"].tolist(), pa.int64()),
                "ref": v["ref"].tolist(),
                "alt": v["alt"].tolist(),
            }
        ),
        dataset="vcf",
    )


def test_blocks_and_ld_into_ladybug(ladybug_store, kgp):
    g = kgp.slice_variants(0, 800).select_samples(population="GBR")
    _variants(ladybug_store, g.slice_variants(0, 700))  # the last 100 are not in the graph
    blocks = gabriel_blocks(g)
    rep = write_blocks(ladybug_store, g, blocks)
    n_members = sum(b.n_variants for b in blocks)
    assert rep.nodes == len(blocks) and rep.edges + rep.skipped_edges == n_members and rep.skipped_edges > 0
    counts = ladybug_store.counts()
    assert counts["LDBlock"] == len(blocks) and counts["Variant-IN_BLOCK->LDBlock"] == rep.edges
    row = ladybug_store.query(
        "MATCH (b:LDBlock) RETURN b.id AS id, b.population AS p, b.n_variants AS n, b.datasets AS d ORDER BY b.start LIMIT 1"
    ).to_pylist()[0]
    assert row["id"].startswith("GRCh37:20:") and row["id"].endswith("@GBR") and row["p"] == "GBR"
    assert rep.dataset_id in row["d"]
    ds = ladybug_store.query("MATCH (d:Dataset) WHERE d.id = $id RETURN d.loader AS l", {"id": rep.dataset_id}).to_pylist()
    assert ds == [{"l": "popgen.blocks"}]
    again = write_blocks(ladybug_store, g, blocks)
    assert again.dataset_id == rep.dataset_id
    assert ladybug_store.counts()["Variant-IN_BLOCK->LDBlock"] == rep.edges  # replaced, not duplicated

    pairs = ld_pairs(g.slice_variants(0, 700), window=LdWindow(kb=50, r2_min=0.8), dprime=True, ci=True)
    ld = write_ld_edges(ladybug_store, g.slice_variants(0, 700), pairs, r2_min=0.8, window_kb=50)
    assert ld.edges == len(pairs) > 0
    write_ld_edges(ladybug_store, g.slice_variants(0, 700), pairs, r2_min=0.8, window_kb=50)
    assert ladybug_store.counts()["Variant-LD_WITH->Variant"] == len(pairs)
    e = ladybug_store.query(
        "MATCH (a:Variant)-[r:LD_WITH]->(b:Variant) RETURN r.r2 AS r2, r.dprime_low AS lo, r.population AS p LIMIT 1"
    ).to_pylist()[0]
    assert e["r2"] >= 0.8 and e["p"] == "GBR"


def test_pig_blocks_meet_the_markers_loaders_variants(ladybug_store, shared_data):
    """MSUPRP markers carry no alleles: the blocks' members are the Variants the markers loader wrote."""
    from varkg.loaders.run import load
    from varkg.popgen.genotypes import read_msuprp

    pig = shared_data / "pig"
    g = read_msuprp(pig / "pig_MSUPRP_geno.tsv.gz", pig / "pig_MSUPRP_map.tsv", assembly="Sscrofa11.1")
    start, stop = next((a, b) for c, a, b in g.chromosomes() if c == "18")
    g = g.slice_variants(start, stop)
    load(ladybug_store, "markers", [pig / "pig_MSUPRP_map.tsv"], assembly="Sscrofa11.1", options={"chrom": "18"}, progress=False)
    blocks = gabriel_blocks(g)
    rep = write_blocks(ladybug_store, g, blocks)
    assert blocks and rep.skipped_edges == 0 and rep.edges == sum(b.n_variants for b in blocks)
    members = (
        ladybug_store.query("MATCH (v:Variant)-[:IN_BLOCK]->(b:LDBlock) RETURN v.rsid AS m ORDER BY v.pos LIMIT 3")
        .column("m")
        .to_pylist()
    )
    assert members == [m for b in blocks for m in b.ids][:3]


def _signals(store, statistic):
    return store.query(
        "MATCH (v:Variant)-[s:SELECTION_SIGNAL]->(p:Population) WHERE s.statistic = $s "
        "RETURN v.id AS id, p.id AS pop, s.versus AS versus, s.value AS value, s.std_value AS std, "
        "s.frequency AS f, s.frequency_versus AS fv, s.run_id AS run ORDER BY v.pos",
        {"s": statistic},
    ).to_pandas()


def test_fst_written_back_per_variant(ladybug_store, kgp):
    """FIN vs IBS Hudson Fst on 1,500 real chr20 variants: one edge per variant with a defined Fst,
    values and frequencies as computed; the monomorphic ones and the variants not in the graph are
    not written; a re-run replaces (same Dataset, same edge count)."""
    import numpy as np

    from varkg.popgen.fst import fst
    from varkg.popgen.writeback import write_fst

    g = kgp.slice_variants(0, 1500).select_samples(population=["FIN", "IBS"])
    _variants(ladybug_store, g.slice_variants(0, 1200))  # the last 300 are not in the graph
    r = fst(g, pop1="FIN", pop2="IBS", method="hudson")
    rep = write_fst(ladybug_store, g, r)
    defined = r.per_variant[np.isfinite(r.per_variant["fst"])]
    assert 0 < r.n_uninformative and rep.edges + rep.skipped_edges == len(defined)
    assert rep.skipped_edges == int(defined.index.isin(range(1200, 1500)).sum()) > 0
    got = _signals(ladybug_store, "fst_hudson")
    want = defined[defined.index < 1200]
    assert got["id"].tolist() == want["id"].tolist()
    assert set(got["pop"]) == {"FIN"} and set(got["versus"]) == {"IBS"} and got["std"].isna().all()
    assert np.allclose(got["value"], want["fst"], rtol=0, atol=1e-12)
    assert np.allclose(got["f"], want["freq_FIN"]) and np.allclose(got["fv"], want["freq_IBS"])
    pops = ladybug_store.query("MATCH (p:Population) RETURN p.id AS id, p.n_samples AS n ORDER BY p.id").to_pylist()
    assert pops == [{"id": "FIN", "n": 99}, {"id": "IBS", "n": 107}]
    ds = ladybug_store.query("MATCH (d:Dataset) WHERE d.id = $id RETURN d.loader AS l, d.parameters AS p", {"id": rep.dataset_id})
    row = ds.to_pylist()[0]
    assert row["l"] == "popgen.fst" and f"{r.value:.6f}"[:7] in row["p"]
    again = write_fst(ladybug_store, g, r)
    assert again.dataset_id == rep.dataset_id and len(_signals(ladybug_store, "fst_hudson")) == len(got)
    wc = write_fst(ladybug_store, g, fst(g, pop1="FIN", pop2="IBS", method="wc"))
    assert wc.dataset_id != rep.dataset_id and len(_signals(ladybug_store, "fst_wc")) == wc.edges
    assert len(_signals(ladybug_store, "fst_hudson")) == len(got)  # another statistic is another edge


def test_scans_written_back(ladybug_store, kgp):
    """iHS of FIN and XP-EHH FIN vs IBS on real phased chr20 haplotypes: raw and standardised scores
    as computed, only scored variants, the versus population only for XP-EHH."""
    import numpy as np

    from varkg.popgen.selection import scan
    from varkg.popgen.writeback import write_scan

    g = kgp.slice_variants(0, 2000).select_samples(population=["FIN", "IBS"])
    _variants(ladybug_store, g)
    ihs = scan(g.select_samples(population="FIN"), stat="ihs", population="FIN")
    rep = write_scan(ladybug_store, g.select_samples(population="FIN"), ihs, population="FIN")
    scored = ihs.table[np.isfinite(ihs.table["score"])]
    assert rep.edges == len(scored) > 0 and rep.skipped_edges == 0
    got = _signals(ladybug_store, "ihs")
    assert got["id"].tolist() == scored["id"].tolist() and set(got["versus"]) == {""}
    assert np.allclose(got["value"], scored["score"]) and np.allclose(got["std"], scored["std_score"], equal_nan=True)
    assert np.allclose(got["f"], scored["alt_count"] / scored["n_haplotypes"]) and got["fv"].isna().all()
    xp = scan(g, stat="xpehh", pop1="FIN", pop2="IBS")
    rx = write_scan(ladybug_store, g, xp)
    x = _signals(ladybug_store, "xpehh")
    assert rx.edges == len(x) == int(np.isfinite(xp.table["score"]).sum()) > 0
    assert set(x["pop"]) == {"FIN"} and set(x["versus"]) == {"IBS"}
    assert len(_signals(ladybug_store, "ihs")) == len(got)
