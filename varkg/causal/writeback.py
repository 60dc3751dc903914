"""Write causal findings back into the graph, with lineage; re-running a run replaces its values.

Every write belongs to a :class:`CausalRun` (a ``CausalRun`` node: method, method version, the
graph release it was computed on, the parameters as JSON and the time). Its id is, by default, a
content hash of ``method``, ``version``, ``release_id``, ``parameters`` and a ``scope`` naming
the inputs (e.g. ``"exposure=eqtl_liver;outcome=EFO:0004611"``): running the same analysis
again yields the same id, and :func:`write_causal_edges` first deletes that run's edges and then
writes the new ones in one transaction (:func:`varkg.provenance.replace_run`), so values are
replaced and never piled up. Give ``run_id`` explicitly to version runs yourself.

The endpoint pairs ``CAUSAL_FOR`` may connect are read from the schema.

* :func:`write_causal_edges`: ``CAUSAL_FOR`` edges (Variant→Gene, Gene→Phenotype,
  Variant→Phenotype, Gene→Gene) with ``method, run_id, estimate, se, pvalue, n_instruments,
  heterogeneity_q, heterogeneity_p, pp_h4, version, release_id, parameters, created_at``.
* :func:`write_finemap`: ``pip``, ``credible_set``, ``finemap_trait``, ``finemap_run_id`` on
  existing Variant nodes (a variant holds the latest fine-mapping written for it; the run's
  previous values are cleared first).

Tables are converted from MR/SMR/coloc results by :func:`mr_edges`, :func:`smr_edges`,
:func:`coloc_edges`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from varkg.errors import AnalysisError, DanglingEdgeError
from varkg.provenance import CausalRun, EdgeWrite, NodeWrite, replace_run, varkg_version
from varkg.provenance import run_id as content_run_id

__all__ = [
    "CausalRun",
    "new_run",
    "write_causal_edges",
    "write_finemap",
    "mr_edges",
    "smr_edges",
    "coloc_edges",
    "EDGE_COLUMNS",
]

EDGE_COLUMNS: tuple[str, ...] = (
    "src",
    "dst",
    "estimate",
    "se",
    "pvalue",
    "n_instruments",
    "heterogeneity_q",
    "heterogeneity_p",
    "pp_h4",
)


def new_run(
    method: str,
    *,
    method_version: str,
    parameters: Mapping[str, Any] | None = None,
    scope: str = "",
    release_id: str | None = None,
    run_id: str | None = None,
) -> CausalRun:
    """Make the lineage record of a run; the id is a content hash unless ``run_id`` is given.

    >>> a = new_run("mr_ivw", method_version="varkg-mr/1", parameters={"p": 5e-8}, scope="g1;t1")
    >>> b = new_run("mr_ivw", method_version="varkg-mr/1", parameters={"p": 5e-8}, scope="g1;t1")
    >>> a.id == b.id, a.id.startswith("mr_ivw-")
    (True, True)
    """
    version = f"{method_version} varkg {varkg_version()}"
    params = dict(parameters or {})
    if run_id is None:
        run_id = content_run_id(method, method=method, version=version, release=release_id, parameters=params, scope=scope)
    return CausalRun(run_id, method, version, release_id, params)


def write_causal_edges(
    store: Any,
    run: CausalRun,
    edges: pd.DataFrame | pa.Table,
    *,
    src_type: str,
    dst_type: str,
    method: str | None = None,
) -> int:
    """Replace ``run``'s ``CAUSAL_FOR`` edges between ``src_type`` and ``dst_type`` with ``edges``.

    Args:
        store: an open :class:`~varkg.store.GraphStore`.
        run: the run's lineage (its ``CausalRun`` node is upserted too).
        edges: ``src``, ``dst`` (node keys) and any of ``estimate, se, pvalue, n_instruments,
            heterogeneity_q, heterogeneity_p, pp_h4``; an optional ``method`` column overrides
            ``method`` per row (one MR run writes ``mr_ivw`` and ``mr_egger`` edges).
        src_type, dst_type: the endpoint types (Variant→Gene, Gene→Phenotype, Variant→Phenotype,
            Gene→Gene).
        method: the method written on every row without a ``method`` column (default ``run.method``).

    Returns:
        The number of edges written.

    Raises:
        AnalysisError: an unsupported endpoint pair or unknown columns.
        DanglingEdgeError: an endpoint is not in the graph (nothing is written).
    """
    endpoints = store.schema.edge("CAUSAL_FOR").endpoints
    if (src_type, dst_type) not in endpoints:
        raise AnalysisError(f"CAUSAL_FOR {src_type}->{dst_type} is not supported; expected one of {sorted(endpoints)}")
    df = edges.to_pandas() if isinstance(edges, pa.Table) else pd.DataFrame(edges).copy()
    extra = set(df.columns) - set(EDGE_COLUMNS) - {"method"}
    if extra:
        raise AnalysisError(f"unknown CAUSAL_FOR column(s) {sorted(extra)}; expected some of {list(EDGE_COLUMNS)} and 'method'")
    if not {"src", "dst"} <= set(df.columns):
        raise AnalysisError("edges need 'src' and 'dst' columns (node keys)")
    if "method" not in df.columns:
        df["method"] = method or run.method
    dup = df.duplicated(["src", "dst", "method"])
    if dup.any():
        raise AnalysisError(
            f"{int(dup.sum())} duplicated (src, dst, method) edge(s), e.g. "
            f"{df.loc[dup, ['src', 'dst', 'method']].iloc[0].tolist()}"
        )
    cols: dict[str, pa.Array] = {
        "src": pa.array(df["src"].astype(str)),
        "dst": pa.array(df["dst"].astype(str)),
        "method": pa.array(df["method"].astype(str)),
        "run_id": pa.array([run.id] * len(df)),
    }
    for c in ("estimate", "se", "pvalue", "heterogeneity_q", "heterogeneity_p", "pp_h4"):
        if c in df.columns:
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(float)
            cols[c] = pa.array(np.where(np.isfinite(v), v, np.nan), pa.float64(), mask=~np.isfinite(v))
    if "n_instruments" in df.columns:
        cols["n_instruments"] = pa.array(pd.to_numeric(df["n_instruments"]).astype("Int64"), pa.int64())
    n = len(df)
    cols["version"] = pa.array([run.version] * n)
    cols["release_id"] = pa.array([run.release_id] * n, pa.string())
    cols["parameters"] = pa.array([run.parameters_json()] * n)
    cols["created_at"] = pa.array([run.created_at] * n, pa.timestamp("us"))
    replace_run(store, run, edges=[EdgeWrite("CAUSAL_FOR", src_type, dst_type, pa.table(cols))])
    return n


def write_finemap(
    store: Any,
    run: CausalRun,
    *,
    variant_ids: Sequence[str],
    pip: Sequence[float] | np.ndarray,
    credible_set: Sequence[str | None],
    trait: str,
    missing: str = "error",
) -> int:
    """Write fine-mapping PIPs and credible-set ids onto existing Variant nodes.

    The run's previous values are cleared first (``finemap_run_id = run.id``). Credible-set ids
    are written as ``"{run.id}:{L}"`` (e.g. ``"susie-…:L2"``) so sets from different runs never
    collide; variants outside any set get a null ``credible_set``.

    Args:
        variant_ids: Variant keys, aligned with ``pip`` and ``credible_set``.
        pip: posterior inclusion probabilities.
        credible_set: per variant, the set name (``"L2"``) or None.
        trait: the trait fine-mapped (a Phenotype id or name).
        missing: ``"error"`` raises when a variant is not in the graph; ``"skip"`` ignores it.

    Returns:
        The number of Variant nodes written.
    """
    ids = [str(v) for v in variant_ids]
    p = np.asarray(pip, dtype=float)
    if len(ids) != p.shape[0] or len(credible_set) != len(ids):
        raise AnalysisError(
            f"variant_ids ({len(ids)}), pip ({p.shape[0]}) and credible_set ({len(credible_set)}) differ in length"
        )
    if len(set(ids)) != len(ids):
        raise AnalysisError("duplicated variant ids in fine-mapping write-back")
    found = store.query("UNWIND $ids AS k MATCH (v:Variant {id: k}) RETURN v.id AS id", {"ids": ids})
    present = set(found.column("id").to_pylist())
    absent = [v for v in ids if v not in present]
    if absent and missing == "error":
        raise DanglingEdgeError(
            f"{len(absent)} fine-mapped variant(s) are not Variant nodes in the graph, e.g. {absent[:5]}; load them first or "
            "pass missing='skip'"
        )
    keep = [i for i, v in enumerate(ids) if v in present]
    table = pa.table(
        {
            "id": [ids[i] for i in keep],
            "pip": pa.array(p[keep], pa.float64()),
            "credible_set": pa.array([f"{run.id}:{credible_set[i]}" if credible_set[i] else None for i in keep], pa.string()),
            "finemap_trait": [trait] * len(keep),
            "finemap_run_id": [run.id] * len(keep),
        }
    )
    clear = ["pip", "credible_set", "finemap_trait", "finemap_run_id"]
    replace_run(store, run, nodes=[NodeWrite("Variant", table, clear=clear, run_property="finemap_run_id")])
    return len(keep)


# ------------------------------------------------------------------ result → edge tables


def mr_edges(results: Sequence[Any], *, src: str, dst: str) -> pd.DataFrame:
    """One edge per MR method for ``src``→``dst`` from :class:`~varkg.causal.mr.MRResult` objects."""
    return pd.DataFrame(
        [
            dict(
                src=src,
                dst=dst,
                method=r.method,
                estimate=r.estimate,
                se=r.se,
                pvalue=r.p,
                n_instruments=r.n_instruments,
                heterogeneity_q=r.q,
                heterogeneity_p=r.q_p,
            )
            for r in results
        ]
    )


def smr_edges(result: Any, *, src: str, dst: str) -> pd.DataFrame:
    """The SMR edge (gene→trait); heterogeneity holds the HEIDI statistic and p-value."""
    return pd.DataFrame(
        [
            dict(
                src=src,
                dst=dst,
                method="smr",
                estimate=result.b_xy,
                se=result.se,
                pvalue=result.p_smr,
                n_instruments=1,
                heterogeneity_q=result.t_heidi,
                heterogeneity_p=result.p_heidi,
            )
        ]
    )


def coloc_edges(result: Any, *, src: str, dst: str) -> pd.DataFrame:
    """The coloc edge (gene→trait or variant→trait): ``pp_h4`` set, no estimate."""
    return pd.DataFrame([dict(src=src, dst=dst, method="coloc_abf", pp_h4=result.pp_h4)])
