"""Write-back to a real temporary Ladybug store: CAUSAL_FOR edges and fine-mapping, replace on re-run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from varkg.causal.mr import ivw, mr_egger
from varkg.causal.writeback import mr_edges, new_run, write_causal_edges, write_finemap
from varkg.errors import DanglingEdgeError

VARIANTS = ["GRCh37:20:1000:A:G", "GRCh37:20:2000:C:T", "GRCh37:20:3000:G:A"]


@pytest.fixture()
def store(tmp_path: Path, variant_nodes):  # type: ignore[no-untyped-def]
    from varkg.store import open_store

    s = open_store(tmp_path / "kg.db")
    s.init_schema()
    s.upsert_nodes("Variant", variant_nodes(VARIANTS))
    s.upsert_nodes("Gene", pa.table(dict(id=["ENSG00000101000", "ENSG00000101001"])))
    s.upsert_nodes("Phenotype", pa.table(dict(id=["EFO:0004611"])))
    yield s
    s.close()


def _causal(store):  # type: ignore[no-untyped-def]
    return store.query(
        "MATCH (a:Gene)-[r:CAUSAL_FOR]->(b:Phenotype) RETURN a.id AS src, b.id AS dst, r.method AS method, r.run_id AS run, "
        "r.estimate AS estimate, r.se AS se, r.n_instruments AS k, r.heterogeneity_q AS q, r.version AS version, "
        "r.parameters AS params, r.created_at AS t ORDER BY method"
    ).to_pandas()


def test_mr_edges_written_and_rerun_replaces(store) -> None:  # type: ignore[no-untyped-def]
    bx, by, sy = np.array([0.1, 0.2, 0.3, 0.25]), np.array([0.05, 0.09, 0.16, 0.1]), np.array([0.01, 0.02, 0.02, 0.015])
    res = [ivw(bx, by, sy), mr_egger(bx, by, sy)]
    run = new_run("mr", method_version="varkg-mr/1", parameters={"p_threshold": 5e-8}, scope="ENSG00000101000;EFO:0004611")
    n = write_causal_edges(
        store, run, mr_edges(res, src="ENSG00000101000", dst="EFO:0004611"), src_type="Gene", dst_type="Phenotype"
    )
    assert n == 2
    got = _causal(store)
    assert got["method"].tolist() == ["mr_egger", "mr_ivw"]
    assert got.set_index("method").loc["mr_ivw", "estimate"] == pytest.approx(res[0].estimate)
    assert (got["k"] == 4).all() and (got["run"] == run.id).all()
    assert '"p_threshold":5e-08' in got["params"].iat[0] and "varkg" in got["version"].iat[0]
    # the same run again, with new values and only one method: replaced, no duplicates, stale edge gone
    run2 = new_run("mr", method_version="varkg-mr/1", parameters={"p_threshold": 5e-8}, scope="ENSG00000101000;EFO:0004611")
    assert run2.id == run.id
    res2 = [ivw(bx, by * 2, sy)]
    write_causal_edges(
        store, run2, mr_edges(res2, src="ENSG00000101000", dst="EFO:0004611"), src_type="Gene", dst_type="Phenotype"
    )
    got2 = _causal(store)
    assert len(got2) == 1 and got2["method"].iat[0] == "mr_ivw"
    assert got2["estimate"].iat[0] == pytest.approx(res2[0].estimate)
    # a different run adds edges beside the first
    other = new_run("mr", method_version="varkg-mr/1", parameters={"p_threshold": 1e-5}, scope="ENSG00000101000;EFO:0004611")
    write_causal_edges(
        store, other, mr_edges(res2, src="ENSG00000101000", dst="EFO:0004611"), src_type="Gene", dst_type="Phenotype"
    )
    assert len(_causal(store)) == 2
    runs = store.query("MATCH (r:CausalRun) RETURN r.id AS id ORDER BY id").column("id").to_pylist()
    assert runs == sorted([run.id, other.id])


def test_dangling_endpoint_writes_nothing(store) -> None:  # type: ignore[no-untyped-def]
    run = new_run("smr", method_version="x", scope="bad")
    edges = mr_edges([ivw([0.1, 0.2], [0.05, 0.1], [0.01, 0.01])], src="ENSG_NOT_THERE", dst="EFO:0004611")
    with pytest.raises(DanglingEdgeError):
        write_causal_edges(store, run, edges, src_type="Gene", dst_type="Phenotype")
    assert len(_causal(store)) == 0


def test_variant_edges_and_finemap(store) -> None:  # type: ignore[no-untyped-def]
    run = new_run("coloc_abf", method_version="c", scope="v")
    import pandas as pd

    edges = pd.DataFrame(dict(src=VARIANTS[:2], dst=["ENSG00000101000"] * 2, pp_h4=[0.93, 0.2]))
    write_causal_edges(store, run, edges, src_type="Variant", dst_type="Gene")
    t = store.query(
        "MATCH (v:Variant)-[r:CAUSAL_FOR]->(g:Gene) RETURN v.id AS vid, r.pp_h4 AS pp, r.estimate AS e ORDER BY vid"
    ).to_pandas()
    assert t["pp"].tolist() == [0.93, 0.2] and t["e"].isna().all()

    fm = new_run("susie", method_version="s", scope="trait1")
    write_finemap(store, fm, variant_ids=VARIANTS, pip=[0.99, 0.5, 0.01], credible_set=["L1", "L2", None], trait="EFO:0004611")
    write_finemap(store, fm, variant_ids=VARIANTS[:2], pip=[0.98, 0.4], credible_set=["L1", None], trait="EFO:0004611")
    v = store.query(
        "MATCH (v:Variant) RETURN v.id AS id, v.pip AS pip, v.credible_set AS cs, v.finemap_run_id AS run ORDER BY id"
    ).to_pandas()
    assert v["pip"].tolist()[:2] == [0.98, 0.4]
    assert pd.isna(v["pip"].iat[2]) and pd.isna(v["run"].iat[2])  # the re-run cleared its old value
    assert v["cs"].iat[0] == f"{fm.id}:L1" and v["cs"].isna().iat[1]
    with pytest.raises(DanglingEdgeError, match="not Variant nodes"):
        write_finemap(store, fm, variant_ids=["GRCh37:20:9:A:C"], pip=[0.5], credible_set=[None], trait="t")
