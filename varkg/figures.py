"""Saving matplotlib figures: the one place that makes the folder, lays out, writes and closes."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_figure(fig: Any, path: str | Path, *, dpi: float | None = None, tight: bool = True) -> Path:
    """Write ``fig`` to ``path`` (parent folders created), then close it; returns the path.

    ``dpi``: None keeps the figure's own; ``tight``: apply ``tight_layout`` first (off for
    layouts it cannot handle, e.g. a colorbar shared by several axes)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi if dpi is not None else "figure")
    plt.close(fig)
    return path
