"""GPN-style motif tracks on a real chr2 window: distributions, strand symmetry, IC, bedGraph, logo."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.dna import reverse_complement
from varkg.interpret.motiftrack import contributions, information_content, logo_png, predicted_distribution, write_bedgraph
from varkg.lm.tokenizer import single_nucleotide_tokenizer


@pytest.fixture
def window(shared_data):
    from varkg.lm.data import FastaReader

    fa = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    if not fa.exists():
        pytest.skip(f"{fa} is absent")
    return FastaReader(fa).fetch("chr2", 300_000, 300_060).upper()


def test_track_is_a_distribution_and_strand_symmetric(window, tiny_mlm, tmp_path):
    model, tok = tiny_mlm(seed=5), single_nucleotide_tokenizer()
    p = predicted_distribution(model, tok, window, batch_size=32)
    assert p.shape == (60, 4)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-6)
    # the reverse complement's track is the mirror image with complemented bases
    q = predicted_distribution(model, tok, reverse_complement(window), batch_size=32)
    np.testing.assert_allclose(p, q[::-1, ::-1], atol=1e-6)
    ic = information_content(p)
    assert ((ic >= -1e-9) & (ic <= 2 + 1e-9)).all() and ic.std() > 0
    hyp, act = contributions(p, window)
    np.testing.assert_allclose(hyp.sum(1), 0.0, atol=1e-6)
    assert (np.count_nonzero(act, axis=1) <= 1).all()
    bg = write_bedgraph(tmp_path / "ic.bedGraph", chrom="chr2", start=300_000, values=ic).read_text().splitlines()
    assert bg[0].startswith("track type=bedGraph") and len(bg) == 61
    c, a, b, v = bg[1].split("\t")
    assert (c, int(a), int(b)) == ("chr2", 300_000, 300_001) and float(v) == pytest.approx(ic[0], rel=1e-5)
    png = logo_png(p, tmp_path / "logo.png", start=300_000)
    assert png.read_bytes()[:4] == b"\x89PNG"
