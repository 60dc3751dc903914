"""Write variant-effect predictions back into the graph, with lineage.

Each prediction run writes, on the ``Variant`` nodes it scored, ``effect_score`` (the logit),
``effect_probability`` (Platt-calibrated), ``effect_rank`` (1 = most likely damaging among the
run's predictions) and ``prediction_run_id``, and one ``PredictionRun`` node with the model name,
checkpoint SHA-256, graph release, metrics, parameters and time.

Idempotence: the run id is derived from the checkpoint hash, the graph release and the task
(or given explicitly). Before writing, the properties of every node that carries this run id are
cleared, so re-running the same run replaces its values (also on variants it no longer scores)
and the ``PredictionRun`` node is upserted by id, never duplicated. A node holds one
prediction: a different run writing the same variant takes it over.

Then, on either store::

    MATCH (v:Variant) WHERE v.effect_probability > 0.9
    RETURN v.id, v.effect_probability, v.effect_rank ORDER BY v.effect_rank
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from varkg.errors import ModelError

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

EFFECT_PROPERTIES = ("effect_score", "effect_probability", "effect_rank", "prediction_run_id")
MODEL_NAME = "varkg.gnn.EAHGT"


def run_id_for(*, checkpoint_hash: str, release_id: str, task: str = "variant-effect") -> str:
    """The deterministic id of a prediction run: same checkpoint on the same release = same run.

    >>> run_id_for(checkpoint_hash="ab", release_id="r1")[:14]
    'gnn-variant-ef'
    """
    digest = hashlib.sha256(f"{checkpoint_hash}|{release_id}|{task}".encode()).hexdigest()[:16]
    return f"gnn-{task}-{digest}"


def write_predictions(
    store: GraphStore,
    predictions: Mapping[str, np.ndarray],
    *,
    run_id: str,
    checkpoint_hash: str,
    release_id: str,
    metrics: Mapping[str, Any] | None = None,
    parameters: Mapping[str, Any] | None = None,
    task: str = "variant-effect",
    model: str = MODEL_NAME,
    node_type: str = "Variant",
) -> dict[str, int]:
    """Replace run ``run_id``'s predictions with ``predictions`` (``key``, ``logit``,
    ``probability``, ``rank`` arrays as :func:`~varkg.gnn.train.predict_variants` returns).

    Returns counts: ``cleared`` (nodes whose earlier values of this run were unset) and
    ``written`` (nodes upserted).
    """
    keys = [str(k) for k in np.asarray(predictions["key"]).tolist()]
    n = len(keys)
    for name in ("logit", "probability", "rank"):
        if len(predictions[name]) != n:
            raise ModelError(f"predictions[{name!r}] has {len(predictions[name])} values for {n} keys")
    cleared = store.unset_node_properties(node_type, properties=list(EFFECT_PROPERTIES), where={"prediction_run_id": run_id})
    table = pa.table(
        {
            "id": pa.array(keys, pa.string()),
            "effect_score": pa.array(np.asarray(predictions["logit"], dtype=np.float64)),
            "effect_probability": pa.array(np.asarray(predictions["probability"], dtype=np.float64)),
            "effect_rank": pa.array(np.asarray(predictions["rank"], dtype=np.int64)),
            "prediction_run_id": pa.array([run_id] * n, pa.string()),
        }
    )
    res = store.upsert_nodes(node_type, table) if n else None
    run = pa.table(
        {
            "id": [run_id],
            "task": [task],
            "model": [model],
            "checkpoint_hash": [checkpoint_hash],
            "release_id": [release_id],
            "metrics": [json.dumps(dict(metrics or {}), sort_keys=True, default=str)],
            "parameters": [json.dumps(dict(parameters or {}), sort_keys=True, default=str)],
            "created_at": pa.array([dt.datetime.now(dt.UTC).replace(tzinfo=None)], pa.timestamp("us")),
        }
    )
    store.upsert_nodes("PredictionRun", run)
    return {"cleared": int(cleared), "written": int(res.written + res.unchanged) if res else 0}
