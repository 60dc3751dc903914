"""The seed protocol for benchmark tables: mean ± standard error, dev-only selection, the 2-SE rule.

A benchmark row states one model's score on one task as the mean over fine-tuning seeds with its
standard error (``MeanSE``); settings come from a fixed grid, picked by dev score alone
(``select_by_dev``, the same rule for every task); a model "beats" a baseline on a task when the
difference of the means exceeds ``n_se`` (default 2) standard errors of that difference
(``beats``), and ``summarize`` counts those tasks. Scores are whatever the caller measures
(MCC × 100 in ``benchmarks/bench_gue.py``); nothing here knows about models.

Example:
    >>> lm, kmer = mean_se([70.0, 72.0, 74.0]), constant(65.0)
    >>> round(lm.mean, 2), round(lm.se, 3)
    (72.0, 1.155)
    >>> beats(lm, kmer), round(difference(lm, kmer).se, 3)
    (True, 1.155)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from varkg.errors import AnalysisError


@dataclass(frozen=True)
class MeanSE:
    """A mean over ``n`` independent runs and its standard error (sample SD / √n).

    Attributes:
        mean: the mean score.
        se: its standard error; 0.0 for a deterministic quantity (``constant``), ``nan`` for a
            single run of a random one (its error is unknown).
        n: number of runs behind the mean.
    """

    mean: float
    se: float
    n: int

    def as_dict(self, *, digits: int = 2) -> dict[str, float | int | None]:
        """``{"mean", "se", "n"}`` rounded for JSON (``se`` is ``None`` when unknown)."""
        return {
            "mean": round(self.mean, digits),
            "se": None if math.isnan(self.se) else round(self.se, digits),
            "n": self.n,
        }


def mean_se(values: Sequence[float]) -> MeanSE:
    """Mean and standard error (sample standard deviation with n − 1, over √n) of per-seed scores.

    Args:
        values: one score per seed (e.g. test MCC × 100), in any order.

    Raises:
        AnalysisError: no values, or a value that is not a finite number.
    """
    xs = [float(v) for v in values]
    if not xs:
        raise AnalysisError("mean_se: got no values; expected one score per seed")
    bad = [v for v in xs if not math.isfinite(v)]
    if bad:
        raise AnalysisError(f"mean_se: got non-finite score(s) {bad!r}; expected finite numbers")
    n = len(xs)
    mean = sum(xs) / n
    if n == 1:
        return MeanSE(mean, math.nan, 1)
    var = sum((v - mean) ** 2 for v in xs) / (n - 1)
    return MeanSE(mean, math.sqrt(var / n), n)


def constant(value: float) -> MeanSE:
    """A deterministic score (same result for every seed): standard error 0.

    Raises:
        AnalysisError: the value is not finite.
    """
    if not math.isfinite(float(value)):
        raise AnalysisError(f"constant: got {value!r}; expected a finite number")
    return MeanSE(float(value), 0.0, 1)


def difference(a: MeanSE, b: MeanSE) -> MeanSE:
    """``a − b`` with the standard error of a difference of independent means, √(se_a² + se_b²).

    ``n`` is the smaller of the two run counts; an unknown (``nan``) SE on either side stays unknown.
    """
    return MeanSE(a.mean - b.mean, math.sqrt(a.se**2 + b.se**2), min(a.n, b.n))


def beats(model: MeanSE, baseline: MeanSE, *, n_se: float = 2.0) -> bool:
    """True when ``model.mean − baseline.mean > n_se × SE(difference)``; False when the SE is unknown.

    With both sides deterministic (SE 0) any positive difference counts.
    """
    d = difference(model, baseline)
    if math.isnan(d.se):
        return False
    return d.mean > n_se * d.se


def select_by_dev(dev_scores: Mapping[str, float]) -> str:
    """The grid point with the highest dev score; ties go to the earliest point in the grid's order.

    Args:
        dev_scores: grid point name → dev score, in grid order (a ``dict`` keeps insertion order).

    Raises:
        AnalysisError: an empty grid or a non-finite dev score.
    """
    if not dev_scores:
        raise AnalysisError("select_by_dev: the grid is empty; expected at least one setting")
    best_name, best = "", -math.inf
    for name, score in dev_scores.items():
        if not math.isfinite(float(score)):
            raise AnalysisError(f"select_by_dev: dev score of {name!r} is {score!r}; expected a finite number")
        if float(score) > best:
            best_name, best = name, float(score)
    return best_name


def ensemble_probabilities(members: Mapping[str, np.ndarray]) -> np.ndarray:
    """The equal-weight ensemble: the mean of the members' ``(n, classes)`` class probabilities.

    Fixed weights, so nothing is tuned on dev or test; an ensemble is reported as its own model
    beside its members (``benchmarks/bench_gue.py``: ``varkg+kmer``), never in place of one.

    Raises:
        AnalysisError: no members, a member that is not ``(n, classes)``, or members whose shapes
            differ (the offending member and shape are named).
    """
    if not members:
        raise AnalysisError("ensemble_probabilities: no members given")
    arrays = {name: np.asarray(p, dtype=float) for name, p in members.items()}
    first_name, first = next(iter(arrays.items()))
    for name, a in arrays.items():
        if a.ndim != 2 or a.shape != first.shape:
            raise AnalysisError(
                f"ensemble_probabilities: member {name!r} has shape {a.shape}; expected (n, classes) "
                f"matching {first_name!r} {first.shape}"
            )
    return np.mean(np.stack(list(arrays.values())), axis=0)


@dataclass(frozen=True)
class TaskComparison:
    """One task's model and baseline scores and the verdict of ``beats``."""

    task: str
    model: MeanSE
    baseline: MeanSE
    diff: MeanSE
    beats: bool
    n_se: float


def compare(*, task: str, model: MeanSE, baseline: MeanSE, n_se: float = 2.0) -> TaskComparison:
    """Difference and 2-SE verdict for one task."""
    return TaskComparison(task, model, baseline, difference(model, baseline), beats(model, baseline, n_se=n_se), n_se)


def summarize(comparisons: Sequence[TaskComparison]) -> dict[str, object]:
    """Counts for a protocol line: tasks, how many (``n_beaten``) the model beats by more than
    ``n_se`` SE of the difference, and which.

    Raises:
        AnalysisError: a task appears twice, or the rows were judged with different ``n_se``.
    """
    names = [c.task for c in comparisons]
    dupes = sorted({t for t in names if names.count(t) > 1})
    if dupes:
        raise AnalysisError(f"summarize: task(s) {dupes!r} appear more than once; expected one row per task")
    thresholds = sorted({c.n_se for c in comparisons})
    if len(thresholds) > 1:
        raise AnalysisError(f"summarize: rows judged with n_se {thresholds!r}; expected one threshold")
    won = [c.task for c in comparisons if c.beats]
    return {
        "n_tasks": len(comparisons),
        "n_beaten": len(won),
        "tasks_beaten": won,
        "tasks_not_beaten": [c.task for c in comparisons if not c.beats],
        "n_se": thresholds[0] if thresholds else None,
        "differences": {c.task: c.diff.as_dict() for c in comparisons},
    }


__all__ = [
    "MeanSE",
    "TaskComparison",
    "beats",
    "compare",
    "constant",
    "difference",
    "ensemble_probabilities",
    "mean_se",
    "select_by_dev",
    "summarize",
]
