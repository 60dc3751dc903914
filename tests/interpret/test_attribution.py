"""ISM equals the scorer's LLR; classifier attributions find a planted motif; eQTL support calls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from varkg.interpret.attribution import (
    eqtl_support,
    gradient_attribution,
    ism_classifier,
    ism_lm,
)
from varkg.lm.tokenizer import single_nucleotide_tokenizer


def test_ism_of_single_nucleotide_model_equals_scorer_llr(shared_data, tiny_mlm):
    """All 3 x L substitutions of a real chr2 window: the batched ISM matrix equals, entry by
    entry, varkg.lm.score.score_windows on the same window (an independent code path: one
    masked job per variant and strand, assembled by the scorer)."""
    from varkg.lm.data import FastaReader
    from varkg.lm.score import score_windows

    fa = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    if not fa.exists():
        pytest.skip(f"{fa} is absent")
    seq = FastaReader(fa).fetch("chr2", 200_000, 200_048).upper()
    assert set(seq) <= set("ACGT")
    tok = single_nucleotide_tokenizer()
    model = tiny_mlm(seed=2)
    ism = ism_lm(model, tok, seq, batch_size=16)
    pos, refs, alts = [], [], []
    for i, r in enumerate(seq):
        for b in "ACGT":
            if b != r:
                pos.append(i)
                refs.append(r)
                alts.append(b)
    scores = score_windows(model, tok, [seq] * len(pos), pos, refs, alts, batch_size=32)
    got = np.array([ism[i, "ACGT".index(a)] for i, a in zip(pos, alts, strict=True)])
    np.testing.assert_allclose(got, [s.llr for s in scores], rtol=1e-5, atol=1e-6)
    assert all(ism[i, "ACGT".index(r)] == 0 for i, r in enumerate(seq))
    assert np.abs(got).max() > 1e-3  # a random model is not flat


@pytest.fixture(scope="module")
def tata_classifier(tmp_path_factory, tiny_mlm, planted_tata):
    """A tiny classifier fine-tuned to call sequences with a planted TATA (as tests/lm)."""
    from transformers import AutoModelForSequenceClassification

    from varkg.lm.finetune import FinetuneConfig, finetune

    d = tmp_path_factory.mktemp("ft")
    tok = single_nucleotide_tokenizer()
    tiny_mlm(seed=0).save_pretrained(str(d / "base"))
    tok.save_pretrained(str(d / "base"))
    rng = np.random.default_rng(0)
    splits = [planted_tata(rng, n, name) for n, name in ((256, "train"), (64, "dev"), (64, "test"))]
    cfg = FinetuneConfig(method="full", epochs=6, lr=3e-3, batch_size=32, seed=0, pooling="mean")
    res = finetune(d / "base", tok, train=splits[0], dev=splits[1], test=splits[2], cfg=cfg, out=d / "ft", quiet=True)
    assert res.test["mcc"] > 0.5
    model = AutoModelForSequenceClassification.from_pretrained(str(d / "ft")).eval()
    return model, tok


@pytest.mark.slow  # ~35 s: fine-tunes a tiny classifier
def test_classifier_attributions_point_at_the_planted_motif(tata_classifier):
    model, tok = tata_classifier
    seq = "CAGGCACGCGATATAGCCGAGCAG"
    at = seq.index("TATA")
    motif = np.zeros(len(seq), bool)
    motif[at : at + 4] = True
    ism = ism_classifier(model, tok, seq)
    # entries are logit differences of the mutant against the reference, recomputed here one by one
    import torch

    def logit(s: str) -> float:
        with torch.inference_mode():
            return float(model(**tok(s, return_tensors="pt")).logits[0, 1])

    for i, b in ((at, "C"), (3, "T"), (len(seq) - 1, "A")):
        mut = seq[:i] + b + seq[i + 1 :]
        assert ism[i, "ACGT".index(b)] == pytest.approx(logit(mut) - logit(seq), abs=1e-4)
    ig = gradient_attribution(model, tok, seq, method="integrated_gradients", n_steps=64)
    gxi = gradient_attribution(model, tok, seq, method="gradient_x_input")
    assert ig.values.shape == gxi.values.shape == (len(seq),)
    # completeness: sum of IG = f(x) - f(baseline) up to the reported delta
    assert ig.delta is not None and ig.delta < 0.05 * max(1.0, float(np.abs(ig.values).sum()))
    share = np.abs(ig.values[motif]).sum() / np.abs(ig.values).sum()
    assert share > 4 / len(seq) * 1.5


def test_eqtl_support_by_sign_agreement():
    t = pd.DataFrame({"variant": list("abcd"), "slope": [0.4, -0.3, 0.2, -0.1], "ism_score": [0.2, -0.5, -0.1, 0.001]})
    out = eqtl_support(t, min_abs=0.01)
    assert out["support"].tolist() == ["supporting", "supporting", "non-supporting", "uninformative"]


def test_ism_rejects_non_acgt(tiny_mlm):
    from varkg.errors import InputError

    with pytest.raises(InputError, match="A/C/G/T"):
        ism_lm(tiny_mlm(), single_nucleotide_tokenizer(), "ACGNNA")
