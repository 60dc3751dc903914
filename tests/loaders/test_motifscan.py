"""Motif scanner: exactness against the per-position reference, p-values, and a real CTCF site."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from varkg.dna import reverse_complement
from varkg.errors import InputError
from varkg.motifscan import Motif, MotifScanner, background_of, encode

CTCF_SITES = "regulatory/encode_motifs_hg38_ctcf_known1.bed.gz"
CHR2 = "reference/hg38_chr2_1-2333275.fa.gz"
CHR2_END = 2_333_275


@pytest.fixture(scope="module")
def ctcf() -> Motif:
    from pyjaspar import jaspardb

    m = jaspardb(release="JASPAR2024").fetch_motif_by_id("MA0139.2")
    return Motif(m.matrix_id, m.name, np.array([m.counts[b] for b in "ACGT"], float))


def _random_seq(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    s = np.array(list("ACGT"))[rng.integers(0, 4, n)]
    s[rng.integers(0, n, n // 50)] = "N"
    return "".join(s)


@pytest.mark.parametrize("kmer", [1, 2, 3, 4])
def test_scores_equal_per_position_reference(ctcf, kmer):
    seq = _random_seq(3000, kmer)
    sc = MotifScanner([ctcf], pvalue=0.5, kmer=kmer)
    ref_plus = sc.per_position_reference(seq, 0)
    ref_minus = sc.per_position_reference(reverse_complement(seq), 0)[::-1]
    L = ctcf.length
    ref_minus = np.concatenate([ref_minus[L - 1 :], np.full(L - 1, np.nan)])  # minus hits start at the same + position
    thr = sc.thresholds(sc.background)[0]
    hits = sc.scan(seq)
    for strand, ref in (("+", ref_plus), ("-", ref_minus)):
        want = np.flatnonzero(np.nan_to_num(ref, nan=-np.inf) >= thr)
        got = hits.position[hits.strand == strand]
        np.testing.assert_array_equal(np.sort(got), want)
        np.testing.assert_allclose(hits.score[hits.strand == strand], ref[got], atol=1e-3)
    best, pos, _ = sc.best([seq])
    assert best[0, 0] == pytest.approx(np.nanmax(np.concatenate([ref_plus, ref_minus])), abs=1e-3)


def test_pvalue_is_exact_tail_probability():
    m = Motif("t", "toy", np.array([[8, 1], [1, 1], [1, 7], [0, 1]], float))
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    sc = MotifScanner([m], pvalue=0.5, background=bg, resolution=1e-4)
    w = m.log_odds(bg)
    scores = np.array([w[a, 0] + w[b, 1] for a in range(4) for b in range(4)])
    probs = np.array([bg[a] * bg[b] for a in range(4) for b in range(4)])
    for s in scores:
        # exact up to the grid (1e-4 bits): never below the true tail probability
        got = sc.pvalues(np.array([0]), np.array([s]))[0]
        assert probs[scores >= s - 1e-9].sum() - 1e-12 <= got <= probs[scores >= s - 2e-4].sum() + 1e-12


def test_background_is_strand_symmetric():
    bg = background_of(encode("AAAACCGN"))
    # A=4, C=2, G=1, T=0 (N ignored), averaged with the complement strand
    assert bg.tolist() == pytest.approx([4 / 14, 3 / 14, 3 / 14, 4 / 14])


def test_bad_matrix():
    with pytest.raises(InputError, match="shape"):
        Motif("x", "x", np.ones((3, 5)))
    with pytest.raises(InputError, match="sums to 0"):
        Motif("x", "x", np.zeros((4, 2)))


def test_ctcf_hit_at_known_site_on_chr2(shared_data: Path, ctcf):
    """A known CTCF site (ENCODE motif BED) inside the chr2 excerpt is found by MA0139.2."""
    import pyfaidx

    sites = []
    with gzip.open(shared_data / CTCF_SITES, "rt") as fh:
        for line in fh:
            c, s, e, _name, _score, strand = line.split("\t")[:6]
            if c == "chr2" and 10_000 < int(s) and int(e) + 200 < CHR2_END:
                sites.append((int(s), int(e), strand.strip()))
    assert sites, "no known CTCF site inside the chr2 excerpt"
    site = min(sites)
    fa = pyfaidx.Fasta(str(shared_data / CHR2))
    lo, hi = site[0] - 200, site[1] + 200
    seq = fa["chr2"][lo:hi].seq
    hits = MotifScanner([ctcf], pvalue=1e-4).scan(seq, offset=lo)
    inside = (hits.position >= site[0]) & (hits.position + ctcf.length <= site[1])
    assert inside.any(), f"no MA0139.2 hit inside the known site {site}"
    best = np.argmax(np.where(inside, hits.score, -np.inf))
    assert hits.strand[best] == site[2]
    assert hits.pvalue[best] < 1e-4
    # the first such site is chr2:18831-18849 (+); the 15-bp matrix sits 1 bp into the 18-bp instance
    assert (site, int(hits.position[best])) == ((18_831, 18_849, "+"), 18_832)
