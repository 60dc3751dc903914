"""Hi-C contact maps (``.cool``, ``.mcool`` through cooler): bins, contacts, insulation and TADs.

Coordinates: bins are 0-based half-open ``[start, end)`` as cooler stores them; chromosome names
lose ``chr``. Node keys: ``{assembly}:{chrom}:{start}-{end}`` (identity rules).

What is computed (cis contacts only, pixels streamed in chunks, memory bounded by the bins):

* ``balanced = count * weight[bin1] * weight[bin2]`` with cooler's ICE weights (pixels touching a
  bin without weight are ignored);
* expected: for each chromosome and diagonal ``d`` (bins apart), the sum of balanced contacts
  over the number of valid bin pairs at that distance (zeros included), i.e. the mean balanced
  contact at distance ``d``; ``obs_exp = balanced / expected``;
* insulation of bin ``i`` with a window of ``w`` bins: the mean balanced contact over valid pairs
  ``(j, k)`` with ``i - w <= j < i < k <= i + w`` (contacts crossing bin ``i``, at most ``w``
  bins either side), reported as ``log2(IS / median IS of the chromosome)``;
* boundaries: bins whose log2 insulation is a local minimum (``< left`` and ``<= right``
  neighbour) with prominence ``min(max left, max right) - value >= boundary_strength``, the
  maxima taken over ``w`` bins either side; TADs are the spans between consecutive
  boundaries (the first from the chromosome start, the last to its end), ``kind = "TAD"``,
  ``insulation`` = the prominence of the left boundary (NaN for the first); spans of a single
  bin are not TADs (and would share the bin's key).

Frames: ChromatinRegion bins (``kind="bin"``, ``resolution``, ``insulation``, ``contact_degree`` =
sum of balanced cis contacts) and TADs; CONTACTS bin1 -> bin2 (bin1 < bin2) with ``count``,
``balanced``, ``obs_exp``, ``distance`` (bp) for ``obs_exp >= min_obs_exp`` and
``min_distance <= distance <= max_distance``; IN_REGION from loaded genes, elements and variants
of the same assembly to the bins and TADs they overlap (with the overlap in bp); ``tad_id`` on
genes and elements, ``contact_degree`` of the TSS bin on genes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from varkg.errors import InputError
from varkg.loaders._support.context import assembly_nodes, option, store_nodes
from varkg.loaders._support.frames import edge_frames, node_frames
from varkg.loaders._support.interval_joins import Intervals, containing, gene_tss, loaded_variants, overlap_table
from varkg.loaders.base import Frame, LoadContext, Loader, register_loader
from varkg.typing import interval_key, normalise_chrom

PIXEL_CHUNK = 2_000_000
# what h5py / cooler raise reading a damaged HDF5 file (bad local heap or object header, failed
# decompression, a missing dataset); found by benchmarks/fuzz_parsers.py
_HDF5_ERRORS = (OSError, KeyError, RuntimeError, ValueError)


def _read(c, what: str, fn):
    """``fn()``, a read from cooler ``c``; a damaged file's error becomes an InputError naming it."""
    try:
        return fn()
    except _HDF5_ERRORS as exc:
        raise InputError(
            f"cannot read the cooler's {what} ({type(exc).__name__}: {exc}); the file is damaged or not a cooler",
            path=c.filename,
            field=what,
        ) from None


def open_cooler(path: Path, resolution: int | None):
    """A ``cooler.Cooler`` for a .cool (checked against ``resolution``) or an .mcool resolution."""
    import cooler

    path = Path(path)
    if not path.exists():
        raise InputError("file does not exist", path=path)
    try:
        import h5py

        with h5py.File(path, "r") as h:
            multires = "resolutions" in h
            available = sorted(int(r) for r in h["resolutions"]) if multires else []
    except _HDF5_ERRORS as exc:  # OSError for non-HDF5; RuntimeError/KeyError for a damaged one
        raise InputError(
            f"cannot open as HDF5/cooler ({type(exc).__name__}: {exc}); expected a .cool or .mcool file", path=path
        ) from None
    if multires:
        if resolution is None:
            raise InputError(f"an .mcool needs --option resolution=...; available: {available}", path=path, field="resolution")
        if resolution not in available:
            raise InputError(f"resolution {resolution} is not in the file; available: {available}", path=path, field="resolution")
    try:
        c = cooler.Cooler(f"{path}::resolutions/{resolution}" if multires else str(path))
    except Exception as exc:  # cooler raises KeyError/OSError variants on non-cooler HDF5
        raise InputError(f"not a cooler file ({exc})", path=path) from None
    binsize = _read(c, "bin-size", lambda: c.binsize)
    if binsize is None:
        raise InputError("variable-size bins are not supported; expected fixed bins", path=path, field="bin-type")
    if resolution is not None and int(binsize) != int(resolution):
        raise InputError(
            f"file resolution is {int(binsize)} bp, expected {resolution} bp (--option resolution)",
            path=path,
            field="resolution",
        )
    return c


