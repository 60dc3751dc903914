"""Classification metrics, calibration (Platt or isotonic, fitted on validation) and reliability plots.

Example:
    >>> import numpy as np
    >>> m = binary_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    >>> m["auroc"], m["n"]
    (0.75, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from varkg.figures import save_figure


@dataclass
class PlattCalibrator:
    """``p = sigmoid(a * logit + b)`` fitted on held-out logits (Platt 1999)."""

    a: float = 1.0
    b: float = 0.0
    kind: str = "platt"

    @classmethod
    def fit(cls, logits: np.ndarray, y: np.ndarray) -> PlattCalibrator:
        """Fit on validation logits; falls back to the identity when one class is missing."""
        from sklearn.linear_model import LogisticRegression

        y = np.asarray(y).astype(int)
        if np.unique(y).size < 2:
            return cls()
        lr = LogisticRegression(C=1e4, max_iter=1000).fit(np.asarray(logits, dtype=np.float64)[:, None], y)
        return cls(a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        z = self.a * np.asarray(logits, dtype=np.float64) + self.b
        return 1.0 / (1.0 + np.exp(-z))


@dataclass
class IsotonicCalibrator:
    """A monotone step function of the logit fitted on held-out logits (pool-adjacent-violators,
    Zadrozny & Elkan 2002), linearly interpolated between the fitted points and clipped to
    ``[eps, 1 - eps]`` so no variant gets a probability of exactly 0 or 1 from a small fold.

    >>> c = IsotonicCalibrator.fit(np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), np.array([0, 0, 1, 0, 1]))
    >>> c(np.array([-3.0, 0.5, 3.0])).round(3).tolist()
    [0.01, 0.5, 0.99]
    """

    x: list[float]
    y: list[float]
    eps: float = 0.01
    kind: str = "isotonic"

    @classmethod
    def fit(cls, logits: np.ndarray, y: np.ndarray, *, eps: float = 0.01) -> IsotonicCalibrator:
        from sklearn.isotonic import IsotonicRegression

        y = np.asarray(y).astype(float)
        z = np.asarray(logits, dtype=np.float64)
        if np.unique(y).size < 2:
            p = float(np.clip(y.mean() if y.size else 0.5, eps, 1 - eps))
            return cls(x=[0.0], y=[p], eps=eps)
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(z, y)
        return cls(x=[float(v) for v in iso.X_thresholds_], y=[float(v) for v in iso.y_thresholds_], eps=eps)

    def __call__(self, logits: np.ndarray) -> np.ndarray:
        p = np.interp(np.asarray(logits, dtype=np.float64), np.asarray(self.x), np.asarray(self.y))
        return np.clip(p, self.eps, 1 - self.eps)


Calibrator = PlattCalibrator | IsotonicCalibrator


def fit_calibrator(kind: str, logits: np.ndarray, y: np.ndarray) -> Calibrator:
    """Fit a ``"platt"`` or ``"isotonic"`` calibrator on validation logits."""
    if kind == "platt":
        return PlattCalibrator.fit(logits, y)
    if kind == "isotonic":
        return IsotonicCalibrator.fit(logits, y)
    from varkg.errors import ModelError

    raise ModelError(f"calibration must be 'platt' or 'isotonic', got {kind!r}")


def calibrator_from_dict(d: dict[str, Any]) -> Calibrator:
    """Rebuild a calibrator from ``dataclasses.asdict`` output (checkpoints)."""
    d = dict(d)
    if d.get("kind", "platt") == "isotonic":
        return IsotonicCalibrator(**d)
    return PlattCalibrator(**d)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> float:
    """ECE over ``bins`` equal-width probability bins (weighted by bin size)."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(y[m].mean() - p[m].mean())
    return float(ece)


def binary_metrics(y: np.ndarray, score: np.ndarray, *, threshold: float = 0.5, probability: bool = True) -> dict[str, Any]:
    """AUROC, AUPRC, and (for probabilities) F1, MCC, Brier and ECE at ``threshold``.

    ``score`` is oriented so that higher means more likely positive. Non-finite scores are left
    out (``n`` says how many were used).
    """
    from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, matthews_corrcoef, roc_auc_score

    y = np.asarray(y).astype(int)
    score = np.asarray(score, dtype=np.float64)
    ok = np.isfinite(score)
    y, score = y[ok], score[ok]
    out: dict[str, Any] = {"n": int(y.size), "n_pos": int(y.sum())}
    if y.size == 0 or np.unique(y).size < 2:
        return out | {"auroc": None, "auprc": None}
    out["auroc"] = round(float(roc_auc_score(y, score)), 4)
    out["auprc"] = round(float(average_precision_score(y, score)), 4)
    if probability:
        pred = (score >= threshold).astype(int)
        out["f1"] = round(float(f1_score(y, pred, zero_division=0)), 4)
        out["mcc"] = round(float(matthews_corrcoef(y, pred)), 4)
        out["brier"] = round(float(brier_score_loss(y, np.clip(score, 0, 1))), 4)
        out["ece"] = round(expected_calibration_error(y, score), 4)
    return out


def reliability_plot(y: np.ndarray, p: np.ndarray, path: str | Path, *, bins: int = 10, title: str = "Reliability") -> Path:
    """Write a reliability diagram (observed positive rate per predicted-probability bin) as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    xs, ys, ns = [], [], []
    for b in range(bins):
        m = which == b
        if m.any():
            xs.append(p[m].mean())
            ys.append(y[m].mean())
            ns.append(int(m.sum()))
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=1, label="perfect")
    ax.plot(xs, ys, "o-", label=f"model (ECE {expected_calibration_error(y, p, bins=bins):.3f})")
    for x, yy, n in zip(xs, ys, ns, strict=False):
        ax.annotate(str(n), (x, yy), textcoords="offset points", xytext=(3, -10), fontsize=7)
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed fraction positive")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return save_figure(fig, path, dpi=120)
