"""Planted signal: a model trained on sequences carrying a fixed motif scores motif-breaking
variants strongly negative and variants in random background near zero."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.lm.pretrain import PretrainConfig, pretrain
from varkg.lm.runtime import load_masked_lm
from varkg.lm.score import score_windows
from varkg.lm.tokenizer import single_nucleotide_tokenizer

MOTIF = "GATTACAGT"


def _with_motif(rng: np.random.Generator, n: int, length: int) -> list[str]:
    out = []
    for _ in range(n):
        bg = "".join(rng.choice(list("ACGT"), size=length))
        at = int(rng.integers(0, length - len(MOTIF)))
        out.append(bg[:at] + MOTIF + bg[at + len(MOTIF) :])
    return out


@pytest.mark.slow
def test_planted_motif_breaking_variants_score_negative(tmp_path):
    rng = np.random.default_rng(0)
    train = _with_motif(rng, 4000, 40)
    cfg = PretrainConfig(
        size="tiny",
        window_bp=40,
        steps=500,
        batch_size=64,
        lr=3e-3,
        seed=0,
        save_every=10**6,
        warmup_steps=20,
        rc_prob=0.5,
        model_overrides={"hidden_size": 64, "intermediate_size": 128},
    )
    pretrain(out=tmp_path / "m", tokenizer=single_nucleotide_tokenizer(), cfg=cfg, sequences=train, quiet=True)
    model, tok, _ = load_masked_lm(tmp_path / "m", device="cpu")
    bg = "".join(np.random.default_rng(1).choice(list("ACGT"), size=41))
    at = 16
    window = bg[:at] + MOTIF + bg[at + len(MOTIF) :]
    windows, offs, refs, alts = [], [], [], []
    for i in range(len(MOTIF)):  # every motif base, to each other base
        for b in "ACGT":
            if b != MOTIF[i]:
                windows.append(window), offs.append(at + i), refs.append(MOTIF[i]), alts.append(b)
    n_motif = len(windows)
    for p in [2, 4, 6, 30, 33, 36]:  # background positions outside the motif
        for b in "ACGT":
            if b != window[p]:
                windows.append(window), offs.append(p), refs.append(window[p]), alts.append(b)
    scores = np.array([s.llr for s in score_windows(model, tok, windows, offs, refs, alts)])
    motif, background = scores[:n_motif], scores[n_motif:]
    assert motif.mean() < -2.0, motif
    assert np.abs(background).mean() < 0.5, background
    assert motif.max() < background.min() + 0.5
