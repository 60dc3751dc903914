"""Interpretation results back into the graph, with lineage (:func:`varkg.provenance.replace_run`).

* :func:`write_enrichment`: ``enrichment_pvalue``, ``enrichment_fdr``, ``enrichment_fold``,
  ``enrichment_run_id`` on the ``Pathway`` nodes the result names (sets that are not Pathway
  nodes, e.g. phenotypes or TFs, stay in the run's metrics only), plus one ``PredictionRun``
  (task ``enrichment``) with the parameters (study, background, libraries, mapping) and the top
  results as metrics. The run id is a hash of the parameters: re-running replaces, and a
  Pathway the new result no longer names loses the old run's values.
* :func:`write_eqtl_support`: ``ism_score``, ``eqtl_support``, ``ism_run_id`` on Variant nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from varkg.provenance import NodeWrite, PredictionRun, replace_run, run_id, varkg_version

if TYPE_CHECKING:
    from varkg.store.base import GraphStore


def write_enrichment(store: GraphStore, result: pd.DataFrame, *, parameters: Mapping[str, Any], top: int = 50) -> str:
    """Write an enrichment ``result`` (:func:`~varkg.interpret.enrichment.over_representation`) back; returns the run id."""
    params = dict(parameters)
    rid = run_id("enrichment", **params)
    ids = result["set_id"].astype(str).tolist()
    have = set(store.query("MATCH (p:Pathway) WHERE p.id IN $ids RETURN p.id AS id", {"ids": ids}).column("id").to_pylist())
    r = result[result["set_id"].isin(have)].drop_duplicates("set_id")
    table = pa.table(
        {
            "id": pa.array(r["set_id"].astype(str).tolist(), pa.string()),
            "enrichment_pvalue": pa.array(r["pvalue"].astype(float).tolist(), pa.float64()),
            "enrichment_fdr": pa.array(r["fdr"].astype(float).tolist(), pa.float64()),
            "enrichment_fold": pa.array(r["fold"].astype(float).tolist(), pa.float64()),
            "enrichment_run_id": pa.array([rid] * len(r), pa.string()),
        }
    )
    head = result.head(top)[["library", "set_id", "name", "overlap", "set_size", "pvalue", "fdr"]].to_dict("records")
    run = PredictionRun(
        rid,
        "enrichment",
        "varkg-ora",
        f"varkg {varkg_version()}",
        parameters=params,
        metrics={"n_tested": len(result), "n_fdr_05": int((result["fdr"] < 0.05).sum()), "top": head},
    )
    clear = ["enrichment_pvalue", "enrichment_fdr", "enrichment_fold", "enrichment_run_id"]
    node = NodeWrite("Pathway", table, clear=clear, run_property="enrichment_run_id")
    return replace_run(store, run, nodes=[node]).run_id


def write_eqtl_support(
    store: GraphStore, calls: pd.DataFrame, *, model_id: str, parameters: Mapping[str, Any] | None = None
) -> str:
    """Set ``ism_score``/``eqtl_support``/``ism_run_id`` on Variant nodes from
    :func:`~varkg.interpret.attribution.eqtl_support` output (``variant``, ``ism_score``, ``support``)."""
    params = dict(parameters or {}) | {"model_id": model_id}
    rid = run_id("ism", **params)
    c = calls.drop_duplicates("variant")
    table = pa.table(
        {
            "id": pa.array(c["variant"].astype(str).tolist(), pa.string()),
            "ism_score": pa.array(c["ism_score"].astype(float).tolist(), pa.float64()),
            "eqtl_support": pa.array(c["support"].astype(str).tolist(), pa.string()),
            "ism_run_id": pa.array([rid] * len(c), pa.string()),
        }
    )
    metrics = {"n": len(c), "supporting": int((c["support"] == "supporting").sum())}
    run = PredictionRun(rid, "ism", model_id.split("@")[0], model_id.split("@")[-1], parameters=params, metrics=metrics)
    node = NodeWrite("Variant", table, clear=["ism_score", "eqtl_support", "ism_run_id"], run_property="ism_run_id")
    return replace_run(store, run, nodes=[node]).run_id
