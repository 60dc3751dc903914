"""Bad input, GS models, chip design and the GWAS write-back on the real MSUPRP pig data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from varkg.breeding.chip import design_panel
from varkg.breeding.data import prepare_markers, trait_data
from varkg.breeding.gs import bayes_cpi, cross_validate, gblup, gelman_rubin, geweke_z, rrblup_effects, summarise
from varkg.breeding.gwas import run_gwas, write_gwas, write_parquet
from varkg.breeding.lmm import grm
from varkg.errors import AnalysisError, InputError


def test_unknown_trait_lists_known(pig_geno, pig_pheno):
    with pytest.raises(InputError, match=r"unknown trait 'bf10'.*'ph_24h', 'temp_24h', 'driploss'"):
        trait_data(pig_geno, pig_pheno, trait="bf10")


def test_mismatched_ids_are_counted(pig_geno, pig_pheno):
    renamed = pig_pheno.rename(index=lambda s: f"X{s}")
    renamed.attrs["path"] = "pheno.tsv"
    with pytest.raises(InputError, match=r"pheno.tsv.*159 of 159 phenotyped animal\(s\) are not in the genotypes.*'X1034'"):
        trait_data(pig_geno, renamed, trait="ph_24h")
    part = pig_pheno.rename(index=lambda s: f"X{s}" if s in ("1034", "1036") else s)
    with pytest.raises(InputError, match=r"2 of 159"):
        trait_data(pig_geno, part, trait="ph_24h")
    td = trait_data(pig_geno.slice_variants(0, 200), part, trait="ph_24h", unmatched="drop")
    assert td.dropped_animals["not_genotyped"] == 2


def test_unknown_covariate(pig_geno, pig_pheno, pig_covar):
    with pytest.raises(InputError, match=r"unknown covariate\(s\) \['weight'\]"):
        trait_data(pig_geno, pig_pheno, trait="ph_24h", covariates=pig_covar, covariate_names=["weight"])


def test_monomorphic_dropped_and_missing_imputed():
    d = np.array([[0, 1, 2, 1], [0, 1, -1, 1], [0, 2, 0, 1], [0, 0, 2, 1]], dtype=np.int8)
    x, freq, qc = prepare_markers(d)
    assert qc.n_monomorphic == 2 and qc.n_imputed == 1 and list(qc.keep) == [1, 2]
    assert x[1, 1] == pytest.approx(4 / 3) and "2 monomorphic" in qc.summary()
    with pytest.raises(AnalysisError, match="no marker is left"):
        prepare_markers(d[:, [0, 3]])


def test_gblup_equals_rrblup_and_cv(ph24):
    idx = np.arange(ph24.n)
    train, test = idx[idx % 5 != 0], idx[idx % 5 == 0]
    gebv, adj, fit = gblup(grm(ph24.X, ph24.freq), ph24.y, ph24.W, train, test)
    a, _ = rrblup_effects(ph24, train)
    np.testing.assert_allclose((ph24.X[test] - 2 * ph24.freq) @ a, gebv, rtol=1e-6, atol=1e-9)
    cv = cross_validate(ph24, models=("gblup", "gblup_top"), folds=4, repeats=2, top_k=100)
    s = summarise(cv)
    assert set(s["model"]) == {"gblup", "gblup_top"} and (s["repeats"] == 2).all() and s["se"].notna().all()
    assert s["accuracy"].between(-1, 1).all()


def test_bayescpi_converges_and_predicts(ph24):
    Z = ph24.X[:, ::6] - 2 * ph24.freq[::6]
    chains = [bayes_cpi(Z, ph24.y, ph24.W, iterations=400, burn_in=100, thin=2, seed=s) for s in (1, 2)]
    t = chains[0].trace
    assert len(t) == 150 and (t["pi"] > 0).all() and (t["pi"] < 1).all()
    assert gelman_rubin([c.trace["sigma2_e"].to_numpy() for c in chains]) < 1.2
    assert abs(geweke_z(t["sigma2_e"].to_numpy())) < 4
    ve = float(np.mean(t["sigma2_e"]))
    assert 0.3 * np.var(ph24.y) < ve < 1.2 * np.var(ph24.y)


def test_design_panel(ph24):
    s = -np.log10(run_gwas(ph24, per_marker=False).table["pvalue"].to_numpy())
    man = design_panel(ph24.variants, ph24.X, n=300, scores=s, min_spacing_bp=50_000)
    assert len(man) == 300 and man["marker"].is_unique
    counts = man["reason"].value_counts()
    assert counts["candidate"] == 60 and 0 < counts["tag"] <= 90 and counts["tag"] + counts["backbone"] == 240
    assert (man["maf"] >= 0.05).all()
    maf = np.minimum(ph24.freq, 1 - ph24.freq)
    assert int(np.argmax(np.where(maf >= 0.05, s, -1))) in set(man["index"])  # the best eligible candidate
    bb = man[man["reason"] != "candidate"]  # tags and backbone keep the spacing
    for _, g in bb.groupby("chrom"):
        assert np.diff(np.sort(g["pos"].to_numpy())).min() >= 50_000
    with pytest.raises(AnalysisError, match="needs more than"):
        design_panel(ph24.variants, ph24.X, n=10**6)


def test_gwas_parquet_and_edges(ph24, tmp_path, ladybug_store):
    import pyarrow as pa

    from varkg.loaders.gwas import ROW_SCHEMA

    res = run_gwas(
        ph24.__class__(**{**ph24.__dict__, "X": ph24.X[:, :300], "freq": ph24.freq[:300], "variants": ph24.variants.iloc[:300]})
    )
    t = pq.read_table(write_parquet(res, tmp_path / "ph.gwas.parquet"))
    assert t.schema.names[: len(ROW_SCHEMA)] == ROW_SCHEMA.names and t.num_rows == 300
    hits = res.table.nsmallest(5, "pvalue")
    v = hits.iloc[:3]
    ladybug_store.upsert_nodes(
        "Variant",
        pa.table({"id": v["variant_id"].tolist(), "assembly": ["Sscrofa10.2"] * 3, "chrom": v["chrom"].tolist(),
                  "pos": pa.array(v["pos"].tolist(), pa.int64()), "ref": ["A"] * 3, "alt": ["B"] * 3}),
        dataset="test",
    )  # fmt: skip
    thr = float(hits["pvalue"].iloc[-1]) * 1.0001
    rep = write_gwas(ladybug_store, res, p_threshold=thr)
    assert rep == {"edges": 3, "skipped": 2}
    write_gwas(ladybug_store, res, p_threshold=thr)
    rows = ladybug_store.query(
        "MATCH (v:Variant)-[r:ASSOCIATED_WITH]->(p:Phenotype) RETURN p.id AS p, r.pvalue AS pv, r.study AS s"
    ).to_pylist()
    assert len(rows) == 3 and {r["p"] for r in rows} == {"ph_24h"} and rows[0]["s"] == res.run_id
    ds = ladybug_store.query("MATCH (d:Dataset) WHERE d.id = $id RETURN d.loader AS l", {"id": res.run_id}).to_pylist()
    assert ds == [{"l": "breeding.gwas"}]
    assert isinstance(pd.DataFrame(rows), pd.DataFrame)


def test_gebv_table(ph24):
    from varkg.breeding.gs import gebv_table

    t = gebv_table(ph24)
    assert list(t["animal"]) == ph24.samples and t["gebv"].notna().all()
    assert np.corrcoef(t["gebv"], t["adjusted_phenotype"])[0, 1] > 0.3  # in-sample fit is positive


def test_gwas_edges_reach_the_markers_loaders_variants(ph24, ladybug_store, shared_data):
    """Allele-less pig markers: with the assembly, every hit links to the Variant the markers loader wrote."""
    from varkg.loaders.run import load

    sub = ph24.__class__(**{**ph24.__dict__, "X": ph24.X[:, :300], "freq": ph24.freq[:300], "variants": ph24.variants.iloc[:300]})
    res = run_gwas(sub)
    load(ladybug_store, "markers", [shared_data / "pig" / "pig_MSUPRP_map.tsv"], assembly="Sscrofa11.1", progress=False)
    thr = float(res.table["pvalue"].nsmallest(5).iloc[-1]) * 1.0001
    rep = write_gwas(ladybug_store, res, p_threshold=thr, assembly="Sscrofa11.1")
    assert rep == {"edges": 5, "skipped": 0}
    got = ladybug_store.query("MATCH (v:Variant)-[:ASSOCIATED_WITH]->(:Phenotype) RETURN v.rsid AS m").column("m").to_pylist()
    assert sorted(got) == sorted(res.table.nsmallest(5, "pvalue")["rsid"])
