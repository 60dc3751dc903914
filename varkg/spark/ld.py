"""LD on Hail/Spark: r² in windows and LD pruning (``hl.ld_prune``).

:func:`ld_pairs` correlates mean-imputed, standardised dosages: with no missing calls that is
exactly the genotypic r² of :func:`varkg.popgen.ld.r2_matrix` (PLINK ``--r2``); with missing calls
the single-machine path uses the samples called at both variants and the two differ slightly.
Monomorphic variants are dropped first (the single-machine path reports no pair for them either).
Two engines compute the same pairs:

* ``method="buckets"`` (default): Hail standardises each variant's dosages into one
  ``array<float64>`` (unit norm, so a dot product is r), the rows go to a Spark DataFrame
  (``Table.to_spark``), each variant is assigned to its window bucket (``pos // window``) and, as a
  halo, to the bucket before it; ``groupBy(chrom, bucket).applyInPandas`` computes r with numpy
  for the pairs whose first variant the bucket owns. A pair is at most one window apart, so its
  second variant is in the same or the next bucket, and every pair is computed exactly once. Spark
  does the distribution (one task per group of buckets); the work is the band only.
* ``method="blocks"``: ``hl.ld_matrix`` (a banded block matrix of ``block_size`` x ``block_size``
  blocks), ``entries()`` filtered to the band and the threshold. Each block inside the band is
  computed densely, so blocks much wider than the window compute mostly unused entries.

The pairs table has the columns of :func:`varkg.popgen.ld.ld_pairs`: ``i``, ``j`` (row indices of
the polymorphic rows of the MatrixTable, i < j), ``id_a``, ``id_b``, ``chrom``, ``pos_a``,
``pos_b``, ``r2`` (sorted by ``i``, ``j``); pairs with ``pos_b - pos_a <= kb * 1000`` on one
chromosome.
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError

__all__ = ["LD_COLUMNS", "LdMethod", "ld_pairs", "ld_prune", "window_pairs"]

LD_COLUMNS = ["i", "j", "id_a", "id_b", "chrom", "pos_a", "pos_b", "r2"]
LdMethod = Literal["buckets", "blocks"]
_SCHEMA = "i long, j long, id_a string, id_b string, chrom string, pos_a long, pos_b long, r2 double"
_CHUNK = 512  # owner rows per numpy product inside one bucket


def _polymorphic(hl: Any, mt: Any) -> Any:
    st = hl.agg.stats(hl.float64(mt.dosage))
    mt = mt.annotate_rows(_sd=st.stdev)
    return mt.filter_rows(hl.is_defined(mt._sd) & (mt._sd > 0)).drop("_sd")


def _check(kb: float, r2_min: float) -> None:
    if not kb >= 0:
        raise AnalysisError(f"window kb must be >= 0 (got {kb})")
    if not 0.0 <= r2_min <= 1.0:
        raise AnalysisError(f"r2_min must be in [0, 1] (got {r2_min})")


def window_pairs(
    *, x: np.ndarray, pos: np.ndarray, owner: np.ndarray, window_bp: int, r2_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(a, b)``, ``a`` owned, ``pos[b] - pos[a] <= window_bp``, r² >= ``r2_min``, from unit-norm rows.

    Args:
        x: ``float64 [m, n]``, one standardised variant per row (mean-imputed, centred, unit norm),
            rows sorted by ``pos`` (ties in row order).
        pos: ``int64 [m]`` positions (bp, any consistent coordinate system), non-decreasing.
        owner: ``bool [m]``: the rows whose pairs this call reports (as the first variant).
        window_bp: largest distance, bp.
        r2_min: threshold.

    Returns:
        ``(a, b, r2)``: row indices into ``x`` (``a < b``) and r², in ``(a, b)`` order.
    """
    out_a: list[np.ndarray] = []
    out_b: list[np.ndarray] = []
    out_r: list[np.ndarray] = []
    own = np.flatnonzero(owner)
    for k in range(0, len(own), _CHUNK):
        rows = own[k : k + _CHUNK]
        lo, hi = int(rows[0]) + 1, int(np.searchsorted(pos, pos[rows[-1]] + window_bp, side="right"))
        if hi <= lo:
            continue
        r2 = np.square(x[rows] @ x[lo:hi].T)
        cols = np.arange(lo, hi)
        keep = (cols[None, :] > rows[:, None]) & (pos[cols][None, :] - pos[rows][:, None] <= window_bp) & (r2 >= r2_min)
        ia, ib = np.nonzero(keep)
        out_a.append(rows[ia])
        out_b.append(cols[ib])
        out_r.append(r2[ia, ib])
    if not out_a:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_r)


