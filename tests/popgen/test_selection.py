"""iHS, nSL and XP-EHH on the real phased chr20 1000 Genomes VCF (FIN, IBS), with scikit-allel's
``ihs``/``nsl``/``xpehh``/``standardize_by_allele_count`` on the same haplotypes as the oracle."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.errors import AnalysisError
from varkg.popgen import selection as S
from varkg.popgen.genotypes import GenotypeMatrix, read_vcf_artifacts

allel = pytest.importorskip("allel")

N = 3000  # the first 3,000 chr20 variants keep scikit-allel's O(haplotypes²) scan short
PANEL = "variants/1000G_phase3_integrated_call_samples.panel"


@pytest.fixture(scope="module")
def haps(kgp):
    g = kgp.slice_variants(0, N)
    fin = S.haplotype_array(g.select_samples(population="FIN"))
    ibs = S.haplotype_array(g.select_samples(population="IBS"))
    keep = (fin >= 0).all(axis=1) & (ibs >= 0).all(axis=1)
    return g, fin[keep], ibs[keep], g.variants["pos"].to_numpy()[keep]


@pytest.mark.parametrize("edges", [False, True])
def test_ihs_matches_scikit_allel(haps, edges):
    _, fin, _, pos = haps
    ours = S.ihs_array(fin, pos, include_edges=edges)
    theirs = allel.ihs(fin, pos, include_edges=edges, use_threads=False)
    assert np.isfinite(ours).sum() > 400
    np.testing.assert_allclose(ours, theirs, atol=1e-9, rtol=0, equal_nan=True)


def test_nsl_matches_scikit_allel(haps):
    _, fin, _, _ = haps
    np.testing.assert_allclose(S.nsl_array(fin), allel.nsl(fin, use_threads=False), atol=1e-9, rtol=0, equal_nan=True)


def test_xpehh_matches_scikit_allel(haps):
    _, fin, ibs, pos = haps
    ours = S.xpehh_array(fin, ibs, pos)
    assert np.isfinite(ours).sum() > 2000
    np.testing.assert_allclose(ours, allel.xpehh(fin, ibs, pos, use_threads=False), atol=1e-9, rtol=0, equal_nan=True)


def test_genetic_map_and_gaps(haps):
    _, fin, _, pos = haps
    cm = pos / 1e6 * 1.2  # a uniform 1.2 cM/Mb map
    ours = S.ihs_array(fin, pos, map_pos=cm, gap_scale=5000, max_gap=50_000)
    theirs = allel.ihs(fin, pos, map_pos=cm, gap_scale=5000, max_gap=50_000, use_threads=False)
    np.testing.assert_allclose(ours, theirs, atol=1e-9, rtol=0, equal_nan=True)


def test_standardisation_by_frequency_bins(haps):
    _, fin, _, pos = haps
    score = S.ihs_array(fin, pos)
    aac = fin.sum(axis=1)
    ours = S.standardize_by_frequency(score, aac, fin.shape[1], n_bins=10)
    edges = np.linspace(0, fin.shape[1], 11)
    theirs, _ = allel.standardize_by_allele_count(score, aac, bins=edges, diagnostics=False)
    np.testing.assert_allclose(ours, theirs, atol=1e-9, equal_nan=True)


def test_scan_on_matrix(haps):
    g, fin, ibs, pos = haps
    r = S.scan(g, stat="xpehh", pop1="FIN", pop2="IBS")
    assert r.n_missing == N - len(fin)
    np.testing.assert_allclose(r.table["score"], S.xpehh_array(fin, ibs, pos), equal_nan=True)
    z = r.table["std_score"].dropna()
    assert abs(z.mean()) < 1e-9 and z.std(ddof=0) == pytest.approx(1.0)
    r = S.ihs(g, population="FIN")
    assert r.n_monomorphic > 0 and r.table["score"][r.table["alt_count"] == 0].isna().all()
    assert r.params["log"] == "natural"


def test_unphased_input_is_refused(kgp_artifacts, shared_data):
    no_vcf = read_vcf_artifacts(kgp_artifacts, panel=shared_data / PANEL)  # dosages only, no phase
    with pytest.raises(AnalysisError, match="unphased: iHS, nSL and XP-EHH need phased haplotypes"):
        S.nsl(no_vcf)
    hap = np.full((2, 3, 2), -1, dtype=np.int8)  # every call unphased (the reader's -1)
    g = GenotypeMatrix.from_arrays(np.ones((2, 3)), chrom=["1"] * 3, pos=[1, 2, 3], samples=["a", "b"], haplotypes=hap)
    with pytest.raises(AnalysisError, match="no phased genotype calls"):
        S.ihs(g)


def test_bad_input():
    d = np.zeros((2, 3), dtype=np.int8)
    g = GenotypeMatrix.from_arrays(d, chrom=["1"] * 3, pos=[1, 2, 3], samples=["a", "b"], population="A")
    with pytest.raises(AnalysisError, match=r"unknown population"):
        S.xpehh(g, pop1="A", pop2="ZZ")
    with pytest.raises(AnalysisError, match="0/1 with no missing"):
        S.ihh_scan(np.array([[0, -1], [1, 1]]), np.array([1.0]))
    with pytest.raises(AnalysisError, match="unknown scan statistic"):
        S.scan(g, stat="tajima")  # type: ignore[arg-type]
