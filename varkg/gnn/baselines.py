"""Graph-free baselines, fitted and scored in the same run as the graph model.

* ``logistic_regression`` and ``gradient_boosting``: on the target nodes' own feature matrix (the
  same columns the graph model's encoder receives, no neighbourhood).
* single scores: the language-model ``lm_llr`` alone (negated: a lower log-likelihood ratio means
  a less plausible, more damaging allele) and ``phylop`` alone (higher = more conserved), where
  present. Their orientation is fixed in advance, never chosen on the test labels.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0); X = rng.normal(size=(200, 3)); y = (X[:, 0] > 0).astype(int)
    >>> b = GraphFreeBaselines.fit(X[:150], y[:150], seed=0)
    >>> b.score(X[150:])["logistic_regression"].shape
    (50,)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCORE_BASELINES: dict[str, float] = {"lm_llr": -1.0, "phylop": 1.0}
"""Single-property baselines and their fixed orientation (+1: higher = more damaging)."""


@dataclass
class GraphFreeBaselines:
    """Fitted logistic regression and gradient boosting on node features."""

    models: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, seed: int = 0) -> GraphFreeBaselines:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = np.asarray(y).astype(int)
        lr = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000, random_state=seed)).fit(X, y)
        gb = HistGradientBoostingClassifier(
            max_iter=200,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=10,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        ).fit(X, y)
        return cls(models={"logistic_regression": lr, "gradient_boosting": gb})

    def score(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Probability of the positive class per model."""
        return {name: m.predict_proba(X)[:, 1] for name, m in self.models.items()}


def score_baselines(table: Any, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Oriented single-property scores (``nan`` where absent) for ``rows`` of a node table."""
    out: dict[str, np.ndarray] = {}
    for name, sign in SCORE_BASELINES.items():
        if name not in table.column_names:
            continue
        col = table.column(name).to_numpy(zero_copy_only=False)
        v = np.asarray(col, dtype=np.float64)[np.asarray(rows, dtype=np.int64)]
        if np.isfinite(v).any():
            out[name] = sign * v
    return out