def _standardised(hl: Any, mt: Any) -> Any:
    """Rows of ``mt`` as a Table: ``_row`` (index over polymorphic rows), ``vid``, ``chrom``, ``pos``, ``x``."""
    t = mt.localize_entries("_ents", "_cols")
    t = t.annotate(_d=t._ents.map(lambda e: hl.float64(e.dosage)))
    t = t.annotate(_mean=hl.mean(t._d.filter(hl.is_defined)))
    t = t.annotate(_c=t._d.map(lambda v: hl.or_else(v - t._mean, 0.0)))
    t = t.annotate(_norm=hl.sqrt(hl.sum(t._c.map(lambda v: v * v))))
    t = t.filter(hl.is_defined(t._norm) & (t._norm > 0))
    t = t.annotate(x=t._c.map(lambda v: v / t._norm))
    t = t.add_index("_row")
    return t.key_by().select("_row", "vid", "chrom", "pos", "x")


def _buckets(hl: Any, mt: Any, *, kb: float, r2_min: float) -> pd.DataFrame:
    from pyspark.sql import functions as F

    window = int(kb * 1000)
    width = max(window, 1)
    df = _standardised(hl, mt).to_spark(flatten=False)
    df = df.withColumn("bucket", F.floor(F.col("pos") / F.lit(width)).cast("long"))
    own = df.withColumn("owner", F.lit(True))
    halo = df.withColumn("bucket", F.col("bucket") - 1).withColumn("owner", F.lit(False))
    both = own.unionByName(halo)

    def pairs(g: pd.DataFrame) -> pd.DataFrame:
        g = g.sort_values(["pos", "_row"], kind="stable")
        x = np.stack(g["x"].to_numpy()) if len(g) else np.zeros((0, 0))
        pos = g["pos"].to_numpy(dtype=np.int64)
        a, b, r2 = window_pairs(x=x, pos=pos, owner=g["owner"].to_numpy(dtype=bool), window_bp=window, r2_min=r2_min)
        row, vid, chrom = g["_row"].to_numpy(dtype=np.int64), g["vid"].to_numpy(), g["chrom"].to_numpy()
        return pd.DataFrame(
            {
                "i": row[a],
                "j": row[b],
                "id_a": vid[a],
                "id_b": vid[b],
                "chrom": chrom[a],
                "pos_a": pos[a],
                "pos_b": pos[b],
                "r2": r2,
            }
        )

    res = both.groupBy("chrom", "bucket").applyInPandas(pairs, schema=_SCHEMA)
    return res.toPandas()


