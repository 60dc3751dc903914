"""LD heatmaps (PNG): pairwise r² of a run of variants with the LD blocks outlined.

matplotlib is imported when a figure is drawn (``import varkg.popgen`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from varkg.errors import AnalysisError
from varkg.popgen.blocks import LdBlockResult
from varkg.popgen.genotypes import GenotypeMatrix
from varkg.popgen.ld import r2_matrix

__all__ = ["ld_heatmap"]

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
    fig.tight_layout()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
