"""Write LM scores and embeddings back to graph nodes, with lineage.

Every write-back also upserts one ``PredictionRun`` node (``task`` = ``lm-score`` or
``lm-embed``) whose id is derived from the task, the model id and the node type, so re-running
the same model replaces the same run's values instead of piling up new ones. Node properties
written: ``lm_llr`` and ``lm_model_id`` (Variant scores); ``seq_embedding`` and ``lm_model_id``
(embeddings; Variant embeddings are alt − ref).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from varkg.lm.embed import embeddings_table
from varkg.lm.score import Variant, VariantScore
from varkg.typing import Assembly


def _run_table(*, run_id: str, task: str, model_id: str, parameters: Mapping[str, Any], metrics: Mapping[str, Any]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "id": [run_id],
            "task": [task],
            "model": [model_id.split("@")[0]],
            "checkpoint_hash": [model_id.split("@")[-1]],
            "parameters": [json.dumps(dict(parameters), sort_keys=True, default=str)],
            "metrics": [json.dumps(dict(metrics), sort_keys=True, default=str)],
            "created_at": pa.array([dt.datetime.now(dt.timezone.utc)], pa.timestamp("us", tz="UTC")),
        }
    )


def write_variant_scores(
    store: Any,
    variants: Sequence[Variant],
    scores: Sequence[VariantScore],
    *,
    assembly: Assembly,
    model_id: str,
    dataset: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """Set ``lm_llr`` and ``lm_model_id`` on Variant nodes and record the run; returns the run id."""
    import pyarrow as pa

    table = pa.table(
        {
            "id": [v.key(assembly) for v in variants],
            "lm_llr": pa.array([s.llr for s in scores], pa.float64()),
            "lm_model_id": [model_id] * len(variants),
        }
    )
    store.upsert_nodes("Variant", table, dataset=dataset)
    methods = sorted({s.method for s in scores})
    run_id = f"lm-score:Variant:{model_id}"
    store.upsert_nodes(
        "PredictionRun",
        _run_table(run_id=run_id, task="lm-score", model_id=model_id,
                   parameters=dict(parameters or {}) | {"methods": methods}, metrics={"n": len(variants)}),
        dataset=dataset,
    )
    return run_id


def write_embeddings(
    store: Any,
    label: str,
    ids: Sequence[str],
    vectors: np.ndarray,
    *,
    model_id: str,
    dataset: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """Set ``seq_embedding`` and ``lm_model_id`` on ``label`` nodes and record the run; returns the run id."""
    store.upsert_nodes(label, embeddings_table(label, ids, vectors, model_id=model_id), dataset=dataset)
    run_id = f"lm-embed:{label}:{model_id}"
    store.upsert_nodes(
        "PredictionRun",
        _run_table(run_id=run_id, task="lm-embed", model_id=model_id, parameters=dict(parameters or {}),
                   metrics={"n": len(ids)}),
        dataset=dataset,
    )
    return run_id