def _blocks(hl: Any, mt: Any, *, kb: float, r2_min: float, block_size: int, timings: dict[str, float]) -> pd.DataFrame:
    t = time.perf_counter()
    mt = _polymorphic(hl, mt)
    mt = mt.add_row_index("_row")
    rows = mt.rows().select("_row", "vid", "chrom", "pos").to_pandas()
    timings["rows_s"] = time.perf_counter() - t
    t = time.perf_counter()
    # eager: writes the standardised block matrix and collects the loci for the band
    r = hl.ld_matrix(mt.dosage, mt.locus, radius=int(kb * 1000), block_size=block_size)
    timings["standardise_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ent = r.entries(keyed=False)
    ent = ent.filter((ent.i < ent.j) & (ent.entry * ent.entry >= r2_min))
    pairs = ent.to_pandas()
    timings["multiply_entries_s"] = time.perf_counter() - t
    if not len(pairs):
        return pd.DataFrame({c: [] for c in LD_COLUMNS})
    a = rows.set_index("_row").loc[pairs["i"].to_numpy()]
    b = rows.set_index("_row").loc[pairs["j"].to_numpy()]
    out = pd.DataFrame(
        {
            "i": pairs["i"].to_numpy(),
            "j": pairs["j"].to_numpy(),
            "id_a": a["vid"].to_numpy(),
            "id_b": b["vid"].to_numpy(),
            "chrom": a["chrom"].to_numpy(),
            "pos_a": a["pos"].to_numpy(),
            "pos_b": b["pos"].to_numpy(),
            "r2": pairs["entry"].to_numpy() ** 2,
        }
    )
    same = out["chrom"].to_numpy() == b["chrom"].to_numpy()
    within = (out["pos_b"] - out["pos_a"]).abs().to_numpy() <= kb * 1000
    return out[same & within]


def ld_pairs(
    mt: Any,
    *,
    kb: float = 1000.0,
    r2_min: float = 0.2,
    method: LdMethod = "buckets",
    block_size: int = 1024,
    timings: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Pairs on one chromosome within ``kb`` with r² >= ``r2_min`` (module docstring), as pandas.

    Args:
        mt: a MatrixTable from :mod:`varkg.spark.genotypes` (``vid``, ``chrom``, ``pos``, ``dosage``),
            sorted by locus.
        kb: window in kb (``--ld-window-kb``); pairs with ``pos_b - pos_a <= kb * 1000``.
        r2_min: report pairs with r² >= this.
        method: ``"buckets"`` (window buckets on Spark, numpy per bucket) or ``"blocks"``
            (``hl.ld_matrix``).
        block_size: block edge of the distributed matrix (``method="blocks"`` only), in variants.
        timings: when given, filled with the seconds of each stage (``blocks``: ``rows_s``,
            ``standardise_s``, ``multiply_entries_s``; ``buckets``: ``total_s``, one Spark job).

    Raises:
        AnalysisError: a negative window, ``r2_min`` outside [0, 1], an unknown method.
    """
    from varkg.spark.session import hail_context

    _check(kb, r2_min)
    hl = hail_context()
    timings = {} if timings is None else timings
    t = time.perf_counter()
    if method == "buckets":
        out = _buckets(hl, mt, kb=kb, r2_min=r2_min)
        timings["total_s"] = time.perf_counter() - t
    elif method == "blocks":
        if block_size < 1:
            raise AnalysisError(f"block_size must be >= 1 (got {block_size})")
        out = _blocks(hl, mt, kb=kb, r2_min=r2_min, block_size=block_size, timings=timings)
    else:
        raise AnalysisError(f"unknown LD method {method!r}; expected one of ['blocks', 'buckets']")
    if not len(out):
        return pd.DataFrame({c: [] for c in LD_COLUMNS})
    return out[LD_COLUMNS].sort_values(["i", "j"]).reset_index(drop=True)


def ld_prune(mt: Any, *, r2: float = 0.2, kb: float = 500.0) -> list[str]:
    """Variant ids kept by ``hl.ld_prune`` (no two kept variants within ``kb`` have r² >= ``r2``)."""
    from varkg.spark.session import hail_context

    hl = hail_context()
    mt = _polymorphic(hl, mt)
    kept = hl.ld_prune(mt.GT, r2=r2, bp_window_size=int(kb * 1000))
    ids = mt.rows()
    ids = ids.filter(hl.is_defined(kept[ids.key]))
    return [str(v) for v in ids.vid.collect()]
