"""Figures of the interpretation toolkit (matplotlib, Agg backend; PNG files).

* :func:`enrichment_dotplot`: top sets by p-value; x = fold enrichment, dot size = overlap,
  colour = -log10 FDR.
* :func:`ism_map`: the ISM matrix (4 bases x positions, reference base blank) as a heatmap,
  with the per-position mean effect above it.
* :func:`embedding_scatter`: a 2-D map coloured by a property.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from varkg.figures import save_figure


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def enrichment_dotplot(result: pd.DataFrame, path: str | Path, *, top: int = 20, title: str = "Over-representation") -> Path:
    """Dot plot of the ``top`` sets of an enrichment result; returns the PNG path."""
    plt = _plt()
    r = result.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.35 * max(len(r), 3) + 1.5))
    if len(r):
        labels = [f"{n[:55]} ({lib})" for n, lib in zip(r["name"].astype(str), r["library"].astype(str), strict=True)]
        q = -np.log10(np.clip(r["fdr"].astype(float).to_numpy(), 1e-300, 1))
        sc = ax.scatter(r["fold"].astype(float), range(len(r)), s=20 + 12 * r["overlap"].astype(float), c=q, cmap="viridis")
        ax.set_yticks(range(len(r)))
        ax.set_yticklabels(labels, fontsize=8)
        fig.colorbar(sc, ax=ax, label="-log10 FDR")
        for size in sorted({int(r["overlap"].min()), int(r["overlap"].max())}):
            ax.scatter([], [], s=20 + 12 * size, c="grey", label=f"{size} genes")
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_xlabel("fold enrichment (observed / expected)")
    ax.set_title(title)
    return save_figure(fig, path, dpi=120)


def ism_map(scores: np.ndarray, sequence: str, path: str | Path, *, title: str = "In-silico mutagenesis", start: int = 0) -> Path:
    """Heatmap of a ``(L, 4)`` ISM matrix (A, C, G, T; the reference base is 0) with the mean
    effect per position; ``start`` labels the first position."""
    plt = _plt()
    s = np.asarray(scores, dtype=float)
    L = s.shape[0]
    fig, (a0, a1) = plt.subplots(2, 1, figsize=(max(6, L / 8), 3.6), sharex=True, gridspec_kw={"height_ratios": [1, 2]})
    mean = s.sum(axis=1) / 3.0
    a0.bar(np.arange(L), mean, color=np.where(mean < 0, "#c0392b", "#2471a3"), width=1.0)
    a0.set_ylabel("mean LLR")
    v = float(np.nanmax(np.abs(s))) or 1.0
    im = a1.imshow(s.T, aspect="auto", cmap="RdBu", vmin=-v, vmax=v, interpolation="nearest")
    a1.set_yticks(range(4))
    a1.set_yticklabels(list("ACGT"))
    if L <= 120:
        a1.set_xticks(range(L))
        a1.set_xticklabels(list(sequence.upper()), fontsize=6)
    a1.set_xlabel(f"position (from {start})")
    fig.colorbar(im, ax=[a0, a1], label="LLR alt vs ref (nats)", shrink=0.8)
    a0.set_title(title)
    return save_figure(fig, path, dpi=120, tight=False)


def embedding_scatter(xy: np.ndarray, colours: Sequence[object], path: str | Path, *, title: str, colour_by: str) -> Path:
    """Scatter of a 2-D embedding map, categorical colours with a legend (numbers: a colour bar)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 6))
    vals = list(colours)
    numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in vals if v is not None)
    if numeric and vals:
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=[np.nan if v is None else v for v in vals], s=10, cmap="viridis")
        fig.colorbar(sc, ax=ax, label=colour_by)
    else:
        cats = sorted({str(v) for v in vals})
        cmap = plt.get_cmap("tab20")
        for i, c in enumerate(cats):
            m = np.array([str(v) == c for v in vals])
            ax.scatter(xy[m, 0], xy[m, 1], s=10, color=cmap(i % 20), label=c[:30])
        if len(cats) <= 20:
            ax.legend(fontsize=7, markerscale=2, frameon=False, title=colour_by)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return save_figure(fig, path, dpi=120)
