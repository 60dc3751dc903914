"""Pairwise linkage disequilibrium: r², D′ and the D′ confidence interval, in windows.

* **r²** is the squared Pearson correlation of the two variants' dosages over the samples
  called at both (PLINK 1.9 ``--r2``'s genotypic r²; phase is not used).
* **D′** comes from the maximum-likelihood two-locus haplotype frequencies of unphased
  genotypes: only double heterozygotes are ambiguous, and their split solves a cubic (as
  PLINK's ``em_phase_hethet``). ``dprime`` is unsigned (``|D|/Dmax``) like PLINK's ``dprime``.
* **The D′ confidence interval** is Haploview's (Gabriel et al. 2002): the likelihood of the
  data at D′ = 0.00, 0.01, …, 1.00 (allele frequencies held at their estimates), normalised;
  ``dprime_low`` / ``dprime_high`` are the one-sided 5 % bounds (a 90 % interval) on that grid.

:func:`ld_pairs` walks a chromosome in chunks of variants (memory: a chunk x its window of
dosages), so whole-chromosome data stays bounded; :func:`iter_ld_pairs` yields the chunks.

Example:
    >>> import numpy as np
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> d = np.array([[0, 0, 2], [1, 1, 1], [2, 2, 0], [1, 0, 1]], dtype=np.int8)
    >>> g = GenotypeMatrix.from_arrays(d, chrom=["1"] * 3, pos=[10, 20, 30], samples=list("abcd"))
    >>> t = ld_pairs(g, r2_min=0.0)
    >>> [round(x, 4) for x in t["r2"]]
    [0.7273, 1.0, 0.7273]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import GenotypeMatrix

__all__ = [
    "DprimeCI",
    "LdWindow",
    "dprime_ci",
    "dprime_from_counts",
    "genotype_counts",
    "haplotype_mle",
    "iter_ld_pairs",
    "ld_pairs",
    "r2_haplotype_from_counts",
    "r2_matrix",
]

_EPS = 2.0**-44  # PLINK's SMALLISH_EPSILON


@dataclass(frozen=True)
class LdWindow:
    """Which pairs :func:`ld_pairs` reports (PLINK 1.9 ``--r2`` names in brackets).

    Attributes:
        kb: largest distance between the two variants, in kb (``--ld-window-kb``, default 1000).
        variants: largest index distance ``j - i`` (``--ld-window`` minus one; None: no limit).
        r2_min: report pairs with r² >= this (``--ld-window-r2``, default 0.2).
    """

    kb: float = 1000.0
    variants: int | None = None
    r2_min: float = 0.2

    def __post_init__(self) -> None:
        if self.kb < 0:
            raise AnalysisError(f"window kb must be >= 0 (got {self.kb})")
        if self.variants is not None and self.variants < 1:
            raise AnalysisError(f"window variants must be >= 1 (got {self.variants})")
        if not 0.0 <= self.r2_min <= 1.0:
            raise AnalysisError(f"r2_min must be in [0, 1] (got {self.r2_min})")


# ---------------------------------------------------------------------------- r²
def r2_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """r² between every column of ``a`` (``int8 [n, p]``) and of ``b`` (``[n, q]``): ``float64 [p, q]``.

    Pairwise-complete: each pair uses the samples called at both. NaN where a variant is
    monomorphic among them.
    """
    ma, mb = a >= 0, b >= 0
    xa = np.where(ma, a, 0).astype(np.float64)
    xb = np.where(mb, b, 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if ma.all() and mb.all():
            n = a.shape[0]
            za = xa - xa.mean(axis=0)
            zb = xb - xb.mean(axis=0)
            cov = za.T @ zb
            va = (za * za).sum(axis=0)
            vb = (zb * zb).sum(axis=0)
            r2 = cov * cov / np.outer(va, vb)
            r2[np.outer(va <= 1e-12 * n, np.ones(len(vb), bool)) | np.outer(np.ones(len(va), bool), vb <= 1e-12 * n)] = np.nan
            return np.minimum(r2, 1.0)
        fa, fb = ma.astype(np.float64), mb.astype(np.float64)
        n = fa.T @ fb
        sx = xa.T @ fb
        sy = fa.T @ xb
        sxx = (xa * xa).T @ fb
        syy = fa.T @ (xb * xb)
        sxy = xa.T @ xb
        cov = n * sxy - sx * sy
        vx = n * sxx - sx * sx
        vy = n * syy - sy * sy
        r2 = cov * cov / (vx * vy)
        r2[(vx <= 1e-9) | (vy <= 1e-9)] = np.nan
        return np.minimum(r2, 1.0)


# ---------------------------------------------------------------------------- two-locus counts and haplotypes
def genotype_counts(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-locus genotype tables: ``float64 [p, q, 3, 3]``, ``[i, j, x, y]`` = samples with dosage
    ``x`` at column ``i`` of ``a`` and ``y`` at column ``j`` of ``b`` (both called)."""
    n, p = a.shape
    q = b.shape[1]
    ia = np.stack([a == k for k in (0, 1, 2)], axis=2).reshape(n, 3 * p).astype(np.float32)
    ib = np.stack([b == k for k in (0, 1, 2)], axis=2).reshape(n, 3 * q).astype(np.float32)
    c = (ia.T @ ib).astype(np.float64)  # exact: counts < 2**24
    return c.reshape(p, 3, q, 3).transpose(0, 2, 1, 3)


