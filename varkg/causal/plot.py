"""Figures of causal analyses (matplotlib, Agg backend; imported only when a plot is asked for)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["mr_plot"]


def mr_plot(harmonised: pd.DataFrame, results: Sequence[Any], path: Path, title: str) -> None:
    """Write the MR scatter (instrument effects, oriented to a positive exposure effect, with
    95 % error bars and one line per method) and forest plot (per-instrument Wald ratios and each
    method's estimate with its 95 % CI) as one PNG.

    Args:
        harmonised: :attr:`varkg.causal.harmonise.Harmonised.table` (``snp``, ``beta_exposure``,
            ``se_exposure``, ``beta_outcome``, ``se_outcome``).
        results: :class:`varkg.causal.mr.MRResult` objects.
        path: the PNG to write.
        title: the figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = harmonised
    bx, by = h["beta_exposure"].to_numpy(float), h["beta_outcome"].to_numpy(float)
    sx, sy = h["se_exposure"].to_numpy(float), h["se_outcome"].to_numpy(float)
    s = np.where(bx < 0, -1.0, 1.0)
    bx, by = bx * s, by * s
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, max(4.0, 0.25 * (len(h) + len(results)) + 1.5)))
    a1.errorbar(bx, by, xerr=1.96 * sx, yerr=1.96 * sy, fmt="o", ms=4, color="0.3", elinewidth=0.8)
    xs = np.linspace(0, bx.max() * 1.05, 10)
    for r in results:
        icpt = r.intercept if np.isfinite(r.intercept) else 0.0
        a1.plot(xs, icpt + r.estimate * xs, label=f"{r.method} {r.estimate:.3g}")
    a1.axhline(0, color="0.8", lw=0.8)
    a1.set_xlabel("SNP effect on exposure")
    a1.set_ylabel("SNP effect on outcome")
    a1.legend(fontsize=8)
    a1.set_title("scatter")
    ratio, se_r = by / bx, sy / np.abs(bx)
    labels = [*h["snp"].astype(str).tolist(), *[r.method for r in results]]
    est = np.r_[ratio, [r.estimate for r in results]]
    lo = np.r_[ratio - 1.96 * se_r, [r.ci_low for r in results]]
    hi = np.r_[ratio + 1.96 * se_r, [r.ci_high for r in results]]
    yy = np.arange(len(labels))[::-1]
    colors = ["0.4"] * len(h) + ["C3"] * len(results)
    for y_, e, l_, u, c in zip(yy, est, lo, hi, colors, strict=True):
        a2.plot([l_, u], [y_, y_], color=c)
        a2.plot([e], [y_], "s", color=c, ms=4)
    a2.axvline(0, color="0.8", lw=0.8)
    a2.set_yticks(yy, labels, fontsize=7)
    a2.set_xlabel("causal estimate (95% CI)")
    a2.set_title("forest")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
