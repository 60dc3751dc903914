"""End-to-end evaluation on unseen labelled variants, and prediction write-back for the CLI.

:func:`evaluate_labels` is what ``varkg gnn evaluate`` runs: it loads the labelled variants into
the graph (features and AFFECTS edges only, never the labels), exports the graph with the
checkpoint's feature encoding, predicts those variants with the deterministic full-neighbourhood
pass, scores the checkpoint's graph-free baselines and the single-score baselines on the same
variants, and returns AUROC/AUPRC for each.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from varkg.gnn.baselines import score_baselines
from varkg.gnn.metrics import binary_metrics

if TYPE_CHECKING:
    from varkg.store.base import GraphStore


def evaluate_labels(store: GraphStore, labels: str | Path, *, checkpoint: str | Path, assembly: str = "GRCh38") -> dict[str, Any]:
    """AUROC/AUPRC of the model and each baseline on the labelled variants of ``labels``."""
    from varkg.gnn.labels import labelled_graph
    from varkg.gnn.train import load_checkpoint, predict_variants

    ckpt = load_checkpoint(checkpoint)
    lg = labelled_graph(store, labels, assembly=assembly, encoder=ckpt.encoder)
    ex, idx, y, loaded = lg.export, lg.index, lg.y, lg.loaded
    pred = predict_variants(ckpt, ex, idx)
    out: dict[str, Any] = {
        "n": int(y.size),
        "n_pos": int(y.sum()),
        "checkpoint_sha256": ckpt.sha256,
        "release_id": ex.release_id,
        "variants_loaded": loaded["variants"],
    }
    out["model"] = _auc(y, pred["probability"])
    target = ckpt.config.model.target
    if ckpt.baselines is not None:
        X = ex.data[target].x.numpy()[idx]
        for name, s in ckpt.baselines.score(X).items():
            out[name] = _auc(y, s)
    for name, s in score_baselines(ex.node_tables[target], idx).items():
        out[name] = _auc(y, s)
    return out


def _auc(y: np.ndarray, s: np.ndarray) -> dict[str, Any]:
    m = binary_metrics(y, s, probability=False)
    return {"auroc": m["auroc"], "auprc": m["auprc"], "n": m["n"]}


def run_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """What a ``PredictionRun`` records of a checkpoint's metrics: the model's test metrics
    (AUROC, AUPRC, F1, MCC, Brier, ECE), the calibration (method, fold, test ECE/Brier of each
    calibrator), the graph gate, the split and the baselines' test AUROC/AUPRC."""
    out: dict[str, Any] = dict(metrics.get("model", {}))
    for k in ("calibration", "graph_gate", "split"):
        if k in metrics:
            out[k] = metrics[k]
    out["baselines"] = {
        k: {"auroc": v.get("auroc"), "auprc": v.get("auprc")}
        for k, v in metrics.items()
        if isinstance(v, dict) and "auroc" in v and k not in ("model", "val_model")
    }
    return out


def predict_and_write(store: GraphStore, *, checkpoint: str | Path, run_id: str | None = None) -> dict[str, Any]:
    """Score every target node and write the predictions back (replacing this run's values)."""
    from varkg.gnn.export import export_graph
    from varkg.gnn.train import load_checkpoint, predict_variants
    from varkg.gnn.writeback import run_id_for, write_predictions

    ckpt = load_checkpoint(checkpoint)
    ex = export_graph(store, encoder=ckpt.encoder)
    pred = predict_variants(ckpt, ex)
    rid = run_id or run_id_for(checkpoint_hash=ckpt.sha256, release_id=ex.release_id, task="variant-effect")
    counts = write_predictions(
        store,
        pred,
        run_id=rid,
        checkpoint_hash=ckpt.sha256,
        release_id=ex.release_id,
        metrics=run_metrics(ckpt.metrics),
        parameters=ckpt.config.to_dict(),
    )
    return {"run_id": rid, "release_id": ex.release_id, "predicted": int(len(pred["key"])), **counts}
