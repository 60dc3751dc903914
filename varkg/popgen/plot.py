"""LD heatmaps (PNG): pairwise r² of a run of variants with the LD blocks outlined.

matplotlib is imported when a figure is drawn (``import varkg.popgen`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from varkg.errors import AnalysisError
from varkg.figures import save_figure
from varkg.popgen.blocks import LdBlockResult
from varkg.popgen.genotypes import GenotypeMatrix
from varkg.popgen.ld import r2_matrix

__all__ = ["ld_heatmap", "manhattan_track"]

MAX_VARIANTS = 1500
"""Largest heatmap (variants per side) drawn."""


def ld_heatmap(
    geno: GenotypeMatrix,
    out: str | Path,
    *,
    blocks: list[LdBlockResult] = (),  # type: ignore[assignment]
    start: int = 0,
    stop: int | None = None,
    title: str | None = None,
) -> Path:
    """Draw r² of variants ``[start, stop)`` (one chromosome, at most :data:`MAX_VARIANTS`)
    with ``blocks`` that fall inside outlined; returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    stop = geno.n_variants if stop is None else stop
    if not 0 <= start < stop <= geno.n_variants:
        raise AnalysisError(f"variant range [{start}, {stop}) is outside [0, {geno.n_variants})")
    if stop - start > MAX_VARIANTS:
        raise AnalysisError(f"{stop - start} variants are too many for a heatmap (at most {MAX_VARIANTS}; narrow the region)")
    chroms = geno.variants["chrom"].iloc[start:stop].unique()
    if len(chroms) != 1:
        raise AnalysisError(f"a heatmap shows one chromosome (got {list(chroms)})")
    d = geno.dosages(start, stop)
    r2 = r2_matrix(d, d)
    pos = geno.variants["pos"].to_numpy()[start:stop]
    fig, ax = plt.subplots(figsize=(8, 7), dpi=120)
    im = ax.imshow(np.where(np.isfinite(r2), r2, 0.0), cmap="Reds", vmin=0, vmax=1, interpolation="nearest", origin="upper")
    fig.colorbar(im, ax=ax, label="r²", shrink=0.8)
    n_drawn = 0
    for b in blocks:
        if b.chrom != chroms[0]:
            continue
        a, z = int(b.members[0]) - start, int(b.members[-1]) - start
        if a < 0 or z >= stop - start:
            continue
        ax.add_patch(Rectangle((a - 0.5, a - 0.5), z - a + 1, z - a + 1, fill=False, edgecolor="#1f4e9c", linewidth=1.2))
        n_drawn += 1
    ticks = np.linspace(0, stop - start - 1, num=min(6, stop - start)).astype(int)
    ax.set_xticks(ticks, [f"{pos[t] / 1e6:.3f}" for t in ticks], rotation=45)
    ax.set_yticks(ticks, [f"{pos[t] / 1e6:.3f}" for t in ticks])
    ax.set_xlabel(f"chr{chroms[0]} position (Mb)")
    ax.set_title(title or f"LD (r²) of {stop - start} variants, {n_drawn} blocks outlined")
    return save_figure(fig, out)


def manhattan_track(
    table,
    out: str | Path,
    *,
    value: str,
    windows=None,
    absolute: bool = False,
    ylabel: str | None = None,
    threshold: float | None = None,
) -> Path:
    """A Manhattan-style track: ``table[value]`` (or its absolute value) against position in Mb,
    chromosomes side by side; optional windowed line (``windows`` with start, stop, fst) and a
    horizontal threshold (default 2 for |standardised| scores). Returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table[np.isfinite(table[value].to_numpy(dtype=float))]
    if t.empty:
        raise AnalysisError(f"nothing to plot: no finite {value!r} values")
    y = t[value].to_numpy(dtype=float)
    y = np.abs(y) if absolute else y
    fig, ax = plt.subplots(figsize=(11, 3.2))
    offset = 0.0
    for k, (_chrom, sub) in enumerate(t.groupby("chrom", sort=False)):
        x = sub["pos"].to_numpy() / 1e6
        ax.scatter(x - x.min() + offset, y[t["chrom"].to_numpy() == _chrom], s=3, color=("#1f4e79", "#7f9fbf")[k % 2], lw=0)
        offset += x.max() - x.min() + 0.5
    if windows is not None and len(windows):
        mid = (windows["start"] + windows["stop"]) / 2e6
        ax.plot(mid - t["pos"].min() / 1e6, windows["fst"], color="#c0392b", lw=1.2, label="windowed (ratio of sums)")
        ax.legend(loc="upper right", fontsize=8)
    thr = threshold if threshold is not None else (2.0 if absolute else None)
    if thr is not None:
        ax.axhline(thr, color="grey", ls="--", lw=0.8)
    ax.set_xlabel(f"position (Mb from {t['pos'].min() / 1e6:.2f})" if t["chrom"].nunique() == 1 else "position (Mb)")
    ax.set_ylabel(ylabel or value)
    return save_figure(fig, out, dpi=120)
