from __future__ import annotations

import numpy as np
import pytest

from varkg.errors import ModelError
from varkg.lm.data import LabelledSequences
from varkg.lm.finetune import FinetuneConfig, classification_metrics, finetune
from varkg.lm.tokenizer import single_nucleotide_tokenizer


@pytest.fixture
def base(tmp_path, mlm):
    """A tiny masked-LM checkpoint folder with its single-nucleotide tokenizer: ``(path, tokenizer)``."""
    tok = single_nucleotide_tokenizer()
    mlm(seed=0).save_pretrained(str(tmp_path / "base"))
    tok.save_pretrained(str(tmp_path / "base"))
    return tmp_path / "base", tok


@pytest.mark.parametrize("method", ["full", "lora", "prefix", "prompt"])
def test_methods_train_and_report_metrics(tmp_path, base, method, planted_tata):
    path, tok = base
    rng = np.random.default_rng(0)
    train, dev, test = planted_tata(rng, 256, "train"), planted_tata(rng, 64, "dev"), planted_tata(rng, 64, "test")
    cfg = FinetuneConfig(
        method=method,
        epochs=6 if method == "full" else 2,
        lr=3e-3,
        batch_size=32,
        seed=0,
        pooling="mean" if method != "prefix" else "cls",
    )
    res = finetune(path, tok, train=train, dev=dev, test=test, cfg=cfg, out=tmp_path / "ft", quiet=True)
    assert set(res.test) == {"mcc", "f1", "accuracy", "auroc"}
    assert (tmp_path / "ft" / "metrics.json").exists()
    if method == "full":
        assert res.test["mcc"] > 0.5 and res.n_trainable == res.n_parameters
    else:
        assert res.n_trainable < res.n_parameters / 2


def test_metrics_and_label_errors(tmp_path, mlm):
    m = classification_metrics(np.array([0, 1, 1, 0]), np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]]))
    assert m["accuracy"] == 0.75 and m["auroc"] == 0.75 and -1 <= m["mcc"] <= 1
    tok = single_nucleotide_tokenizer()
    mlm().save_pretrained(str(tmp_path))
    tok.save_pretrained(str(tmp_path))
    train = LabelledSequences(["ACGT", "TTGA"], np.array([0, 1]), "train")
    dev = LabelledSequences(["ACGT"], np.array([2]), "dev.csv")
    with pytest.raises(ModelError, match=r"labels of 'dev.csv' fall outside 0..1"):
        finetune(tmp_path, tok, train=train, dev=dev, quiet=True)


@pytest.mark.parametrize("pooling", ["max", "meanmax"])
def test_max_pooling_heads_learn_motif_presence(tmp_path, base, pooling, planted_tata):
    path, tok = base
    rng = np.random.default_rng(1)
    train, dev, test = planted_tata(rng, 256, "train"), planted_tata(rng, 64, "dev"), planted_tata(rng, 64, "test")
    cfg = FinetuneConfig(epochs=6, lr=3e-3, batch_size=32, seed=0, pooling=pooling, rc_augment=True, rc_test=True)
    res = finetune(path, tok, train=train, dev=dev, test=test, cfg=cfg, out=tmp_path / "ft", quiet=True)
    assert res.test["mcc"] > 0.5


def test_strand_averaged_prediction_is_the_same_for_a_sequence_and_its_reverse_complement(base):
    from transformers import AutoModelForSequenceClassification

    from varkg.dna import reverse_complement
    from varkg.lm.finetune import predict_proba

    path, tok = base
    model = AutoModelForSequenceClassification.from_pretrained(str(path), num_labels=2, classifier_pooling="max")
    seqs = ["ACGTTGACCATG", "TTTTGGGACA", "GATTACA"]
    one = predict_proba(model, tok, seqs)
    other = predict_proba(model, tok, [reverse_complement(s) for s in seqs])
    assert not np.allclose(one, other, atol=1e-4)  # the model itself is not strand-symmetric
    avg, avg_rc = (
        predict_proba(model, tok, seqs, rc_average=True),
        predict_proba(model, tok, [reverse_complement(s) for s in seqs], rc_average=True),
    )
    np.testing.assert_allclose(avg, avg_rc, atol=1e-5)
    np.testing.assert_allclose(avg, (one + other) / 2, atol=1e-5)


def test_training_leaves_subnormal_floats_working(base, planted_tata):
    """Training flushes denormals for speed but must restore IEEE-754 subnormals afterwards."""
    import torch

    path, tok = base
    rng = np.random.default_rng(2)
    finetune(
        path,
        tok,
        train=planted_tata(rng, 32, "t"),
        dev=planted_tata(rng, 8, "d"),
        cfg=FinetuneConfig(epochs=1, batch_size=16),
        quiet=True,
    )
    tiny = torch.tensor([1e-40], dtype=torch.float32)
    assert float(tiny[0]) != 0.0 and float(tiny * 1.0) != 0.0


def _positional(rng: np.random.Generator, n: int, name: str) -> LabelledSequences:
    """Every sequence carries TATA, in the second (label 0) or third (label 1) eighth of 64 bp."""
    seqs, labels = [], []
    for i in range(n):
        s, y = "".join(rng.choice(list("ACG"), size=64)), i % 2
        at = int(rng.integers(16, 20)) if y else int(rng.integers(8, 12))
        seqs.append(s[:at] + "TATA" + s[at + 4 :])
        labels.append(y)
    return LabelledSequences(seqs, np.array(labels), name)


def test_bins_pooling_tells_where_a_motif_is(tmp_path, base):
    """Both classes carry the motif, only its place differs: `max` pooling scores MCC 0 here (measured)."""
    path, tok = base
    rng = np.random.default_rng(3)
    train, dev, test = _positional(rng, 256, "train"), _positional(rng, 64, "dev"), _positional(rng, 64, "test")
    cfg = FinetuneConfig(epochs=6, lr=3e-3, batch_size=32, seed=0, pooling="bins", bins=4)
    res = finetune(path, tok, train=train, dev=dev, test=test, cfg=cfg, out=tmp_path / "ft", quiet=True)
    assert res.test["mcc"] > 0.8


def test_bf16_autocast_trains_in_bfloat16_and_keeps_float32_weights(tmp_path, base, planted_tata):
    import torch
    from safetensors.torch import load_file

    path, tok = base
    rng = np.random.default_rng(2)
    train, dev, test = planted_tata(rng, 256, "train"), planted_tata(rng, 64, "dev"), planted_tata(rng, 64, "test")
    seen: set[torch.dtype] = set()

    def spy(module, inputs, output):
        if module.training:
            seen.add(output.dtype)

    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda m, i, o: spy(m, i, o) if isinstance(m, torch.nn.Linear) else None
    )
    try:
        cfg = FinetuneConfig(epochs=6, lr=3e-3, batch_size=32, seed=0, pooling="meanmax", bf16=True)
        res = finetune(path, tok, train=train, dev=dev, test=test, cfg=cfg, out=tmp_path / "ft", quiet=True)
    finally:
        handle.remove()
    assert seen == {torch.bfloat16}
    assert res.test["mcc"] > 0.5
    weights = load_file(str(tmp_path / "ft" / "model.safetensors"))
    assert {w.dtype for w in weights.values()} == {torch.float32}