@dataclass
class HicSummary:
    """Per-bin arrays of one cooler (bins indexed as in the file)."""

    chrom: np.ndarray  # normalised names
    start: np.ndarray
    end: np.ndarray
    weight: np.ndarray
    chrom_offset: np.ndarray  # first bin of each chromosome, per bin
    expected: dict[int, np.ndarray]  # chrom index -> mean balanced contact per diagonal
    chrom_idx: np.ndarray
    degree: np.ndarray
    insulation: np.ndarray  # log2 IS / median


def _iter_cis_pixels(c, chrom_idx: np.ndarray, weight: np.ndarray, chunk: int = PIXEL_CHUNK):
    n = int(_read(c, "nnz", lambda: c.info["nnz"]))
    px = _read(c, "pixels", lambda: c.pixels(join=False))
    for lo in range(0, n, chunk):
        t = _read(c, "pixels", lambda lo=lo: px[lo : min(n, lo + chunk)])
        b1 = _read(c, "bin1_id", lambda t=t: t["bin1_id"].to_numpy(np.int64))
        b2 = _read(c, "bin2_id", lambda t=t: t["bin2_id"].to_numpy(np.int64))
        cnt = _read(c, "count", lambda t=t: t["count"].to_numpy(np.float64))
        for name, ids in (("bin1_id", b1), ("bin2_id", b2)):
            bad = (ids < 0) | (ids >= len(chrom_idx))
            if bad.any():
                raise InputError(
                    f"pixel {lo + int(np.argmax(bad))} has {name} {int(ids[bad][0])}; expected 0..{len(chrom_idx) - 1}"
                    " (the file is damaged)",
                    path=c.filename,
                    field=name,
                )
        cis = chrom_idx[b1] == chrom_idx[b2]
        b1, b2, cnt = b1[cis], b2[cis], cnt[cis]
        bal = cnt * weight[b1] * weight[b2]
        ok = np.isfinite(bal)
        yield b1[ok], b2[ok], cnt[ok], bal[ok]


