"""GPN-style motif tracks from the masked LM: predicted base distributions, information content,
sequence logos and bedGraph tracks (the first step of motif discovery from the LM).

For each position ``i`` of a sequence the position is masked and the model's distribution over
A/C/G/T is read on both strands; the reverse-strand distribution is complemented and mapped back
to forward coordinates, and the two are averaged (``p_i``, rows sum to 1)::

    IC_i = 2 + sum_b p_i(b) log2 p_i(b)          (bits, 0..2)

Logo letter heights are ``p_i(b) * IC_i``. :func:`contributions` gives the ``(p - 0.25)``
scores GPN feeds to TF-MoDISco (hypothetical contributions) and their one-hot projection.
By construction the track of a sequence and that of its reverse complement are mirror images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from varkg.figures import save_figure
from varkg.interpret.attribution import BASES, _check_seq, masked_base_logprobs


def predicted_distribution(model: Any, tokenizer: Any, seq: str, *, batch_size: int = 64, quiet: bool = True) -> np.ndarray:
    """``(L, 4)`` strand-averaged predicted base probabilities (A, C, G, T) at each masked position."""
    logp = masked_base_logprobs(model, tokenizer, seq, batch_size=batch_size, quiet=quiet)
    fwd = np.exp(logp[0])
    rev = np.exp(logp[1])[::-1][:, ::-1]
    p = 0.5 * (fwd / fwd.sum(1, keepdims=True) + rev / rev.sum(1, keepdims=True))
    return np.asarray(p)


def information_content(p: np.ndarray) -> np.ndarray:
    """Bits per position: ``2 + sum_b p log2 p`` (0 for a uniform row, 2 for a certain base).

    >>> information_content(np.array([[0.25] * 4, [1.0, 0, 0, 0]])).round(6).tolist()
    [0.0, 2.0]
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = np.where(p > 0, p * np.log2(p), 0.0).sum(1)
    return 2.0 + ent


def contributions(p: np.ndarray, seq: str) -> tuple[np.ndarray, np.ndarray]:
    """``(hypothetical, actual)`` contribution scores: ``p - 0.25`` and its value at the observed
    base only (one-hot times hypothetical), both ``(L, 4)``."""
    s = _check_seq(seq)
    onehot = np.zeros((len(s), 4))
    onehot[np.arange(len(s)), [BASES.index(c) for c in s]] = 1.0
    hyp = np.asarray(p, dtype=np.float64) - 0.25
    return hyp, hyp * onehot


def write_bedgraph(path: str | Path, *, chrom: str, start: int, values: np.ndarray, name: str = "varkg_lm_ic") -> Path:
    """One bedGraph line per position (0-based half-open ``[start + i, start + i + 1)``)."""
    path = Path(path)
    with open(path, "w") as fh:
        fh.write(f'track type=bedGraph name="{name}"\n')
        for i, v in enumerate(np.asarray(values, dtype=float)):
            fh.write(f"{chrom}\t{start + i}\t{start + i + 1}\t{v:.6g}\n")
    return path


def logo_png(p: np.ndarray, path: str | Path, *, title: str = "LM-predicted bases", start: int = 0) -> Path:
    """Sequence logo (logomaker) with heights ``p * IC``; returns the PNG path."""
    import logomaker  # type: ignore[import-untyped]
    import pandas as pd

    from varkg.interpret.plot import _plt

    plt = _plt()
    ic = information_content(p)
    df = pd.DataFrame(np.asarray(p) * ic[:, None], columns=list(BASES), index=range(start, start + len(ic)))
    fig, ax = plt.subplots(figsize=(max(6, len(ic) / 6), 2.4))
    logomaker.Logo(df, ax=ax, color_scheme="classic")
    ax.set_ylabel("bits")
    ax.set_ylim(0, 2)
    ax.set_title(title)
    return save_figure(fig, path, dpi=120)
