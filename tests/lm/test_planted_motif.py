"""Planted signal: a model trained on sequences carrying a fixed motif scores motif-breaking
variants strongly negative and variants in random background near zero."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.lm.score import score_windows

MOTIF = "GATTACAGT"


def _with_motif(rng: np.random.Generator, n: int, length: int) -> list[str]:
    out = []
    for _ in range(n):
        bg = "".join(rng.choice(list("ACGT"), size=length))
        at = int(rng.integers(0, length - len(MOTIF)))
        out.append(bg[:at] + MOTIF + bg[at + len(MOTIF) :])
    return out


@pytest.mark.slow
def test_planted_motif_breaking_variants_score_negative(tmp_path, tiny_lm):
    rng = np.random.default_rng(0)
    train = _with_motif(rng, 4000, 40)
    model, tok = tiny_lm(tmp_path / "m", window_bp=40, steps=500, warmup_steps=20, sequences=train)
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
