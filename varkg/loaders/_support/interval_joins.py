"""Interval joins shared by the Loaders II modules, all through :class:`varkg.intervals.IntervalIndex`
(sorted arrays + binary search, never a Python double loop):

* :func:`variants_in` - Variant rows of the store inside intervals (IN_ELEMENT);
* :func:`regions_of` - overlaps with ChromatinRegion rows of the store (IN_REGION);
* :func:`nearest_tss` - the nearest gene TSS of each interval within a window (REGULATES);
* :func:`gene_tss` - TSS of loaded genes (0-based), from ``tss`` or from start/stop/strand.

Coordinates: intervals are 0-based half-open; a Variant at 1-based ``pos`` with REF of length
``n`` covers ``[pos - 1, pos - 1 + n)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from varkg.intervals import IntervalIndex, point_intervals
from varkg.loaders._support.context import assembly_nodes, store_nodes
from varkg.loaders.base import LoadContext


@dataclass
class Intervals:
    """Keys and coordinates of a set of intervals (0-based half-open)."""

    key: np.ndarray
    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.key)

    @classmethod
    def of_table(cls, t: pa.Table) -> Intervals:
        """The ``id``, ``chrom``, ``start``, ``stop`` columns of a node table (coordinates as int64)."""
        return cls(
            np.array(t.column("id").to_pylist(), object),
            np.array(t.column("chrom").to_pylist(), object),
            t.column("start").to_numpy().astype(np.int64),
            t.column("stop").to_numpy().astype(np.int64),
        )


def loaded_variants(context: LoadContext, assembly: str) -> tuple[Intervals, pa.Table] | None:
    """Variants of ``assembly`` in the store as intervals (plus their ref/alt/pos table)."""
    t = assembly_nodes(context, "Variant", ["chrom", "pos", "ref", "alt"], assembly=assembly)
    if t is None:
        return None
    pos = t.column("pos").to_numpy()
    reflen = np.array([len(r or "") for r in t.column("ref").to_pylist()], np.int64)
    s, e = point_intervals(pos, reflen)
    return Intervals(np.array(t.column("id").to_pylist(), object), np.array(t.column("chrom").to_pylist(), object), s, e), t


def loaded_regions(context: LoadContext, assembly: str) -> tuple[Intervals, np.ndarray] | None:
    """ChromatinRegion rows of ``assembly`` in the store (and their ``kind``)."""
    t = assembly_nodes(context, "ChromatinRegion", ["chrom", "start", "stop", "kind"], assembly=assembly)
    if t is None:
        return None
    return Intervals.of_table(t), np.array(t.column("kind").to_pylist(), object)


def overlap_table(a: Intervals, b: Intervals) -> pa.Table:
    """``src`` (a key), ``dst`` (b key), ``overlap`` (bp) for every overlapping pair."""
    idx = IntervalIndex(b.chrom, b.start, b.end)
    q, i = idx.overlaps(a.chrom, a.start, a.end)
    ov = np.minimum(a.end[q], b.end[i]) - np.maximum(a.start[q], b.start[i])
    return pa.table(
        {
            "src": pa.array(a.key[q].tolist(), pa.string()),
            "dst": pa.array(b.key[i].tolist(), pa.string()),
            "overlap": pa.array(ov, pa.int64()),
        }
    )


def containing(a: Intervals, b: Intervals) -> np.ndarray:
    """For each interval of ``a``, the index into ``b`` of the one containing its midpoint (-1)."""
    mid = (a.start + np.maximum(a.end - 1, a.start)) // 2
    idx = IntervalIndex(b.chrom, b.start, b.end)
    q, i = idx.overlaps(a.chrom, mid, mid + 1)
    out = np.full(len(a), -1, np.int64)
    # first (smallest start) containing interval wins: reverse assignment keeps the first
    out[q[::-1]] = i[::-1]
    return out


@dataclass
class GeneTss:
    key: np.ndarray
    chrom: np.ndarray
    tss: np.ndarray  # 0-based
    strand: np.ndarray  # +1 / -1


def gene_tss(context: LoadContext, assembly: str | None = None) -> GeneTss | None:
    """TSS (0-based) of loaded genes: ``tss`` when set, else ``start`` (+) or ``stop - 1`` (-)."""
    t = store_nodes(context, "Gene", ["assembly", "chrom", "start", "stop", "strand", "tss"])
    if t is None:
        return None
    rows = t.to_pydict()
    keys, chroms, tss, strand = [], [], [], []
    for gid, asm, c, s, e, st, ts in zip(
        rows["id"], rows["assembly"], rows["chrom"], rows["start"], rows["stop"], rows["strand"], rows["tss"], strict=False
    ):
        if c is None or (assembly and asm and asm != assembly):
            continue
        if ts is None:
            if s is None or e is None:
                continue
            ts = s if st != "-" else e - 1
        keys.append(gid)
        chroms.append(c)
        tss.append(ts)
        strand.append(-1 if st == "-" else 1)
    if not keys:
        return None
    return GeneTss(np.array(keys, object), np.array(chroms, object), np.array(tss, np.int64), np.array(strand, np.int8))


def nearest_tss(iv: Intervals, genes: GeneTss, *, window: int) -> pa.Table:
    """Per interval, the gene whose TSS is nearest within ``window`` bp (ties: smallest gene id).

    ``distance`` is 0 when the TSS lies inside the interval; otherwise the gap in bp from the
    TSS to the nearest interval base, positive when the interval is downstream (3') of the TSS
    on the gene's strand and negative upstream.
    """
    idx = IntervalIndex(genes.chrom, genes.tss, genes.tss + 1)
    q, g = idx.overlaps(iv.chrom, np.maximum(iv.start - window, 0), iv.end + window)
    if q.size == 0:
        return pa.table(
            {"src": pa.array([], pa.string()), "dst": pa.array([], pa.string()), "distance": pa.array([], pa.int64())}
        )
    t = genes.tss[g]
    s, e = iv.start[q], iv.end[q]
    gap = np.where(t < s, s - t, np.where(t >= e, -(t - e + 1), 0))
    signed = gap * genes.strand[g]
    # choose per query: min |gap|, then smallest gene key
    gkeys = genes.key[g].astype(str)
    order = np.lexsort((gkeys, np.abs(gap), q))
    q, g, signed = q[order], g[order], signed[order]
    first = np.ones(len(q), bool)
    first[1:] = q[1:] != q[:-1]
    return pa.table(
        {
            "src": pa.array(iv.key[q[first]].tolist(), pa.string()),
            "dst": pa.array(genes.key[g[first]].tolist(), pa.string()),
            "distance": pa.array(signed[first], pa.int64()),
        }
    )


def contact_links(context: LoadContext, iv: Intervals, genes: GeneTss, *, assembly: str, max_distance: int) -> pa.Table | None:
    """REGULATES by Hi-C contact: element bin -- CONTACTS -- TSS bin, both orientations.

    Uses the ChromatinRegion bins (``kind = "bin"``) and CONTACTS edges already in the store;
    pairs farther apart than ``max_distance`` bp (element midpoint to TSS) are dropped.
    Returns ``src`` (element), ``dst`` (gene), ``contact`` (obs/exp), ``distance`` or None.
    """
    import pandas as pd

    if context.store is None:
        return None
    regions = loaded_regions(context, assembly)
    if regions is None:
        return None
    riv, kinds = regions
    is_bin = kinds == "bin"
    if not is_bin.any():
        return None
    bins = Intervals(riv.key[is_bin], riv.chrom[is_bin], riv.start[is_bin], riv.end[is_bin])
    c = context.store.export_edges("CONTACTS", src_type="ChromatinRegion", dst_type="ChromatinRegion", properties=["obs_exp"])
    if c.num_rows == 0:
        return None
    eb = containing(iv, bins)
    gb = containing(Intervals(genes.key, genes.chrom, genes.tss, genes.tss + 1), bins)
    el = pd.DataFrame({"el": np.arange(len(iv))[eb >= 0], "a": bins.key[eb[eb >= 0]]})
    ge = pd.DataFrame({"gene": np.arange(len(genes.key))[gb >= 0], "b": bins.key[gb[gb >= 0]]})
    cdf = c.to_pandas()
    both = pd.concat(
        [cdf.rename(columns={"src": "a", "dst": "b"}), cdf.rename(columns={"src": "b", "dst": "a"})], ignore_index=True
    ).drop_duplicates(["a", "b"])
    m = el.merge(both, on="a").merge(ge, on="b")
    if m.empty:
        return None
    e_idx, g_idx = m["el"].to_numpy(), m["gene"].to_numpy()
    mid = (iv.start[e_idx] + iv.end[e_idx]) // 2
    dist = (mid - genes.tss[g_idx]) * genes.strand[g_idx]
    keep = np.abs(dist) <= max_distance
    m = m[keep]
    out = pd.DataFrame(
        {
            "src": iv.key[e_idx[keep]],
            "dst": genes.key[g_idx[keep]],
            "contact": m["obs_exp"].to_numpy(float),
            "distance": dist[keep],
        }
    )
    out = out.sort_values("contact", ascending=False).drop_duplicates(["src", "dst"]).sort_values(["src", "dst"])
    return pa.table(
        {
            "src": pa.array(out["src"].astype(str).tolist(), pa.string()),
            "dst": pa.array(out["dst"].astype(str).tolist(), pa.string()),
            "contact": pa.array(out["contact"].to_numpy(), pa.float64()),
            "distance": pa.array(out["distance"].to_numpy(np.int64), pa.int64()),
        }
    )
