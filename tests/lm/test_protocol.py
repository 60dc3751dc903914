"""The seed protocol: mean ± SE, the 2-SE verdict, dev-only selection (varkg.lm.protocol)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from varkg.errors import AnalysisError
from varkg.lm.protocol import (
    MeanSE,
    beats,
    compare,
    constant,
    difference,
    ensemble_probabilities,
    mean_se,
    select_by_dev,
    summarize,
)


def test_mean_se_matches_scipy_sem() -> None:
    xs = [62.61, 60.1, 64.35, 59.8]
    r = mean_se(xs)
    assert r.n == 4
    assert r.mean == pytest.approx(np.mean(xs))
    assert r.se == pytest.approx(stats.sem(xs))  # ddof=1 / sqrt(n)


def test_mean_se_single_run_has_unknown_error_and_constant_has_zero() -> None:
    assert math.isnan(mean_se([70.0]).se)
    assert constant(70.0) == MeanSE(70.0, 0.0, 1)
    assert mean_se([70.0]).as_dict() == {"mean": 70.0, "se": None, "n": 1}


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [float("inf")]])
def test_mean_se_rejects_empty_and_non_finite(bad: list[float]) -> None:
    with pytest.raises(AnalysisError):
        mean_se(bad)


def test_difference_se_adds_in_quadrature() -> None:
    d = difference(MeanSE(70.0, 3.0, 3), MeanSE(66.0, 4.0, 5))
    assert d.mean == pytest.approx(4.0)
    assert d.se == pytest.approx(5.0)
    assert d.n == 3


def test_beats_needs_more_than_two_se_of_the_difference() -> None:
    base = constant(66.0)
    assert beats(MeanSE(70.1, 2.0, 3), base)  # 4.1 > 4.0
    assert not beats(MeanSE(70.0, 2.0, 3), base)  # exactly 2 SE is not more
    assert not beats(MeanSE(65.0, 0.1, 3), base)  # worse
    assert beats(MeanSE(69.0, 2.0, 3), base, n_se=1.0)
    # the baseline's own error counts: 4.1 > 2 × 2 but not > 2 × √(2² + 1.5²) = 5
    assert not beats(MeanSE(70.1, 2.0, 3), MeanSE(66.0, 1.5, 3))
    # unknown error (one seed) never beats
    assert not beats(mean_se([90.0]), base)
    # both deterministic: any positive margin
    assert beats(constant(66.5), base)


def test_select_by_dev_best_then_grid_order() -> None:
    assert select_by_dev({"meanmax+rc": 58.1, "bins": 60.7}) == "bins"
    assert select_by_dev({"meanmax+rc": 60.7, "bins": 60.7}) == "meanmax+rc"
    assert select_by_dev({"a": -0.5}) == "a"
    with pytest.raises(AnalysisError):
        select_by_dev({})
    with pytest.raises(AnalysisError, match="'b'"):
        select_by_dev({"a": 1.0, "b": float("nan")})


def test_summarize_counts_tasks_beaten() -> None:
    rows = [
        compare(task="tf_0", model=MeanSE(67.0, 1.0, 3), baseline=constant(66.1)),
        compare(task="mouse_0", model=MeanSE(62.6, 1.2, 3), baseline=constant(53.4)),
    ]
    s = summarize(rows)
    assert s["n_tasks"] == 2
    assert s["n_beaten"] == 1
    assert s["tasks_beaten"] == ["mouse_0"]
    assert s["tasks_not_beaten"] == ["tf_0"]
    assert s["n_se"] == 2.0
    with pytest.raises(AnalysisError, match="tf_0"):
        summarize([rows[0], rows[0]])
    with pytest.raises(AnalysisError):
        summarize([rows[0], compare(task="x", model=constant(1.0), baseline=constant(0.0), n_se=1.0)])


def test_ensemble_is_the_equal_weight_mean_and_can_flip_a_call() -> None:
    lm = np.array([[0.9, 0.1], [0.45, 0.55], [0.2, 0.8]])
    kmer = np.array([[0.7, 0.3], [0.75, 0.25], [0.4, 0.6]])
    ens = ensemble_probabilities({"varkg": lm, "kmer": kmer})
    np.testing.assert_allclose(ens, [[0.8, 0.2], [0.6, 0.4], [0.3, 0.7]])
    assert list(ens.argmax(1)) == [0, 0, 1]  # the second call differs from the LM's own
    np.testing.assert_allclose(ens.sum(1), 1.0)


def test_ensemble_names_the_member_whose_shape_differs() -> None:
    with pytest.raises(AnalysisError, match="'kmer' has shape \\(2, 2\\)"):
        ensemble_probabilities({"varkg": np.full((3, 2), 0.5), "kmer": np.full((2, 2), 0.5)})
    with pytest.raises(AnalysisError, match="no members"):
        ensemble_probabilities({})
