"""Breeding-chip design: a panel of N markers, its manifest, and the GS accuracy it keeps.

:func:`design_panel` picks, among markers passing MAF and call-rate filters, in three layers:

1. **candidates** (``candidate_share`` of N, default 20%): the highest scores (e.g. -log10 GWAS p,
   a fine-mapping PIP or a GPN x LD rank; any table of marker -> score), skipping a candidate that
   an already chosen one tags (r² >= ``tag_r2`` within ``tag_window_bp``), so the candidate budget
   covers distinct signals;
2. **tags** (``tag_share`` of N, default 30%): greedy LD tag SNPs (Carlson et al. 2004,
   :mod:`varkg.breeding.tagging`) for the markers the candidates leave untagged, at least
   ``min_spacing_bp`` apart, each taking the marker that tags the most still-untagged ones, while
   one still tags at least one marker besides itself (the unused share goes to the backbone);
3. **backbone**: the rest spread evenly over the genome (targets spaced by total length / count,
   per chromosome in proportion to its span), each target taking the nearest eligible marker at
   least ``min_spacing_bp`` from every marker already chosen.

The tagging rule is PLINK 1.9's ``--show-tags`` (``--tag-r2 0.8``, ``--tag-kb 250``), and the
same 250 kb window bounds the candidate pruning. The manifest has ``marker, chrom, pos, alleles,
maf, reason, score`` (``reason``: ``candidate``, ``tag`` or ``backbone``). :func:`panel_curve`
compares, across panel sizes, GBLUP CV accuracy and LD coverage with the designed panel vs a
random and an evenly spaced panel of the same size; the candidate scores and the tags are computed
inside each training fold (marginal association, :func:`varkg.breeding.gs.marginal_scores`) so no
test animal informs the design.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from varkg.breeding.data import TraitData
from varkg.breeding.gs import _fixed_cols, cv_folds, evenly_spaced, gblup, marginal_scores
from varkg.breeding.lmm import grm
from varkg.breeding.tagging import TAG_R2, TAG_WINDOW_BP, check_tagging, ld_coverage, select_tags, tag_neighbours
from varkg.errors import AnalysisError
from varkg.figures import save_figure

__all__ = ["design_panel", "panel_curve", "plot_panel_curve"]


def _share(name: str, value: float) -> None:
    if not (0 <= value <= 1):
        raise AnalysisError(f"{name} must be in [0, 1], got {value!r}")


def design_panel(
    variants: pd.DataFrame,
    X: np.ndarray,
    *,
    n: int,
    scores: np.ndarray | None = None,
    call_rate: np.ndarray | None = None,
    candidate_share: float = 0.2,
    tag_share: float = 0.3,
    min_maf: float = 0.05,
    min_call_rate: float = 0.95,
    min_spacing_bp: int = 10_000,
    tag_r2: float = TAG_R2,
    tag_window_bp: int = TAG_WINDOW_BP,
    neighbours: list[np.ndarray] | None = None,
) -> pd.DataFrame:
    """The manifest of an ``n``-marker panel (rows in genome order; ``index`` = column of ``X``).

    Args:
        variants: ``chrom``, ``pos``, ``name`` (and ``ref``/``alt`` when known) per column of ``X``.
        X: ``[animals, markers]`` mean-imputed dosages (for MAF and the tagging r²).
        scores: per marker, higher = more likely causal (NaN = no score); None: no candidates.
        call_rate: per marker share of called genotypes (default all 1).
        candidate_share: share of ``n`` for candidates; ``tag_share``: for LD tags (the rest: backbone).
        neighbours: :func:`varkg.breeding.tagging.tag_neighbours` of ``X`` at ``tag_r2`` and
            ``tag_window_bp``, when already computed (e.g. for several panel sizes).
    """
    p = X.shape[1]
    if len(variants) != p:
        raise AnalysisError(f"{len(variants)} variants for {p} genotype columns")
    if n <= 0:
        raise AnalysisError(f"panel size must be positive, got {n!r}")
    _share("candidate_share", candidate_share)
    _share("tag_share", tag_share)
    if candidate_share + tag_share > 1:
        raise AnalysisError(f"candidate_share + tag_share must be <= 1, got {candidate_share} + {tag_share}")
    check_tagging(r2=tag_r2, window_bp=tag_window_bp)
    freq = X.mean(axis=0) / 2
    maf = np.minimum(freq, 1 - freq)
    cr = np.ones(p) if call_rate is None else np.asarray(call_rate, float)
    ok = (maf >= min_maf) & (cr >= min_call_rate)
    if n > int(ok.sum()):
        raise AnalysisError(
            f"a panel of {n} markers needs more than the {int(ok.sum())} passing "
            f"MAF >= {min_maf} and call rate >= {min_call_rate}"
        )
    chrom = variants["chrom"].astype(str).to_numpy()
    pos = variants["pos"].to_numpy(np.int64)
    if neighbours is None and (tag_share > 0 or (scores is not None and candidate_share > 0)):
        neighbours = tag_neighbours(X, chrom=chrom, pos=pos, r2=tag_r2, window_bp=tag_window_bp)
    chosen: dict[int, tuple[str, float]] = {}
    if scores is not None and candidate_share > 0:
        assert neighbours is not None
        s = np.asarray(scores, float)
        order = [j for j in np.argsort(-np.nan_to_num(s, nan=-np.inf), kind="stable") if ok[j] and np.isfinite(s[j])]
        budget = int(round(candidate_share * n))
        covered = np.zeros(p, bool)
        for j in order:
            if len(chosen) >= budget:
                break
            if covered[j]:
                continue
            chosen[int(j)] = ("candidate", float(s[j]))
            covered[neighbours[j]] = True
    if tag_share > 0:
        tags = select_tags(
            chrom=chrom,
            pos=pos,
            budget=int(round(tag_share * n)),
            eligible=ok,
            forced=np.array(sorted(chosen), np.int64),
            r2=tag_r2,
            window_bp=tag_window_bp,
            min_spacing_bp=min_spacing_bp,
            min_gain=2,
            neighbours=neighbours,
        )
        for j in tags:
            chosen[int(j)] = ("tag", float("nan"))
    spans = {c: (int(pos[chrom == c].min()), int(pos[chrom == c].max())) for c in dict.fromkeys(chrom)}
    total = sum(b - a + 1 for a, b in spans.values())
    need = n - len(chosen)
    eligible = ok.copy()
    eligible[list(chosen)] = False
    for c, (a, b) in spans.items():
        k = int(round(need * (b - a + 1) / total))
        idx = np.flatnonzero((chrom == c) & eligible)
        if k <= 0 or len(idx) == 0:
            continue
        taken = np.sort(pos[[j for j in chosen if chrom[j] == c]]) if chosen else np.array([], np.int64)
        for t in np.linspace(a, b, k + 2)[1:-1]:
            cand = idx[np.argsort(np.abs(pos[idx] - t))[:50]]
            for j in cand:
                if not eligible[j]:
                    continue
                if len(taken) and np.min(np.abs(taken - pos[j])) < min_spacing_bp:
                    continue
                chosen[int(j)] = ("backbone", float("nan"))
                eligible[j] = False
                taken = np.sort(np.append(taken, pos[j]))
                break
    left = n - len(chosen)  # rounding per chromosome: top up (or trim backbone) to exactly n
    if left > 0:
        extra = [j for j in evenly_spaced(p, p) if eligible[j]]
        step = max(1, len(extra) // left)
        for j in extra[::step][:left]:
            chosen[int(j)] = ("backbone", float("nan"))
    elif left < 0:
        bb = [j for j, (why, _) in chosen.items() if why == "backbone"]
        for j in bb[:-left]:
            del chosen[j]
    idx = np.array(sorted(chosen))
    alleles = [
        f"{r}/{a}" if isinstance(r, str) and isinstance(a, str) else "A/B"
        for r, a in zip(
            variants.get("ref", pd.Series([None] * p)).to_numpy()[idx],
            variants.get("alt", pd.Series([None] * p)).to_numpy()[idx],
            strict=True,
        )
    ]
    return pd.DataFrame(
        {
            "index": idx,
            "marker": variants["name"].astype(str).to_numpy()[idx],
            "chrom": chrom[idx],
            "pos": pos[idx],
            "alleles": alleles,
            "maf": maf[idx],
            "reason": [chosen[int(j)][0] for j in idx],
            "score": [chosen[int(j)][1] for j in idx],
        }
    )


def panel_curve(
    data: TraitData,
    *,
    sizes: Sequence[int] = (500, 1000, 2000, 5000),
    folds: int = 5,
    repeats: int = 2,
    seed: int = 0,
    min_maf: float = 0.05,
    min_spacing_bp: int = 10_000,
    candidate_share: float = 0.2,
    tag_share: float = 0.3,
    tag_r2: float = TAG_R2,
    tag_window_bp: int = TAG_WINDOW_BP,
    progress: bool = False,
) -> pd.DataFrame:
    """GBLUP CV accuracy and LD coverage per panel size and panel kind (``designed``, ``random``,
    ``evenly_spaced``, and ``all`` markers as the reference); the designed panel is re-made in each
    training fold (scores and tags from the training animals only).

    Returns:
        One row per (size, panel): ``accuracy`` and ``se`` (mean and SE over repeats of the mean
        over folds), ``coverage`` (share of the MAF-passing markers a panel marker tags at
        r² >= ``tag_r2`` within ``tag_window_bp``, in the training animals, mean over folds) and
        ``mean_r2`` (their mean max r² to the panel).
    """
    K_all = grm(data.X, data.freq)
    rows = []
    p = data.X.shape[1]
    chrom = data.variants["chrom"].astype(str).to_numpy()
    pos = data.variants["pos"].to_numpy(np.int64)
    folds_ = cv_folds(data.n, folds=folds, repeats=repeats, seed=seed, progress=progress, desc=f"panels {data.trait}")
    for r, f, train, test in folds_:
        Xtr = data.X[train]
        cols = _fixed_cols(data.W[train])
        s = marginal_scores(Xtr, data.y[train], data.W[np.ix_(train, cols)])
        gebv, adj, _ = gblup(K_all, data.y, data.W, train, test)
        rows.append((p, "all", r, f, float(np.corrcoef(gebv, adj)[0, 1]), 1.0, 1.0))
        freq = Xtr.mean(axis=0) / 2
        elig = np.minimum(freq, 1 - freq) >= min_maf
        neigh = tag_neighbours(Xtr, chrom=chrom, pos=pos, r2=tag_r2, window_bp=tag_window_bp)
        rng = np.random.default_rng(10_000 + seed + 100 * r + f)
        for n in sizes:
            if n > p:
                continue
            man = design_panel(
                data.variants,
                Xtr,
                n=n,
                scores=s,
                min_maf=min_maf,
                min_spacing_bp=min_spacing_bp,
                candidate_share=candidate_share,
                tag_share=tag_share,
                tag_r2=tag_r2,
                tag_window_bp=tag_window_bp,
                neighbours=neigh,
            )
            panels = {
                "designed": man["index"].to_numpy(),
                "random": np.sort(rng.choice(p, n, replace=False)),
                "evenly_spaced": evenly_spaced(p, n),
            }
            for kind, idx in panels.items():
                K = grm(data.X[:, idx], Xtr[:, idx].mean(axis=0) / 2)
                gebv, adj, _ = gblup(K, data.y, data.W, train, test)
                cov = ld_coverage(Xtr, chrom=chrom, pos=pos, panel=idx, eligible=elig, r2=tag_r2, window_bp=tag_window_bp)
                rows.append((n, kind, r, f, float(np.corrcoef(gebv, adj)[0, 1]), cov.fraction, cov.mean_r2))
    t = pd.DataFrame(rows, columns=["size", "panel", "repeat", "fold", "accuracy", "coverage", "mean_r2"])
    per = t.groupby(["size", "panel", "repeat"])[["accuracy", "coverage", "mean_r2"]].mean().reset_index()
    out = per.groupby(["size", "panel"])["accuracy"].agg(["mean", "std", "count"]).reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    ld = per.groupby(["size", "panel"])[["coverage", "mean_r2"]].mean().reset_index()
    out = out.merge(ld, on=["size", "panel"])
    out.insert(0, "trait", data.trait)
    return out.rename(columns={"mean": "accuracy", "count": "repeats"}).drop(columns="std")


def plot_panel_curve(curve: pd.DataFrame, out: str | Path) -> Path:
    """Accuracy (error bars: SE over repeats) and, when the curve has it, LD coverage vs panel size,
    one line per trait x panel kind; black: all markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with_cov = "coverage" in curve.columns
    fig, axes = plt.subplots(1, 2 if with_cov else 1, figsize=(11 if with_cov else 6.5, 4.5), dpi=110, squeeze=False)
    ax, ax2 = axes[0, 0], (axes[0, 1] if with_cov else None)
    colors = {"designed": "#c0392b", "random": "#7f8c8d", "evenly_spaced": "#1f4e9c"}
    styles = ["-", "--", ":", "-."]
    for ti, (trait, g) in enumerate(curve.groupby("trait")):
        for kind, c in colors.items():
            s = g[g["panel"] == kind].sort_values("size")
            if not len(s):
                continue
            ax.errorbar(
                s["size"],
                s["accuracy"],
                yerr=s["se"].fillna(0),
                color=c,
                ls=styles[ti % 4],
                marker="o",
                ms=3,
                label=f"{trait} {kind}",
            )
            if ax2 is not None:
                ax2.plot(s["size"], s["coverage"], color=c, ls=styles[ti % 4], marker="o", ms=3, label=f"{trait} {kind}")
        a = g[g["panel"] == "all"]
        if len(a):
            ax.axhline(float(a["accuracy"].iloc[0]), color="black", lw=0.6, ls=styles[ti % 4])
    ax.set_xscale("log")
    ax.set_xlabel("panel size (markers)")
    ax.set_ylabel("GBLUP CV accuracy")
    ax.set_title("Breeding-chip panels (black: all markers)")
    ax.legend(fontsize=6, ncol=2)
    if ax2 is not None:
        ax2.set_xscale("log")
        ax2.set_ylim(0, 1)
        ax2.set_xlabel("panel size (markers)")
        ax2.set_ylabel("share of MAF-passing markers tagged (r² >= threshold)")
        ax2.set_title("LD coverage (training animals)")
    return save_figure(fig, out)
