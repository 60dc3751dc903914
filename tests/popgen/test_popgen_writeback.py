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
