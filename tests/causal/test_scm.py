"""Structural causal model: DAG from a real Ladybug graph, semopy SEM, do-effects and mediation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from varkg.causal.scm import dag_from_edges, dag_from_graph, do_effect, fit_sem, mediation
from varkg.errors import AnalysisError

V1, V2, V3 = "GRCh37:20:1000:A:G", "GRCh37:20:2000:C:T", "GRCh37:20:3000:G:A"
G1, G2 = "ENSG00000101000", "ENSG00000101001"
PH = "EFO:0004611"


def _build(path: Path):  # type: ignore[no-untyped-def]
    from varkg.store import open_store

    s = open_store(path)
    s.init_schema()
    s.upsert_nodes(
        "Variant",
        pa.table(
            dict(
                id=[V1, V2, V3],
                assembly=["GRCh37"] * 3,
                chrom=["20"] * 3,
                pos=[1000, 2000, 3000],
                ref=["A", "C", "G"],
                alt=["G", "T", "A"],
            )
        ),
    )
    s.upsert_nodes("Gene", pa.table(dict(id=[G1, G2])))
    s.upsert_nodes("Phenotype", pa.table(dict(id=[PH])))
    s.upsert_edges(
        "EQTL_OF",
        pa.table(
            dict(
                src=[V1, V2, V3],
                dst=[G1, G1, G2],
                tissue=["liver"] * 3,
                qtl_kind=["eQTL"] * 3,
                phenotype_id=[""] * 3,
                pvalue=[1e-20, 1e-12, 0.2],
            )
        ),
        src_type="Variant",
        dst_type="Gene",
    )
    s.upsert_edges(
        "INTERACTS", pa.table(dict(src=[G1], dst=[G2], type=["regulatory"], source=["TFLink"])), src_type="Gene", dst_type="Gene"
    )
    s.upsert_edges(
        "ASSOCIATED_WITH",
        pa.table(dict(src=[G1, G2], dst=[PH, PH], source=["GWAS"] * 2, study=["s1"] * 2)),
        src_type="Gene",
        dst_type="Phenotype",
    )
    s.upsert_edges(
        "ASSOCIATED_WITH",
        pa.table(dict(src=[V1], dst=[PH], source=["GWAS"], study=["s1"])),
        src_type="Variant",
        dst_type="Phenotype",
    )
    return s


@pytest.fixture()
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = _build(tmp_path / "kg.db")
    yield s
    s.close()


def _simulate(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    v1, v2 = rng.binomial(2, 0.3, n).astype(float), rng.binomial(2, 0.4, n).astype(float)
    g1 = 0.6 * v1 + 0.4 * v2 + rng.normal(size=n)
    g2 = 0.5 * g1 + rng.normal(size=n)
    y = 0.3 * g1 + 0.2 * g2 + 0.25 * v1 + rng.normal(size=n)
    return pd.DataFrame({V1: v1, V2: v2, G1: g1, G2: g2, PH: y})


def test_dag_from_graph(store) -> None:  # type: ignore[no-untyped-def]
    dag = dag_from_graph(store, phenotypes=[PH])
    assert dag.edges == {(V1, G1), (V2, G1), (G1, G2), (G1, PH), (G2, PH), (V1, PH)}  # V3's eQTL is not significant
    assert dag.nodes[V1] == "Variant" and dag.nodes[G2] == "Gene" and dag.nodes[PH] == "Phenotype"
    assert dag_from_graph(store, phenotypes=[PH], direct_variant_edges=False).edges == dag.edges - {(V1, PH)}
    assert (V3, G2) in dag_from_graph(store, phenotypes=[PH], eqtl_p=0.5).edges
    with pytest.raises(AnalysisError, match="no causal arrows"):
        dag_from_graph(store, phenotypes=["EFO:nothing"])


def test_do_expression_and_mediation_recover_planted_effects(store) -> None:  # type: ignore[no-untyped-def]
    dag = dag_from_graph(store, phenotypes=[PH])
    fit = fit_sem(dag, _simulate())
    d = do_effect(fit, treatment=G1, outcome=PH)
    truth = 0.3 + 0.5 * 0.2
    assert d.ci_low < truth < d.ci_high and d.se > 0
    assert "back-door" in d.identification and d.adjustment_set == [V1, V2]
    assert d.instruments == [V2]  # V1 also acts on the phenotype directly: not a valid instrument
    m = mediation(fit, variant=V1, mediator=G1, outcome=PH)
    fr = m.as_frame().set_index("effect")
    for eff, true in (("indirect", 0.6 * truth), ("direct", 0.25), ("total", 0.6 * truth + 0.25)):
        assert fr.loc[eff, "ci_low"] < true < fr.loc[eff, "ci_high"], (eff, fr.loc[eff].to_dict())
    assert m.total == pytest.approx(m.direct + m.indirect)
    # do(G2) on the phenotype: only the direct arrow
    d2 = do_effect(fit, treatment=G2, outcome=PH)
    assert d2.ci_low < 0.2 < d2.ci_high
    # G2 has no path to G1: effect 0, identified trivially
    d3 = do_effect(fit, treatment=G2, outcome=G1)
    assert d3.estimate == 0 and "no directed path" in d3.identification


def test_unobserved_mediator_is_marginalised_and_cycles_raise() -> None:
    types = {V1: "Variant", G1: "Gene", G2: "Gene", PH: "Phenotype"}
    dag = dag_from_edges([(V1, G1), (G1, G2), (G2, PH)], types)
    data = _simulate().drop(columns=[G2])
    fit = fit_sem(dag, data)
    assert (fit.index(G1), fit.index(PH)) not in [(0, 0)] and fit.dag.edges == {(V1, G1), (G1, PH)}
    with pytest.raises(AnalysisError, match="cycle: .*ENSG00000101000 -> ENSG00000101001 -> ENSG00000101000"):
        dag_from_edges([(G1, G2), (G2, G1)], types)
    two_kids = dag_from_edges([(V1, G1), (G1, G2), (G1, PH)], types)
    with pytest.raises(AnalysisError, match="has no data but 2 children"):
        fit_sem(two_kids, _simulate().drop(columns=[G1]))


def test_do_cli_with_write_back(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from varkg.cli.main import app

    db = tmp_path / "kg.db"
    _build(db).close()
    data = tmp_path / "cohort.tsv"
    _simulate().to_csv(data, sep="\t", index=False)
    args = [
        "--store",
        str(db),
        "causal",
        "do",
        "--phenotype",
        PH,
        "--gene",
        G1,
        "--variant",
        V1,
        "--data",
        str(data),
        "--write-back",
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "back-door" in r.output and "indirect" in r.output
    assert CliRunner().invoke(app, args).exit_code == 0
    from varkg.store import open_store

    s = open_store(db)
    t = s.query("MATCH (g:Gene)-[r:CAUSAL_FOR]->(p:Phenotype) RETURN g.id AS g, r.method AS m, r.estimate AS e").to_pandas()
    s.close()
    assert len(t) == 1 and t["m"].iat[0] == "sem" and abs(t["e"].iat[0] - 0.4) < 0.1
