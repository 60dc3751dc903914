"""Provenance, defined once: Dataset and Release nodes, run nodes, and replacing a run's write-back.

* A **Dataset** node records one load (:func:`record_dataset`, called by the loader runner
  :func:`varkg.loaders.run.load`); a **Release** node summarises the graph (:func:`cut_release`,
  :func:`latest_release`).
* A **run** is one model or analysis whose results are written back: a :class:`PredictionRun`
  (LM scores and embeddings, GNN predictions) or a :class:`CausalRun` (MR, SMR, coloc, SEM,
  fine-mapping). Its id comes from :func:`run_id`: a prefix and a hash of what identifies the
  run, so running the same thing again yields the same id.
* :func:`replace_run` is the one write-back: in one ``store.transaction()`` it deletes the run's
  edges and clears the properties it set on nodes before, writes the new ones and upserts the
  run node. A re-run therefore replaces its values and never piles up duplicates, and a failure
  leaves the previous values in place.

Timestamps (``loaded_at``, ``created_at``) are UTC without a time zone, whole seconds, as the
schema's ``timestamp`` kind (Arrow ``timestamp[us]``) stores them: :func:`utc_now`.

Example:
    >>> run_id("gnn-variant-effect", checkpoint_hash="ab", release_id="r1") == run_id(
    ...     "gnn-variant-effect", release_id="r1", checkpoint_hash="ab")
    True
    >>> run_id("lm-score", model_id="m@1")[:9]
    'lm-score-'
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    from varkg.store.base import GraphStore

__all__ = [
    "CausalRun",
    "EdgeWrite",
    "NodeWrite",
    "PredictionRun",
    "ReplaceResult",
    "canonical_json",
    "cut_release",
    "latest_release",
    "record_dataset",
    "replace_run",
    "run_id",
    "utc_now",
    "varkg_version",
]


def varkg_version() -> str:
    """The installed varkg version (recorded in run lineage)."""
    try:
        from varkg import __version__

        return str(__version__)
    except ImportError:  # an editable install that resolves varkg as a namespace package
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("varkg")
        except PackageNotFoundError:
            return "unknown"


def utc_now() -> _dt.datetime:
    """Now, in UTC, as a naive datetime with whole seconds (the stored ``timestamp`` form)."""
    return _dt.datetime.now(_dt.UTC).replace(tzinfo=None, microsecond=0)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return str(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def canonical_json(obj: Any) -> str:
    """``obj`` as compact JSON with sorted keys (numpy scalars as numbers, non-finite floats and
    other objects as strings): the form parameters and metrics are stored in.

    >>> canonical_json({"b": 1, "a": [0.5, float("nan")]})
    '{"a":[0.5,"nan"],"b":1}'
    """
    return json.dumps(_jsonable(obj), sort_keys=True, separators=(",", ":"), default=str)


def run_id(prefix: str, **identity: Any) -> str:
    """The id of a run: ``{prefix}-{16 hex}``, a SHA-256 of ``identity`` as sorted-key JSON.

    Same prefix and identity, same id: that is what makes a re-run replace its earlier values.
    """
    blob = json.dumps(_jsonable(identity), sort_keys=True, default=str)
    return f"{prefix}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


# ------------------------------------------------------------------------------- run nodes


@dataclass(frozen=True)
class PredictionRun:
    """Lineage of a model run whose predictions were written back (a ``PredictionRun`` node).

    Attributes:
        id: the run id (:func:`run_id`).
        task: ``variant-effect``, ``lm-score``, ``lm-embed`` ...
        model: the model name.
        checkpoint_hash: SHA-256 (or other content hash) of the checkpoint.
        release_id: the graph Release it was computed on (None when it does not read the graph).
        parameters, metrics: JSON-serialisable mappings.
        created_at: when it ran (naive UTC, :func:`utc_now`).
    """

    id: str
    task: str
    model: str
    checkpoint_hash: str
    release_id: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    created_at: _dt.datetime = field(default_factory=utc_now)

    label = "PredictionRun"
    kind = "prediction"

    def table(self) -> pa.Table:
        """The run as a one-row ``PredictionRun`` node table."""
        return pa.table(
            {
                "id": [self.id],
                "task": [self.task],
                "model": [self.model],
                "checkpoint_hash": [self.checkpoint_hash],
                "release_id": pa.array([self.release_id], pa.string()),
                "metrics": [canonical_json(self.metrics)],
                "parameters": [canonical_json(self.parameters)],
                "created_at": pa.array([self.created_at], pa.timestamp("us")),
            }
        )


@dataclass(frozen=True)
class CausalRun:
    """Lineage of one causal analysis (a ``CausalRun`` node).

    Attributes:
        id: the run id (content hash by default; see :func:`varkg.causal.writeback.new_run`).
        method: ``mr_ivw``, ``smr``, ``coloc_abf``, ``susie``, ``sem`` ...
        version: ``"{method version} varkg {varkg.__version__}"``.
        release_id: the graph Release it was computed on (None when the graph has none).
        parameters: the analysis parameters (JSON-serialisable).
        created_at: when it ran (naive UTC, :func:`utc_now`).
    """

    id: str
    method: str
    version: str
    release_id: str | None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    created_at: _dt.datetime = field(default_factory=utc_now)

    label = "CausalRun"
    kind = "causal"

    def parameters_json(self) -> str:
        """Parameters as canonical JSON (sorted keys)."""
        return canonical_json(self.parameters)

    def table(self) -> pa.Table:
        """The run as a one-row ``CausalRun`` node table."""
        return pa.table(
            {
                "id": [self.id],
                "method": [self.method],
                "version": [self.version],
                "release_id": pa.array([self.release_id], pa.string()),
                "parameters": [self.parameters_json()],
                "created_at": pa.array([self.created_at], pa.timestamp("us")),
            }
        )


Run = PredictionRun | CausalRun


# ------------------------------------------------------------------------------- write-back


@dataclass(frozen=True)
class NodeWrite:
    """Properties a run sets on nodes of one type.

    Attributes:
        node_type: the node label.
        table: the key column plus the properties to set.
        clear: properties unset first on every node that carries this run's id in
            ``run_property`` (so nodes the run no longer writes lose its values).
        run_property: the node property holding the run id (``prediction_run_id``); with
            ``None`` nothing is cleared and values are only overwritten.
    """

    node_type: str
    table: pa.Table
    clear: Sequence[str] = ()
    run_property: str | None = None


@dataclass(frozen=True)
class EdgeWrite:
    """Edges a run asserts: all edges of this type and endpoint pair whose ``run_property``
    equals the run id are deleted first, then ``table`` (``src``, ``dst``, properties) is upserted."""

    edge_type: str
    src_type: str
    dst_type: str
    table: pa.Table
    run_property: str = "run_id"


@dataclass(frozen=True)
class ReplaceResult:
    """What :func:`replace_run` did: node values ``cleared``, edges ``deleted``, rows ``written``
    (nodes and edges upserted, including unchanged ones)."""

    run_id: str
    cleared: int = 0
    deleted: int = 0
    written: int = 0


def replace_run(
    store: GraphStore,
    run: Run,
    *,
    nodes: Sequence[NodeWrite] = (),
    edges: Sequence[EdgeWrite] = (),
    dataset: str | None = None,
) -> ReplaceResult:
    """Replace everything ``run`` wrote before with ``nodes`` and ``edges``, in one transaction.

    Args:
        store: an open graph store.
        run: the run's lineage; its node is upserted by id (never duplicated).
        nodes: node properties to set (see :class:`NodeWrite`).
        edges: edges to assert (see :class:`EdgeWrite`).
        dataset: appended to the ``datasets`` list of every record written (nodes, edges and
            the run node); edges default to ``"{run.kind}:{run.id}"`` (``causal:…``).

    Returns:
        A :class:`ReplaceResult`.

    Raises:
        ValidationError, DanglingEdgeError: a table does not fit the schema or names absent
            endpoints; the transaction is rolled back and the previous values stay.
    """
    cleared = deleted = written = 0
    with store.transaction():
        for w in nodes:
            if w.clear and w.run_property is not None:
                cleared += store.unset_node_properties(w.node_type, properties=list(w.clear), where={w.run_property: run.id})
        for e in edges:
            deleted += store.delete_edges(e.edge_type, src_type=e.src_type, dst_type=e.dst_type, where={e.run_property: run.id})
        for w in nodes:
            if w.table.num_rows:
                r = store.upsert_nodes(w.node_type, w.table, dataset=dataset)
                written += r.written + r.unchanged
        for e in edges:
            if e.table.num_rows:
                r = store.upsert_edges(
                    e.edge_type, e.table, src_type=e.src_type, dst_type=e.dst_type, dataset=dataset or f"{run.kind}:{run.id}"
                )
                written += r.written + r.unchanged
        store.upsert_nodes(run.label, run.table(), dataset=dataset)
    return ReplaceResult(run.id, int(cleared), int(deleted), int(written))


def replace_computation_edges(store: GraphStore, edges: EdgeWrite, *, dataset: str) -> tuple[int, int]:
    """Replace the edges one computation (the Dataset ``dataset``: LD, blocks, a GWAS) wrote before.

    Deletes the edges of ``edges``' type and endpoint pair whose ``run_property`` equals ``dataset``,
    then upserts ``edges.table``, skipping rows whose endpoints are not in the graph. Call it inside
    the transaction that also records the Dataset. Returns ``(written, skipped)``; ``written``
    counts unchanged rows too.
    """
    e = edges
    store.delete_edges(e.edge_type, src_type=e.src_type, dst_type=e.dst_type, where={e.run_property: dataset})
    if not e.table.num_rows:
        return 0, 0
    r = store.upsert_edges(e.edge_type, e.table, src_type=e.src_type, dst_type=e.dst_type, dataset=dataset, missing="skip")
    return int(r.inserted + r.updated + r.unchanged), int(r.skipped)


# ------------------------------------------------------------------------------- Dataset, Release


def record_dataset(
    store: GraphStore,
    *,
    dataset_id: str,
    name: str,
    loader: str,
    version: str | None,
    paths: Sequence[str | Path],
    checksum: str,
    assembly: str | None,
    row_counts: Mapping[str, int],
    parameters: Mapping[str, Any],
    artifacts: Sequence[str | Path] = (),
) -> None:
    """Upsert the ``Dataset`` node of one load; a reload keeps the first ``loaded_at``."""
    existing = store.query("MATCH (d:Dataset) WHERE d.id = $id RETURN d.loaded_at AS t", {"id": dataset_id})
    loaded_at = existing.column("t")[0].as_py() if existing.num_rows else utc_now()
    row = {
        "id": [dataset_id],
        "name": [name],
        "loader": [loader],
        "version": pa.array([version], pa.string()),
        "paths": [[str(Path(p).resolve()) for p in paths]],
        "checksum": [checksum],
        "assembly": pa.array([assembly], pa.string()),
        "loaded_at": pa.array([loaded_at], pa.timestamp("us")),
        "row_counts": [json.dumps(dict(row_counts), sort_keys=True)],
        "parameters": [json.dumps(dict(parameters), sort_keys=True, default=str)],
        "artifacts": pa.array([[str(a) for a in artifacts]], pa.list_(pa.string())),
    }
    store.upsert_nodes("Dataset", pa.table(row))


def cut_release(store: GraphStore) -> dict[str, Any]:
    """Record a ``Release`` node summarising the graph (schema hash, datasets, counts).

    The id is a hash of those, so cutting a release of an unchanged graph changes nothing.
    Returns ``{"id", "datasets", "counts"}``.
    """
    counts = {k: v for k, v in store.counts().items() if k not in {"Release"}}
    ds = sorted(store.query("MATCH (d:Dataset) RETURN d.id AS id").column("id").to_pylist())
    payload = json.dumps({"schema": store.schema.hash, "datasets": ds, "counts": counts}, sort_keys=True)
    rid = "release-" + hashlib.sha256(payload.encode()).hexdigest()[:16]
    have = store.query("MATCH (r:Release) WHERE r.id = $id RETURN r.id AS id", {"id": rid})
    if have.num_rows == 0:
        store.upsert_nodes(
            "Release",
            pa.table(
                {
                    "id": [rid],
                    "schema_version": [store.schema.version],
                    "schema_hash": [store.schema.hash],
                    "created_at": pa.array([utc_now()], pa.timestamp("us")),
                    "dataset_ids": pa.array([ds], pa.list_(pa.string())),
                    "counts": [json.dumps(counts, sort_keys=True)],
                }
            ),
        )
    return {"id": rid, "datasets": ds, "counts": counts}


def latest_release(store: GraphStore) -> str | None:
    """The id of the newest ``Release`` node, or None if none was cut."""
    t = store.query("MATCH (r:Release) RETURN r.id AS id, r.created_at AS t ORDER BY t DESC LIMIT 1")
    return str(t.column("id")[0].as_py()) if t.num_rows else None
