"""The window-bucket LD engine at its edges: pairs that span a bucket boundary, pairs exactly one
window apart (kept) and one bp further (dropped), on a small VCF written here (random dosages,
r2_min 0, so every pair inside the window must come back once, with numpy's r²)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytestmark = pytest.mark.spark

WINDOW = 1000  # bp; the bucket width of method="buckets"
# around the bucket edges at 1000, 2000, 3000: distances of exactly 1000 and 1001 across them
POS = [5, 999, 1000, 1001, 1999, 2000, 2001, 2002, 2999, 3000, 4000, 5001, 5002]


@pytest.fixture(scope="module")
def edge_vcf(hl, tmp_path_factory):
    rng = np.random.default_rng(7)
    n = 40
    gt = rng.integers(0, 3, size=(len(POS), n))
    gt[:, 0], gt[:, 1] = 0, 2  # no monomorphic row
    code = {0: "0/0", 1: "0/1", 2: "1/1"}
    path = tmp_path_factory.mktemp("edge") / "edge.vcf"
    with open(path, "w") as fh:
        fh.write("##fileformat=VCFv4.2\n##contig=<ID=20,length=63025520>\n")
        fh.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(f"s{k}" for k in range(n)) + "\n")
        for p, row in zip(POS, gt, strict=True):
            fh.write(f"20\t{p}\t.\tA\tG\t.\tPASS\t.\tGT\t" + "\t".join(code[int(g)] for g in row) + "\n")
    return path, gt


def test_bucket_pairs_span_boundaries_and_stop_at_the_window(edge_vcf):
    from varkg.spark.genotypes import import_vcf
    from varkg.spark.ld import ld_pairs

    path, gt = edge_vcf
    mt = import_vcf(path, assembly="GRCh37", min_partitions=2)
    got = ld_pairs(mt, kb=WINDOW / 1000, r2_min=0.0, method="buckets")
    want = {(a, b) for a, b in itertools.combinations(range(len(POS)), 2) if POS[b] - POS[a] <= WINDOW}
    assert (1000, 2000) in {(POS[a], POS[b]) for a, b in want}  # exactly one window, across a boundary
    pairs = list(zip(got["i"], got["j"], strict=True))
    assert len(pairs) == len(set(pairs)), "a pair was computed twice"
    assert set(pairs) == want
    assert ((got["pos_b"] - got["pos_a"]) <= WINDOW).all()
    r = np.corrcoef(gt.astype(float))
    np.testing.assert_allclose(got["r2"].to_numpy(), r[got["i"], got["j"]] ** 2, rtol=0, atol=1e-9)
    blocks = ld_pairs(mt, kb=WINDOW / 1000, r2_min=0.0, method="blocks", block_size=4)
    assert list(zip(blocks["i"], blocks["j"], strict=True)) == pairs
