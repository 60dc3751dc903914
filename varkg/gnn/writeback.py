"""Write variant-effect predictions back into the graph, with lineage.

Each prediction run writes, on the ``Variant`` nodes it scored, ``effect_score`` (the logit),
``effect_probability`` (Platt-calibrated), ``effect_rank`` (1 = most likely damaging among the
run's predictions) and ``prediction_run_id``, and one ``PredictionRun`` node with the model name,
checkpoint SHA-256, graph release, metrics, parameters and time.

Idempotence: the run id is derived from the checkpoint hash, the graph release and the task
(or given explicitly). In one transaction (:func:`varkg.provenance.replace_run`) the properties
of every node that carries this run id are cleared and the new ones written, so re-running the
same run replaces its values (also on variants it no longer scores), a failed write leaves the
previous ones, and the ``PredictionRun`` node is upserted by id, never duplicated. A node holds
one prediction: a different run writing the same variant takes it over.

Then, on either store, the top of a run's ranking with the genes the variants affect, and the
run's lineage (checkpoint hash, graph release, calibration and test metrics as JSON)::

    MATCH (v:Variant)-[:AFFECTS]->(g:Gene)
    WHERE v.prediction_run_id = $run AND v.effect_probability > 0.9
    RETURN g.symbol, v.id, v.effect_probability, v.effect_rank ORDER BY v.effect_rank

    MATCH (r:PredictionRun {id: $run}) RETURN r.checkpoint_hash, r.release_id, r.metrics, r.parameters

``effect_probability`` is calibrated on the validation fold (Platt or isotonic, the run's
``parameters.calibration``); the run's ``metrics.calibration`` gives the test ECE and Brier score
of that calibration, so a threshold on it can be read as an observed positive rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from varkg.errors import ModelError
from varkg.provenance import NodeWrite, PredictionRun, replace_run
from varkg.provenance import run_id as content_run_id

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

EFFECT_PROPERTIES = ("effect_score", "effect_probability", "effect_rank", "prediction_run_id")
MODEL_NAME = "varkg.gnn.EAHGT"


def run_id_for(*, checkpoint_hash: str, release_id: str, task: str = "variant-effect") -> str:
    """The deterministic id of a prediction run: same checkpoint on the same release = same run.

    >>> run_id_for(checkpoint_hash="ab", release_id="r1")[:19]
    'gnn-variant-effect-'
    """
    return content_run_id(f"gnn-{task}", checkpoint_hash=checkpoint_hash, release_id=release_id, task=task)


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
    table = pa.table(
        {
            "id": pa.array(keys, pa.string()),
            "effect_score": pa.array(np.asarray(predictions["logit"], dtype=np.float64)),
            "effect_probability": pa.array(np.asarray(predictions["probability"], dtype=np.float64)),
            "effect_rank": pa.array(np.asarray(predictions["rank"], dtype=np.int64)),
            "prediction_run_id": pa.array([run_id] * n, pa.string()),
        }
    )
    run = PredictionRun(
        run_id, task, model, checkpoint_hash, release_id, parameters=dict(parameters or {}), metrics=dict(metrics or {})
    )
    write = NodeWrite(node_type, table, clear=EFFECT_PROPERTIES, run_property="prediction_run_id")
    r = replace_run(store, run, nodes=[write])
    return {"cleared": r.cleared, "written": r.written}
