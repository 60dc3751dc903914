"""Enrichment p-values against independent computations on the real GO and GMT files."""

from __future__ import annotations

import io

import numpy as np
import pytest
from scipy import stats

from varkg.errors import AnalysisError
from varkg.interpret.enrichment import bh_fdr, over_representation
from varkg.interpret.genesets import GeneSetLibrary, read_gene2go, read_gmt


def test_go_pvalues_equal_goatools_with_propagation(go_files, go_dag, tmp_path):
    """Same population, study and propagated annotations in, same per-term p-values out as
    goatools' GOEnrichmentStudy (propagate_counts, is_a + part_of, Fisher one-sided)."""
    goatools_obo = pytest.importorskip("goatools.obo_parser")
    from goatools.go_enrichment import GOEnrichmentStudy

    from varkg.interpret.go import write_obo

    parents, _terms, gene2go = go_files
    lib = read_gene2go(gene2go, dag=go_dag, namespaces=["BP"])
    direct = read_gene2go(gene2go, dag=None, namespaces=["BP"])
    # population: the annotated genes plus some that are not annotated at all (they count in N)
    rng = np.random.default_rng(1)
    annotated = sorted(direct.genes())
    population = set(rng.choice(annotated, 3000, replace=False).tolist()) | {f"unannotated{i}" for i in range(200)}
    # study: genes of one specific BP term (GO:0006281 DNA repair) plus random population genes
    repair = sorted(lib.sets["GO:0006281"] & population)
    study = set(repair[:25]) | set(rng.choice(sorted(population), 40, replace=False).tolist())

    ours = over_representation(study, background=population, library=lib, min_size=1, max_size=10**9)
    ours = ours[ours["overlap"] > 0].set_index("set_id")

    obo = write_obo(go_dag, tmp_path / "go.obo")
    dag = goatools_obo.GODag(str(obo), optional_attrs={"relationship"}, prt=None)
    assoc = {g: set(direct_terms) for g, direct_terms in _gene2terms(direct).items() if g in population}
    goea = GOEnrichmentStudy(
        sorted(population),
        assoc,
        dag,
        propagate_counts=True,
        alpha=0.05,
        methods=["fdr_bh"],
        alternative="greater",
        relationships={"part_of"},
        log=io.StringIO(),
    )
    res = goea.run_study(sorted(study), prt=None)
    theirs = {r.GO: r for r in res if r.ratio_in_study[0] > 0}
    common = sorted(set(theirs) & set(ours.index))
    assert len(common) > 300 and set(theirs) == set(ours.index)
    for t in common:
        assert ours.loc[t, "overlap"] == theirs[t].ratio_in_study[0]
        assert ours.loc[t, "set_size"] == theirs[t].ratio_in_pop[0]
    p_ours = ours.loc[common, "pvalue"].to_numpy()
    p_theirs = np.array([theirs[t].p_uncorrected for t in common])
    np.testing.assert_allclose(p_ours, p_theirs, rtol=1e-9, atol=1e-300)
    assert ours.index[0] in {"GO:0006281", "GO:0006974", "GO:0033554", "GO:0006259"}  # DNA repair/damage on top


def _gene2terms(lib: GeneSetLibrary) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for t, genes in lib.sets.items():
        for g in genes:
            out.setdefault(g, set()).add(t)
    return out


def test_propagation_reaches_ancestors_through_part_of(go_dag):
    # GO:0006281 DNA repair is_a ... cellular response to DNA damage stimulus (GO:0006974)
    anc = go_dag.ancestors("GO:0006281")
    assert "GO:0006974" in anc and "GO:0008150" in anc
    # a part_of-only link: the ancestor set with is_a only is strictly smaller somewhere
    part_of_children = [c for c, ps in go_dag.parents.items() if any(r == "part_of" for _, r in ps)]
    c = part_of_children[0]
    assert go_dag.ancestors(c, relations={"is_a"}) < go_dag.ancestors(c)


def test_gmt_pvalues_equal_hand_computed_hypergeometric(shared_data):
    path = shared_data / "networks" / "enrichr.KEGG_2016.gmt"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    lib = read_gmt(path)
    assert len(lib) == 293 and "hsa03010" in lib.sets
    background = sorted(lib.genes())
    ribosome = sorted(lib.sets["hsa03010"])
    study = set(ribosome[:30]) | set(background[::97][:50])
    res = over_representation(study, background=background, library=lib, min_size=1, max_size=10**9).set_index("set_id")
    N, n = len(background), len(study)
    for sid, members in list(lib.sets.items())[:293]:
        K = len(members)
        k = len(members & study)
        # by hand: sum of the hypergeometric pmf over k..min(K, n)
        hand = sum(stats.hypergeom.pmf(x, N, K, n) for x in range(k, min(K, n) + 1))
        assert res.loc[sid, "pvalue"] == pytest.approx(hand, rel=1e-8, abs=1e-300)
        assert res.loc[sid, "overlap"] == k and res.loc[sid, "set_size"] == K
    assert res.index[0] == "hsa03010"
    np.testing.assert_allclose(res["fdr"].to_numpy(), stats.false_discovery_control(res["pvalue"].to_numpy()), rtol=1e-12)


def test_bh_matches_scipy():
    p = np.random.default_rng(0).uniform(size=200) ** 3
    np.testing.assert_allclose(bh_fdr(p), stats.false_discovery_control(p), rtol=1e-12)


def test_study_outside_background_is_an_error():
    lib = GeneSetLibrary("toy", {"A": frozenset("abcdef")}, "symbol")
    with pytest.raises(AnalysisError, match="not in the background"):
        over_representation(["a", "zz"], background=list("abcdef"), library=lib)
