"""Write LM scores and embeddings back to graph nodes, with lineage.

Every write-back goes through :func:`varkg.provenance.replace_run`: in one transaction it sets
the node properties and upserts one ``PredictionRun`` node (``task`` = ``lm-score`` or
``lm-embed``) whose id is derived from the task, the model id and the node type, so re-running
the same model replaces the same run's values instead of piling up new ones. Node properties
written: ``lm_llr`` and ``lm_model_id`` (Variant scores); ``seq_embedding`` and ``lm_model_id``
(embeddings; Variant embeddings are alt − ref). The nodes carry the model id, not the run id,
so values are overwritten, never cleared: a re-run on fewer nodes leaves the others' values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from varkg.lm.embed import embeddings_table
from varkg.lm.score import Variant, VariantScore
from varkg.provenance import NodeWrite, PredictionRun, replace_run, run_id
from varkg.typing import Assembly


def _run(task: str, node_type: str, model_id: str, parameters: Mapping[str, Any], metrics: Mapping[str, Any]) -> PredictionRun:
    """The run of ``task`` by ``model_id`` (``name@checkpoint hash``) on ``node_type`` nodes."""
    return PredictionRun(
        run_id(task, node_type=node_type, model_id=model_id),
        task,
        model_id.split("@")[0],
        model_id.split("@")[-1],
        parameters=dict(parameters),
        metrics=dict(metrics),
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
    methods = sorted({s.method for s in scores})
    run = _run("lm-score", "Variant", model_id, dict(parameters or {}) | {"methods": methods}, {"n": len(variants)})
    return replace_run(store, run, nodes=[NodeWrite("Variant", table)], dataset=dataset).run_id


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
    table = embeddings_table(label, ids, vectors, model_id=model_id)
    run = _run("lm-embed", label, model_id, dict(parameters or {}), {"n": len(ids)})
    return replace_run(store, run, nodes=[NodeWrite(label, table)], dataset=dataset).run_id
