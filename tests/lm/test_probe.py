from __future__ import annotations

import numpy as np
import pytest

from varkg.dna import reverse_complement
from varkg.errors import ModelError
from varkg.lm.probe import ProbeConfig, layer_features, load_probe, predict_probe, probe
from varkg.lm.runtime import load_masked_lm
from varkg.lm.tokenizer import single_nucleotide_tokenizer


@pytest.fixture
def base(tmp_path, mlm):
    """A tiny masked-LM checkpoint folder (single-nucleotide tokens)."""
    tok = single_nucleotide_tokenizer()
    mlm(seed=0).save_pretrained(str(tmp_path / "base"))
    tok.save_pretrained(str(tmp_path / "base"))
    return tmp_path / "base"


def test_features_cover_every_layer_and_do_not_depend_on_the_batch(base):
    model, tok, _ = load_masked_lm(base, device="cpu")
    seqs = ["ACGTTGACCATG", "GATTACA", "TTTTGGGACAGGATCCAAT"]
    both = layer_features(model, tok, seqs)
    layers, width = model.config.num_hidden_layers, model.config.hidden_size
    assert both.shape == (3, layers + 1, 2 * width) and both.dtype == np.float32
    alone = layer_features(model, tok, seqs[1:2])  # no padding, no longer neighbour
    np.testing.assert_allclose(both[1], alone[0], atol=1e-5)
    # max >= mean per feature; special tokens are left out: one base is its own mean and max
    assert (both[:, :, width:] >= both[:, :, :width] - 1e-6).all()
    one = layer_features(model, tok, ["A"])
    np.testing.assert_allclose(one[0, :, :width], one[0, :, width:], atol=1e-6)


def test_probe_learns_a_planted_motif_and_saves_a_strand_symmetric_head(tmp_path, base, planted_tata):
    rng = np.random.default_rng(0)
    train, dev, test = planted_tata(rng, 256, "train"), planted_tata(rng, 64, "dev"), planted_tata(rng, 64, "test")
    cfg = ProbeConfig(epochs=30, hidden=32, heads=3, seed=0)
    res = probe(base, train=train, dev=dev, test=test, cfg=cfg, out=tmp_path / "pr", quiet=True)
    assert res.test["mcc"] > 0.8 and res.best_epoch == 30  # cosine to zero, the last weights kept
    assert res.n_trainable < res.n_parameters and res.feature_seconds > 0
    assert set(res.features) == {"train", "dev", "test"} and res.features["train"].reverse is not None
    # a second seed on the same features runs no encoder and trains a different head
    again = probe(
        base,
        train=train,
        dev=dev,
        test=test,
        cfg=ProbeConfig(epochs=30, hidden=32, heads=3, seed=1, schedule="constant", keep="best"),
        features=res.features,
        quiet=True,
    )
    assert again.feature_seconds == 0.0 and not np.allclose(again.test_probs, res.test_probs)
    assert 1 <= again.best_epoch <= 30 and again.test["mcc"] > 0.8
    # the saved head reproduces the test probabilities and is strand-symmetric
    head, saved_cfg, facts = load_probe(tmp_path / "pr")
    assert saved_cfg == cfg and facts["base_model_id"].startswith("base@")
    model, tok, _ = load_masked_lm(base, device="cpu")
    p = predict_probe(model, tok, head, test.sequences, cfg=saved_cfg)
    np.testing.assert_allclose(p, res.test_probs, atol=1e-5)
    p_rc = predict_probe(model, tok, head, [reverse_complement(s) for s in test.sequences], cfg=saved_cfg)
    np.testing.assert_allclose(p, p_rc, atol=1e-5)


def test_bad_labels_features_and_folders_are_clear_errors(tmp_path, base, planted_tata):
    rng = np.random.default_rng(2)
    train, dev = planted_tata(rng, 32, "train"), planted_tata(rng, 8, "dev.csv")
    bad = type(dev)(dev.sequences, dev.labels + 5, "dev.csv")
    with pytest.raises(ModelError, match=r"labels of 'dev.csv' fall outside 0..1"):
        probe(base, train=train, dev=bad, quiet=True)
    res = probe(base, train=train, dev=dev, cfg=ProbeConfig(epochs=1, rc=False), quiet=True)
    with pytest.raises(ModelError, match=r"features given for 'train' do not match"):
        probe(base, train=train, dev=dev, cfg=ProbeConfig(epochs=1, rc=True), features=res.features, quiet=True)
    with pytest.raises(ModelError, match=r"probe schedule 'linear' is not one of \['cosine', 'constant'\]"):
        probe(base, train=train, dev=dev, cfg=ProbeConfig(schedule="linear", rc=False), features=res.features, quiet=True)
    with pytest.raises(ModelError, match=r"probe keep 'first' is not one of"):
        probe(base, train=train, dev=dev, cfg=ProbeConfig(keep="first", rc=False), features=res.features, quiet=True)
    with pytest.raises(ModelError, match="is not a saved probe"):
        load_probe(tmp_path)