def _known(c: np.ndarray) -> tuple[np.ndarray, ...]:
    """Haplotype counts resolved without phase (allele 1 = the counted allele) and double hets."""
    k11 = 2 * c[..., 2, 2] + c[..., 2, 1] + c[..., 1, 2]
    k12 = 2 * c[..., 2, 0] + c[..., 2, 1] + c[..., 1, 0]
    k21 = 2 * c[..., 0, 2] + c[..., 1, 2] + c[..., 0, 1]
    k22 = 2 * c[..., 0, 0] + c[..., 1, 0] + c[..., 0, 1]
    return k11, k12, k21, k22, c[..., 1, 1]


def _cubic_real_roots(A: np.ndarray, B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Real roots of ``x³ + A x² + B x + C`` (``[n, 3]``, NaN padded), one Newton polish step."""
    p = B - A * A / 3.0
    q = 2.0 * A**3 / 27.0 - A * B / 3.0 + C
    shift = -A / 3.0
    disc = (q / 2.0) ** 2 + (p / 3.0) ** 3
    roots = np.full(A.shape + (3,), np.nan)
    one = disc > 0
    sq = np.sqrt(np.where(one, disc, 0.0))
    t1 = np.cbrt(-q / 2.0 + sq) + np.cbrt(-q / 2.0 - sq)
    roots[..., 0] = np.where(one, t1 + shift, np.nan)
    three = ~one
    with np.errstate(invalid="ignore", divide="ignore"):
        m = 2.0 * np.sqrt(np.where(three, -p / 3.0, 0.0))
        arg = np.where(three & (m > 0), 3.0 * q / np.where(m > 0, p * m, 1.0), 0.0)
        theta = np.arccos(np.clip(arg, -1.0, 1.0)) / 3.0
    for k in range(3):
        tk = m * np.cos(theta - 2.0 * np.pi * k / 3.0)
        roots[..., k] = np.where(three, tk + shift, roots[..., k])
    # polish
    f = ((roots + A[..., None]) * roots + B[..., None]) * roots + C[..., None]
    df = (3.0 * roots + 2.0 * A[..., None]) * roots + B[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        step = np.where(np.abs(df) > 1e-300, f / df, 0.0)
    return np.sort(roots - np.nan_to_num(step), axis=-1)


def haplotype_mle(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Maximum-likelihood two-locus haplotype frequencies from genotype tables (``[..., 3, 3]``).

    Returns ``(freq11, freq1x, freqx1, ok)``: the 1-1 haplotype frequency, the allele-1
    frequencies at the first and second locus (allele 1 = the counted allele), and False where
    a locus is monomorphic among the samples called at both (no D′).
    """
    k11, k12, k21, k22, hh = _known(counts)
    twice = k11 + k12 + k21 + k22 + 2 * hh
    ok = twice > 0
    inv = 1.0 / np.where(ok, twice, 1.0)
    f11, f12, f21, f22 = k11 * inv, k12 * inv, k21 * inv, k22 * inv
    h = hh * inv  # half of the double-het share each way
    f1x = f11 + f12 + h
    fx1 = f11 + f21 + h
    p1122, p1221 = f11 * f22, f12 * f21
    has_h = hh > 0
    both_zero = (p1122 == 0) & (p1221 == 0)
    ok &= ~(~has_h & both_zero)
    # candidates: real roots of the likelihood's cubic inside [0, h] (clipped), else the bounds
    roots = _cubic_real_roots(
        0.5 * (f11 + f22 - f12 - f21 - 3 * h), 0.5 * (p1122 + p1221 + h * (f12 + f21 - f11 - f22 + h)), -0.5 * h * p1122
    )
    inside = (roots >= -_EPS) & (roots <= h[..., None] + _EPS)
    none_inside = np.asarray(~inside.any(axis=-1))
    cand = np.where(inside, np.clip(roots, 0.0, h[..., None]), np.nan)
    bounds = np.stack([np.zeros_like(h), h, np.full_like(h, np.nan)], axis=-1)
    cand = np.where(none_inside[..., None], bounds, cand)
    # both products zero: 0, the midpoint when it lies inside, h
    mid = (h + f21 - f22) * 0.5
    mid_ok = (f22 + _EPS < h + f21) & (f21 + _EPS < h + f22)
    special = np.stack([np.zeros_like(h), np.where(mid_ok, mid, np.nan), h], axis=-1)
    cand = np.where((both_zero & has_h)[..., None], special, cand)
    x = cand
    a11, a22 = f11[..., None] + x, f22[..., None] + x
    a12, a21 = f12[..., None] + h[..., None] - x, f21[..., None] + h[..., None] - x
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = hh[..., None] * np.log(a11 * a22 + a12 * a21)
        for k, a in ((k11, a11), (k12, a12), (k21, a21), (k22, a22)):
            ll = ll + np.where(k[..., None] > 0, k[..., None] * np.log(a), 0.0)
    ll = np.where(np.isnan(x), -np.inf, np.nan_to_num(ll, nan=-np.inf))
    pick = np.argmax(ll, axis=-1)
    chosen = np.take_along_axis(np.nan_to_num(x), pick[..., None], axis=-1)[..., 0]
    best = np.where(has_h, chosen, 0.0)
    return f11 + best, f1x, fx1, ok


def _dprime(f11, f1x, fx1, ok):
    d = f11 - f1x * fx1
    dmax = np.where(d >= 0, np.minimum(f1x * (1 - fx1), (1 - f1x) * fx1), np.minimum(f1x * fx1, (1 - f1x) * (1 - fx1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        dp = np.abs(d) / dmax
    return np.where(ok & (dmax > 0), np.minimum(dp, 1.0), np.nan)


def _r2_haplotype(f11, f1x, fx1, ok):
    d = f11 - f1x * fx1
    v = f1x * (1 - f1x) * fx1 * (1 - fx1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = d * d / v
    return np.where(ok & (v > 0), np.minimum(r2, 1.0), np.nan)


def dprime_from_counts(counts: np.ndarray) -> np.ndarray:
    """Unsigned D′ (``|D| / Dmax``) from genotype tables ``[..., 3, 3]``; NaN where undefined."""
    return _dprime(*haplotype_mle(counts))


def r2_haplotype_from_counts(counts: np.ndarray) -> np.ndarray:
    """r² from the ML haplotype frequencies (``D² / (p1 p2 q1 q2)``): what PLINK 1.9 reports
    for ``--r2 dprime``; NaN where undefined."""
    return _r2_haplotype(*haplotype_mle(counts))


# ---------------------------------------------------------------------------- D′ likelihood surface
@dataclass(frozen=True)
class DprimeCI:
    """Haploview's D′ interval on the 0.01 grid: ``low``/``high`` (``[...]`` floats, NaN when
    undefined) and ``low_i``/``high_i`` (integer percent, -1 when undefined)."""

    low: np.ndarray
    high: np.ndarray
    low_i: np.ndarray
    high_i: np.ndarray
    cum: np.ndarray | None = None  # [..., 101] cumulative likelihood mass from D′ = 0 (normalised)


_Q = np.arange(101, dtype=np.float64)


def dprime_ci(counts: np.ndarray, *, keep_cumulative: bool = False, chunk: int = 16384) -> DprimeCI:
    """The D′ confidence interval (Gabriel et al. 2002, as Haploview computes it) of genotype
    tables ``[n, 3, 3]``: likelihoods at D′ = q/100 (q = 0..100) with the allele frequencies at
    their estimates and D of the sign of the estimate; ``low`` is the largest q/100 with at most
    5 % of the mass below it, ``high`` the smallest with at most 5 % above."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, 3, 3)
    n = len(counts)
    low_i = np.full(n, -1, dtype=np.int16)
    high_i = np.full(n, -1, dtype=np.int16)
    cums = np.full((n, 101), np.nan) if keep_cumulative else None
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        cum, valid = _surface_cumulative(counts[a:b])
        tot = cum[:, -1:]
        # low: first q with C_q > 5 % of the total, minus one (clamped at 0)
        first = np.argmax(cum > 0.05 * tot, axis=1)
        lo = np.maximum(first - 1, 0)
        # high: last q with S_q = T - C_{q-1} > 5 %, plus one (clamped at 100)
        right = tot - np.concatenate([np.zeros((b - a, 1)), cum[:, :-1]], axis=1)
        last = 100 - np.argmax((right > 0.05 * tot)[:, ::-1], axis=1)
        hi = np.minimum(last + 1, 100)
        low_i[a:b] = np.where(valid, lo, -1)
        high_i[a:b] = np.where(valid, hi, -1)
        if cums is not None:
            cums[a:b] = np.where(valid[:, None], cum / tot, np.nan)
    low = np.where(low_i >= 0, low_i / 100.0, np.nan)
    high = np.where(high_i >= 0, high_i / 100.0, np.nan)
    return DprimeCI(low, high, low_i, high_i, cums)


def _surface_cumulative(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative (from D′ = 0) relative likelihoods on the 101-point grid, and validity."""
    k11, k12, k21, k22, hh = _known(counts)
    f11, f1x, fx1, ok = haplotype_mle(counts)
    f2x, fx2 = 1.0 - f1x, 1.0 - fx1
    neg = (f11 - fx1 * f1x) < 0.0
    # D < 0: swap the second locus' alleles so that D > 0
    k11, k12 = np.where(neg, k12, k11), np.where(neg, k11, k12)
    k21, k22 = np.where(neg, k22, k21), np.where(neg, k21, k22)
    fx1, fx2 = np.where(neg, fx2, fx1), np.where(neg, fx1, fx2)
    e11 = fx1 * f1x
    dmax = np.minimum(fx1 * f2x, fx2 * f1x)
    ok = ok & (dmax > 0)
    denom = 0.01 * dmax
    t11 = _Q[None, :] * denom[:, None] + e11[:, None]
    t12 = f1x[:, None] - t11
    t21 = fx1[:, None] - t11
    t22 = f2x[:, None] - t21
    for t in (t11, t12, t21, t22):
        t[:, 100] = np.maximum(t[:, 100], 1e-10)
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = (
            k11[:, None] * np.log(t11)
            + k12[:, None] * np.log(t12)
            + k21[:, None] * np.log(t21)
            + k22[:, None] * np.log(t22)
            + hh[:, None] * np.log(t11 * t22 + t12 * t21)
        )
    ll = np.where(ok[:, None], ll, 0.0)
    ll = np.nan_to_num(ll, nan=-np.inf)
    ll -= ll.max(axis=1, keepdims=True)
    p = np.exp(ll)
    p = np.nan_to_num(p)
    return np.cumsum(p, axis=1), ok & np.isfinite(p).all(axis=1)


# ---------------------------------------------------------------------------- windows
def _window_ends(pos: np.ndarray, max_bp: float, max_idx: int | None) -> np.ndarray:
    """For each i, one past the last j > i within ``max_bp`` (and ``max_idx`` variants)."""
    ends = np.searchsorted(pos, pos + max_bp, side="right")
    if max_idx is not None:
        ends = np.minimum(ends, np.arange(len(pos)) + max_idx + 1)
    return ends


@njit(cache=True, nogil=True)
def _band_complete(
    sxy: np.ndarray, sx: np.ndarray, sxx: np.ndarray, n: float, rows: int, ends: np.ndarray, r2_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(r, c)``, ``r < c < ends[r]``, of a chunk without missing calls, from exact integer
    sums: ``sxy[r, c]`` = Σ x_r x_c (float32, exact below 2**24), ``sx``/``sxx`` per column.
    r² = (n Σxy − Σx Σy)² / ((n Σx² − (Σx)²)(n Σy² − (Σy)²)); monomorphic columns give no pair."""
    cap = 0
    for r in range(rows):
        if ends[r] > r + 1:
            cap += ends[r] - r - 1
    oi = np.empty(cap, np.int64)
    oj = np.empty(cap, np.int64)
    o2 = np.empty(cap, np.float64)
    vv = n * sxx - sx * sx
    k = 0
    for r in range(rows):
        vx = vv[r]
        if vx <= 0.0:
            continue
        for c in range(r + 1, ends[r]):
            vy = vv[c]
            if vy <= 0.0:
                continue
            cov = n * np.float64(sxy[r, c]) - sx[r] * sx[c]
            r2 = cov * cov / (vx * vy)
            if r2 > 1.0:
                r2 = 1.0
            if r2 >= r2_min:
                oi[k] = r
                oj[k] = c
                o2[k] = r2
                k += 1
    return oi[:k], oj[:k], o2[:k]


@njit(cache=True, nogil=True)
def _band_dense(r2m: np.ndarray, rows: int, ends: np.ndarray, r2_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(r, c)``, ``r < c < ends[r]``, with a finite ``r2m[r, c] >= r2_min``."""
    cap = 0
    for r in range(rows):
        if ends[r] > r + 1:
            cap += ends[r] - r - 1
    oi = np.empty(cap, np.int64)
    oj = np.empty(cap, np.int64)
    o2 = np.empty(cap, np.float64)
    k = 0
    for r in range(rows):
        for c in range(r + 1, ends[r]):
            v = r2m[r, c]
            if np.isfinite(v) and v >= r2_min:
                oi[k] = r
                oj[k] = c
                o2[k] = v
                k += 1
    return oi[:k], oj[:k], o2[:k]


@njit(cache=True, nogil=True)
def _band_sxy(xt: np.ndarray, rows: int, ends: np.ndarray) -> np.ndarray:
    """Σ x_r x_c over samples for ``r < c < ends[r]`` only (``xt``: ``int8 [width, n]``, no
    missing); float32 ``[rows, width]`` with zeros outside the band (exact integers)."""
    width, n = xt.shape
    out = np.zeros((rows, width), np.float32)
    for r in range(rows):
        for c in range(r + 1, ends[r]):
            acc = np.int32(0)
            for s in range(n):
                acc += np.int32(xt[r, s]) * np.int32(xt[c, s])
            out[r, c] = acc
    return out


_BAND_WIDTH = 256  # windows up to this many variants: compiled band sums; wider: one BLAS product


def _auto_chunk(ends: np.ndarray) -> int:
    """First variants per chunk: about the median window width (the chunk x (chunk + window)
    product then wastes about half), at least 64 and at most 2048."""
    if not len(ends):
        return 64
    width = float(np.median(ends - np.arange(len(ends))))
    return int(np.clip(width, 64, 2048))


def _chunk_pairs(block: np.ndarray, rows: int, ends: np.ndarray, r2_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(r, c, r2)`` of one chunk: ``block`` (``int8 [n, width]``) holds the chunk's first
    variants in its first ``rows`` columns; ``ends`` are local window ends per row."""
    miss = block < 0
    if miss.any():  # pairwise-complete sums (rare: only chunks with missing calls)
        return _band_dense(r2_matrix(block[:, :rows], block), rows, ends, r2_min)
    if block.shape[1] <= _BAND_WIDTH:  # narrow windows: only the band (a small GEMM costs more)
        sxy = _band_sxy(np.ascontiguousarray(block.T), rows, ends)
    else:
        x = block.astype(np.float32)
        sxy = x[:, :rows].T @ x  # BLAS; exact: integers below 2**24 while n < 4,194,304
    xs = block.astype(np.int64)
    sx = xs.sum(axis=0).astype(np.float64)
    sxx = (xs * xs).sum(axis=0).astype(np.float64)
    return _band_complete(sxy, sx, sxx, float(block.shape[0]), rows, ends, r2_min)


def _iter_pair_arrays(
    geno: GenotypeMatrix, *, window: LdWindow, dprime: bool, ci: bool, chunk: int | None
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """``(chromosome number, columns)`` per chunk: global ``i``, ``j``, ``pos_a``, ``pos_b``,
    ``r2`` and the D′ columns asked for."""
    all_pos = geno.variants["pos"].to_numpy(np.int64)
    max_bp = window.kb * 1000.0
    for ci_, (_, cs, ce) in enumerate(geno.chromosomes()):
        pos = all_pos[cs:ce]
        ends = _window_ends(pos, max_bp, window.variants)
        step = chunk or _auto_chunk(ends)
        for a in range(0, ce - cs, step):
            b = min(ce - cs, a + step)
            e = int(ends[a:b].max())
            if e <= a + 1:
                continue
            right = geno.dosages(cs + a, cs + e)
            ii, jj, r2 = _chunk_pairs(right, b - a, (ends[a:b] - a).astype(np.int64), window.r2_min)
            if not len(ii):
                continue
            gi, gj = ii + a, jj + a
            out = {"i": gi + cs, "j": gj + cs, "pos_a": pos[gi], "pos_b": pos[gj], "r2": r2}
            if dprime or ci:
                left = right[:, : b - a]
                cnt = np.empty((len(ii), 3, 3))
                rows = max(1, 2_000_000 // (9 * right.shape[1]))
                for r0 in range(0, b - a, rows):
                    lo, hi = np.searchsorted(ii, [r0, r0 + rows])  # ii is sorted
                    if hi > lo:
                        full = genotype_counts(left[:, r0 : r0 + rows], right)
                        cnt[lo:hi] = full[ii[lo:hi] - r0, jj[lo:hi]]
                if dprime:
                    f11, f1x, fx1, ok = haplotype_mle(cnt)
                    out["dprime"] = _dprime(f11, f1x, fx1, ok)
                    out["r2_haplotype"] = _r2_haplotype(f11, f1x, fx1, ok)
                if ci:
                    c = dprime_ci(cnt)
                    out["dprime_low"], out["dprime_high"] = c.low, c.high
            yield ci_, out


def _pairs_frame(geno: GenotypeMatrix, chrom_no: np.ndarray, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """The pairs table: ids and chromosomes are categoricals over the matrix's variant ids and
    chromosome names (codes = the indices already at hand: no per-pair strings)."""
    ids = geno.variants["id"].astype(str)
    chroms = [c for c, _, _ in geno.chromosomes()]
    if ids.is_unique:
        cat = pd.Index(ids.to_numpy(), dtype=object)
        id_a = pd.Categorical.from_codes(cols["i"], categories=cat)
        id_b = pd.Categorical.from_codes(cols["j"], categories=cat)
    else:
        id_a, id_b = ids.to_numpy()[cols["i"]], ids.to_numpy()[cols["j"]]
    chrom = pd.Categorical.from_codes(chrom_no, categories=pd.Index(chroms, dtype=object))
    out: dict[str, object] = {"i": cols["i"], "j": cols["j"], "id_a": id_a, "id_b": id_b, "chrom": chrom}
    out.update({k: v for k, v in cols.items() if k not in ("i", "j")})
    return pd.DataFrame(out, copy=False)


def iter_ld_pairs(
    geno: GenotypeMatrix,
    *,
    window: LdWindow = LdWindow(),
    dprime: bool = False,
    ci: bool = False,
    chunk: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Pairs of variants within ``window`` with r² >= ``window.r2_min``, one DataFrame per chunk
    of first variants, per chromosome (no pairs across chromosomes), sorted by ``(i, j)``.

    Columns: ``i``, ``j`` (variant indices, i < j), ``id_a``, ``id_b`` (categoricals over the
    variant ids), ``chrom`` (categorical), ``pos_a``, ``pos_b``, ``r2`` (genotypic); with
    ``dprime``: ``dprime`` (unsigned D′) and ``r2_haplotype`` (from the ML haplotype frequencies,
    PLINK's ``--r2 dprime`` value); with ``ci``: ``dprime_low``, ``dprime_high`` (90 % interval,
    Haploview grid).

    r² of variants without missing calls comes from one float32 matrix product per chunk
    (``chunk`` first variants x their window; exact integer sums) and a compiled band scan;
    chunks with missing calls use pairwise-complete sums (:func:`r2_matrix`). ``chunk`` None:
    about the median window width. Memory: ``chunk`` x (``chunk`` + window) values.
    """
    for no, cols in _iter_pair_arrays(geno, window=window, dprime=dprime, ci=ci, chunk=chunk):
        yield _pairs_frame(geno, np.full(len(cols["i"]), no, dtype=np.int32), cols)


def ld_pairs(
    geno: GenotypeMatrix,
    *,
    window: LdWindow | None = None,
    r2_min: float | None = None,
    kb: float | None = None,
    dprime: bool = False,
    ci: bool = False,
    chunk: int | None = None,
) -> pd.DataFrame:
    """All pairs of :func:`iter_ld_pairs` in one DataFrame (``r2_min``/``kb`` override ``window``),
    built once from the concatenated columns."""
    w = window or LdWindow()
    if r2_min is not None or kb is not None:
        w = LdWindow(kb=w.kb if kb is None else kb, variants=w.variants, r2_min=w.r2_min if r2_min is None else r2_min)
    parts = list(_iter_pair_arrays(geno, window=w, dprime=dprime, ci=ci, chunk=chunk))
    if not parts:
        cols = ["i", "j", "id_a", "id_b", "chrom", "pos_a", "pos_b", "r2"]
        cols += ["dprime", "r2_haplotype"] * dprime + ["dprime_low", "dprime_high"] * ci
        return pd.DataFrame({c: [] for c in cols})
    chrom_no = np.concatenate([np.full(len(c["i"]), no, dtype=np.int32) for no, c in parts])
    merged = {k: np.concatenate([c[k] for _, c in parts]) for k in parts[0][1]}
    return _pairs_frame(geno, chrom_no, merged)