def summarise(c, *, window_bins: int) -> HicSummary:
    """Expected, contact degree and insulation of a cooler (see the module docstring)."""
    from scipy.signal import fftconvolve

    bins = _read(c, "bins", lambda: c.bins()[:])
    if "weight" not in bins.columns:
        raise InputError("the cooler has no balancing weights; run `cooler balance` first", path=c.filename, field="weight")
    weight = bins["weight"].to_numpy(np.float64)
    chrom_names = bins["chrom"].astype(str).to_numpy()
    uniq, chrom_idx = np.unique(chrom_names, return_inverse=True)
    nb = len(weight)
    first = np.zeros(nb, np.int64)
    starts_of = {}
    for ci in range(len(uniq)):
        idx = np.flatnonzero(chrom_idx == ci)
        starts_of[ci] = (idx[0], idx[-1] + 1)
        first[idx] = idx[0]
    valid = np.isfinite(weight)
    w = window_bins
    diag_sum = {ci: np.zeros(e - s) for ci, (s, e) in starts_of.items()}
    degree = np.zeros(nb)
    is_sum = np.zeros(nb + 1)
    for b1, b2, _cnt, bal in _iter_cis_pixels(c, chrom_idx, weight):
        d = b2 - b1
        for ci in np.unique(chrom_idx[b1]):
            m = chrom_idx[b1] == ci
            diag_sum[ci] += np.bincount(d[m], weights=bal[m], minlength=len(diag_sum[ci]))[: len(diag_sum[ci])]
        off = d > 0
        np.add.at(degree, b1, bal)
        np.add.at(degree, b2[off], bal[off])
        # insulation: pixel (j, k) counts for bins i with max(j+1, k-w) <= i <= min(k-1, j+w)
        lo = np.maximum(b1 + 1, b2 - w)
        hi = np.minimum(b2 - 1, b1 + w)
        ok = (d >= 2) & (lo <= hi)
        np.add.at(is_sum, lo[ok], bal[ok])
        np.add.at(is_sum, hi[ok] + 1, -bal[ok])
    is_num = np.cumsum(is_sum)[:nb]
    # denominators: valid pairs (j, k) in each bin's window, same difference-array trick
    is_den = np.zeros(nb + 1)
    vidx = np.flatnonzero(valid)
    for dd in range(2, 2 * w + 1):
        j = vidx
        k = j + dd
        okk = k < nb
        j, k = j[okk], k[okk]
        okk = valid[k] & (chrom_idx[k] == chrom_idx[j])
        j, k = j[okk], k[okk]
        lo = np.maximum(j + 1, k - w)
        hi = np.minimum(k - 1, j + w)
        m = lo <= hi
        np.add.at(is_den, lo[m], 1.0)
        np.add.at(is_den, hi[m] + 1, -1.0)
    den = np.cumsum(is_den)[:nb]
    with np.errstate(invalid="ignore", divide="ignore"):
        ins = np.where(valid & (den > 0), is_num / den, np.nan)
    log_ins = np.full(nb, np.nan)
    expected: dict[int, np.ndarray] = {}
    for ci, (s, e) in starts_of.items():
        v = valid[s:e].astype(np.float64)
        pairs = np.rint(fftconvolve(v, v[::-1], mode="full")[len(v) - 1 :]) if len(v) else np.zeros(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            expected[ci] = np.where(pairs > 0, diag_sum[ci] / np.maximum(pairs, 1), np.nan)
        seg = ins[s:e]
        pos = seg[np.isfinite(seg) & (seg > 0)]
        if pos.size:
            with np.errstate(invalid="ignore", divide="ignore"):
                log_ins[s:e] = np.where(seg > 0, np.log2(seg / np.median(pos)), np.nan)
    return HicSummary(
        chrom=np.array([normalise_chrom(x) for x in chrom_names], object),
        start=bins["start"].to_numpy(np.int64),
        end=bins["end"].to_numpy(np.int64),
        weight=weight,
        chrom_offset=first,
        expected=expected,
        chrom_idx=chrom_idx,
        degree=degree,
        insulation=log_ins,
    )


def boundaries(
    log_ins: np.ndarray, chrom_idx: np.ndarray, *, window_bins: int, min_strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of boundary bins and their prominence (see the module docstring)."""
    x = log_ins
    out_i, out_s = [], []
    for ci in np.unique(chrom_idx):
        idx = np.flatnonzero(chrom_idx == ci)
        seg = x[idx]
        m = len(seg)
        if m < 3:
            continue
        left = np.full(m, np.nan)
        right = np.full(m, np.nan)
        left[1:] = seg[:-1]
        right[:-1] = seg[1:]
        cand = np.isfinite(seg) & np.isfinite(left) & np.isfinite(right) & (seg < left) & (seg <= right)
        pad = np.concatenate([np.full(window_bins, -np.inf), np.nan_to_num(seg, nan=-np.inf), np.full(window_bins, -np.inf)])
        from numpy.lib.stride_tricks import sliding_window_view

        win = sliding_window_view(pad, window_bins)  # win[t] = pad[t : t + w]
        lmax = win[np.arange(m)]  # pad[i : i + w] = seg[i - w : i]
        rmax = win[np.arange(m) + window_bins + 1]  # seg[i + 1 : i + w + 1]
        prom = np.minimum(lmax.max(axis=1), rmax.max(axis=1)) - seg
        keep = cand & (prom >= min_strength)
        out_i.append(idx[keep])
        out_s.append(prom[keep])
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_s)


@register_loader("hic")
class HicLoader(Loader):
    """Hi-C maps from .cool / .mcool (cooler): bins, CONTACTS, insulation, TADs, IN_REGION.

    Options:
        resolution (int): bin size in bp; required for .mcool, checked for .cool.
        min_obs_exp (float): CONTACTS threshold on balanced observed/expected (default 2.0).
        min_distance (int): shortest contact distance in bp (default 1 bin).
        max_distance (int): longest contact distance in bp (default 2000000).
        window (int): insulation window in bp (default 10 bins).
        boundary_strength (float): minimum prominence of an insulation minimum, in log2
            units (default 0.1).
        links (bool): IN_REGION / tad_id / contact_degree for loaded genes, elements and
            variants (default true).

    Example:
        ``varkg load hic yeast_10kb.cool --assembly sacCer3 --option window=50000``
    """

    description = "Hi-C (.cool/.mcool): bins, balanced obs/exp CONTACTS, insulation TADs, IN_REGION"

    def frames(self, paths: Sequence[Path], *, context: LoadContext) -> Iterator[Frame]:
        opts = context.options
        res_opt = option(opts, "resolution", 0) or None
        coolers = [(Path(p), open_cooler(Path(p), res_opt)) for p in paths]  # all checked first
        for path, c in coolers:
            assembly = context.assembly or str(_read(c, "genome-assembly", lambda c=c: c.info.get("genome-assembly")) or "")
            if not assembly or assembly == "unknown":
                raise InputError("the cooler names no assembly; pass --assembly", path=path, field="assembly")
            yield from self._one(path, c, assembly, context)

    def _one(self, path: Path, c, assembly: str, context: LoadContext) -> Iterator[Frame]:
        opts = context.options
        res = int(_read(c, "bin-size", lambda: c.binsize))
        wbins = max(2, option(opts, "window", 10 * res) // res)
        s = summarise(c, window_bins=wbins)
        keys = np.array(
            [
                interval_key(assembly, ch, a, b)
                for ch, a, b in zip(s.chrom.tolist(), s.start.tolist(), s.end.tolist(), strict=True)
            ],
            object,
        )
        n = len(keys)
        bins = pa.table(
            {
                "id": pa.array(keys.tolist(), pa.string()),
                "assembly": pa.array([assembly] * n, pa.string()),
                "chrom": pa.array(s.chrom.tolist(), pa.string()),
                "start": pa.array(s.start, pa.int64()),
                "stop": pa.array(s.end, pa.int64()),
                "resolution": pa.array([res] * n, pa.int64()),
                "kind": pa.array(["bin"] * n, pa.string()),
                "insulation": pa.array(s.insulation, pa.float64(), from_pandas=True),
                "contact_degree": pa.array(s.degree, pa.float64()),
            }
        )
        bidx, strength = boundaries(
            s.insulation, s.chrom_idx, window_bins=wbins, min_strength=option(opts, "boundary_strength", 0.1)
        )
        tads = self._tads(s, bidx, strength, assembly=assembly, res=res)
        # contacts
        min_oe = option(opts, "min_obs_exp", 2.0)
        min_d = max(1, option(opts, "min_distance", res) // res)
        max_d = option(opts, "max_distance", 2_000_000) // res
        contact_tables = []
        for b1, b2, cnt, bal in _iter_cis_pixels(c, s.chrom_idx, s.weight):
            d = b2 - b1
            ci = s.chrom_idx[b1]
            exp = np.full(len(d), np.nan)
            for cc in np.unique(ci):
                m = ci == cc
                e = s.expected[int(cc)]
                exp[m] = e[np.minimum(d[m], len(e) - 1)]
            with np.errstate(invalid="ignore", divide="ignore"):
                oe = bal / exp
            keep = (d >= min_d) & (d <= max_d) & np.isfinite(oe) & (oe >= min_oe)
            if keep.any():
                contact_tables.append(
                    pa.table(
                        {
                            "src": pa.array(keys[b1[keep]].tolist(), pa.string()),
                            "dst": pa.array(keys[b2[keep]].tolist(), pa.string()),
                            "count": pa.array(cnt[keep], pa.float64()),
                            "balanced": pa.array(bal[keep], pa.float64()),
                            "obs_exp": pa.array(oe[keep], pa.float64()),
                            "distance": pa.array(d[keep] * res, pa.int64()),
                        }
                    )
                )
        links = list(self._links(context, assembly, bins, tads)) if option(opts, "links", True) else []
        context.version = context.version or f"{path.name}@{res}"
        yield from node_frames("ChromatinRegion", bins)
        yield from node_frames("ChromatinRegion", tads)
        for t in contact_tables:
            yield from edge_frames("CONTACTS", t, src_type="ChromatinRegion", dst_type="ChromatinRegion")
        yield from links

    @staticmethod
    def _tads(s: HicSummary, bidx: np.ndarray, strength: np.ndarray, *, assembly: str, res: int) -> pa.Table:
        rows: dict[str, list] = {k: [] for k in ("id", "chrom", "start", "stop", "insulation")}
        for ci in np.unique(s.chrom_idx):
            idx = np.flatnonzero(s.chrom_idx == ci)
            chrom = s.chrom[idx[0]]
            cs, ce = int(s.start[idx[0]]), int(s.end[idx[-1]])
            mine = np.isin(bidx, idx)
            bpos = s.start[bidx[mine]].tolist()
            bstr = strength[mine].tolist()
            edges = [cs, *bpos, ce]
            strengths = [float("nan"), *bstr]
            for a, b, st in zip(edges[:-1], edges[1:], strengths, strict=False):
                if b - a <= res:  # a one-bin "TAD" would share the bin's key
                    continue
                rows["id"].append(interval_key(assembly, chrom, a, b))
                rows["chrom"].append(chrom)
                rows["start"].append(a)
                rows["stop"].append(b)
                rows["insulation"].append(st)
        n = len(rows["id"])
        return pa.table(
            {
                "id": pa.array(rows["id"], pa.string()),
                "assembly": pa.array([assembly] * n, pa.string()),
                "chrom": pa.array(rows["chrom"], pa.string()),
                "start": pa.array(rows["start"], pa.int64()),
                "stop": pa.array(rows["stop"], pa.int64()),
                "resolution": pa.array([res] * n, pa.int64()),
                "kind": pa.array(["TAD"] * n, pa.string()),
                "insulation": pa.array(rows["insulation"], pa.float64(), from_pandas=True),
            }
        )

    @staticmethod
    def _links(context: LoadContext, assembly: str, bins: pa.Table, tads: pa.Table) -> Iterator[Frame]:
        regions = pa.concat_tables([bins.select(["id", "chrom", "start", "stop"]), tads.select(["id", "chrom", "start", "stop"])])
        riv = Intervals.of_table(regions)
        tiv = Intervals.of_table(tads)
        biv = Intervals.of_table(bins)
        genes = store_nodes(context, "Gene", ["assembly", "chrom", "start", "stop"])
        if genes is not None:
            genes = genes.filter(pc.and_(pc.equal(genes.column("assembly"), assembly), pc.is_valid(genes.column("start"))))
        if genes is not None and genes.num_rows:
            giv = Intervals.of_table(genes)
            yield from edge_frames("IN_REGION", overlap_table(giv, riv), src_type="Gene", dst_type="ChromatinRegion")
            t_of = containing(giv, tiv)
            tss = gene_tss(context, assembly)
            props: dict[str, list] = {"id": giv.key.tolist(), "tad_id": [tiv.key[i] if i >= 0 else None for i in t_of]}
            if tss is not None:
                b_of = containing(Intervals(tss.key, tss.chrom, tss.tss, tss.tss + 1), biv)
                deg = bins.column("contact_degree").to_numpy()
                dmap = {k: float(deg[b]) for k, b in zip(tss.key.tolist(), b_of.tolist(), strict=False) if b >= 0}
                props["contact_degree"] = [dmap.get(k) for k in props["id"]]
            yield from node_frames(
                "Gene",
                pa.table({k: pa.array(v, pa.float64() if k == "contact_degree" else pa.string()) for k, v in props.items()}),
            )
        el = assembly_nodes(context, "RegulatoryElement", ["chrom", "start", "stop"], assembly=assembly)
        if el is not None:
            eiv = Intervals.of_table(el)
            yield from edge_frames("IN_REGION", overlap_table(eiv, riv), src_type="RegulatoryElement", dst_type="ChromatinRegion")
            t_of = containing(eiv, tiv)
            has = t_of >= 0
            yield from node_frames(
                "RegulatoryElement",
                pa.table(
                    {
                        "id": pa.array(eiv.key[has].tolist(), pa.string()),
                        "tad_id": pa.array(tiv.key[t_of[has]].tolist(), pa.string()),
                    }
                ),
            )
        var = loaded_variants(context, assembly)
        if var is not None:
            yield from edge_frames("IN_REGION", overlap_table(var[0], riv), src_type="Variant", dst_type="ChromatinRegion")
