"""LD blocks by the method of Gabriel et al. (2002), with PLINK 1.9 ``--blocks`` rules and defaults.

Each pair of variants (MAF >= ``min_maf``, at most ``max_kb`` apart) is classified by
Haploview's 90 % D′ confidence interval (:func:`varkg.popgen.ld.dprime_ci`, 0.01 grid):

* **strong LD**: upper bound >= 0.98 and lower bound >= 0.71 (PLINK/Haploview count a pair as
  strong when the lower bound *exceeds* 0.70);
* **recombination**: upper bound < 0.90;
* otherwise non-informative.

A run of variants ``[s, e]`` is a candidate block when its outer pair has upper >= 0.98 and
lower >= 0.70, and

* 2 variants: lower bound >= 0.81 and span <= 20 kb;
* 3 variants: span <= 30 kb and both inner pairs have upper >= 0.98, lower >= 0.51;
* 4 variants: all six pairs have upper >= 0.98, lower >= 0.51;
* 5 or more: at least 6 informative pairs, and strong pairs are more than ``inform_frac``
  (0.95) of the informative ones.

Candidates are taken greedily, longest span (bp) first (ties: later start first), skipping any
whose first or last variant is already in a block. These are the rules of PLINK 1.9's
``haploview_blocks`` (a port of Haploview's ``FindBlocks.doGabriel``), written here from its
documented behaviour; pairs use all samples given (PLINK uses founders: pass founders only to
match it on pedigreed data).

Example:
    >>> import numpy as np
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> rng = np.random.default_rng(0)
    >>> hap = rng.integers(0, 2, size=(200, 1))
    >>> d = np.repeat(hap + rng.integers(0, 2, size=(200, 1)), 6, axis=1).astype(np.int8)
    >>> g = GenotypeMatrix.from_arrays(d, chrom=["1"] * 6, pos=[1000 * i + 1 for i in range(6)],
    ...                                samples=[str(i) for i in range(200)])
    >>> [(b.pos_first, b.pos_last, b.n_variants) for b in gabriel_blocks(g)]
    [(1, 5001, 6)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numba import njit

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import GenotypeMatrix
from varkg.popgen.ld import _EPS, _surface_cumulative

__all__ = ["BlockParams", "LdBlockResult", "blocks_table", "classify_pairs", "gabriel_blocks"]

_SMALL_EPSILON = 2.0**-21  # PLINK's SMALL_EPSILON (MAF threshold slack)
_SMALLISH_EPSILON = 2.0**-44

# pair classes (PLINK's ordering): 0 recombination, 1 non-informative (or undefined),
# 2..6 upper >= 0.98 with lower < 0.51, [0.51, 0.70), 0.70, [0.71, 0.81), >= 0.81
RECOMB, NONINF, HI_LOW051, HI_LOW070, HI_EQ070, HI_STRONG, HI_STRONG081 = range(7)


@dataclass(frozen=True)
class BlockParams:
    """PLINK 1.9 ``--blocks`` parameters (its defaults; ``--blocks-*`` names in brackets).

    Attributes:
        max_kb: largest block span, kb (``--blocks-max-kb``, 200).
        min_maf: variants with MAF below this are ignored (``--blocks-min-maf``, 0.05).
        strong_lowci: lower D′ bound of a strong pair's outer test (``--blocks-strong-lowci``, 0.70).
        strong_highci: upper D′ bound of strong LD (``--blocks-strong-highci``, 0.98).
        recomb_highci: upper bound below which a pair shows recombination (``--blocks-recomb-highci``, 0.90).
        inform_frac: strong share of informative pairs a block needs (``--blocks-inform-frac``, 0.95).
        small_max_span: 2- and 3-variant blocks limited to 20 / 30 kb (PLINK without ``no-small-max-span``).
    """

    max_kb: float = 200.0
    min_maf: float = 0.05
    strong_lowci: float = 0.70
    strong_highci: float = 0.98
    recomb_highci: float = 0.90
    inform_frac: float = 0.95
    small_max_span: bool = True

    def __post_init__(self) -> None:
        for name in ("strong_lowci", "strong_highci", "recomb_highci", "inform_frac"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise AnalysisError(f"{name} must be in (0, 1] (got {v})")
        if not 0.0 <= self.min_maf < 0.5:
            raise AnalysisError(f"min_maf must be in [0, 0.5) (got {self.min_maf})")
        if self.max_kb <= 0:
            raise AnalysisError(f"max_kb must be > 0 (got {self.max_kb})")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class LdBlockResult:
    """One LD block: its chromosome, first/last member positions (1-based, inclusive), member
    variant indices into the matrix and their ids.

    ``start``/``stop`` are the 0-based half-open interval ``[pos_first - 1, pos_last)``.
    """

    chrom: str
    pos_first: int
    pos_last: int
    members: np.ndarray = field(repr=False)
    ids: list[str] = field(repr=False)

    @property
    def n_variants(self) -> int:
        return len(self.members)

    @property
    def start(self) -> int:
        return self.pos_first - 1

    @property
    def stop(self) -> int:
        return self.pos_last

    @property
    def kb(self) -> float:
        """Span as PLINK's ``.blocks.det`` reports it: ``(pos_last - pos_first + 1) / 1000``."""
        return (self.pos_last - self.pos_first + 1) / 1000.0


def classify_pairs(counts: np.ndarray, params: BlockParams = BlockParams(), *, full_grid: bool = False) -> np.ndarray:
    """Pair classes (``int8``, see the module constants) of genotype tables ``[n, 3, 3]``.

    Default: the compiled classifier :func:`gabriel_blocks` uses (likelihoods evaluated only as
    far as the class needs them); ``full_grid``: every one of the 101 grid likelihoods, in numpy
    (the reference; the same classes).
    """
    hs = int(round(params.strong_highci * 100)) - 2  # S_97 = T - C_96 > 5 %  <=>  upper >= 0.98
    rh = int(round(params.recomb_highci * 100)) - 2  # S_89 = T - C_88 <= 5 % <=>  upper < 0.90
    lo = int(round(params.strong_lowci * 100))  # 70
    if not full_grid:
        return _classify_tables(np.ascontiguousarray(np.asarray(counts).reshape(-1, 3, 3), dtype=np.int64), hs, rh, lo)
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, 3, 3)
    out = np.full(len(counts), NONINF, dtype=np.int8)
    for a in range(0, len(counts), 16384):
        cum, ok = _surface_cumulative(counts[a : a + 16384])
        t = cum[:, 100] * 0.05
        below = lambda q, cum=cum, t=t: cum[:, q] < t  # noqa: E731  (lower bound >= (q + 1) / 100)
        hi = (cum[:, 100] - cum[:, hs]) > t
        rec = (cum[:, 100] - cum[:, rh]) <= t
        typ = np.where(
            below(lo + 11),
            HI_STRONG081,
            np.where(below(lo + 1), HI_STRONG, np.where(below(lo), HI_EQ070, np.where(below(51), HI_LOW070, HI_LOW051))),
        )
        typ = np.where(hi, typ, np.where(rec, RECOMB, NONINF))
        out[a : a + 16384] = np.where(ok, typ, NONINF)
    return out


def _maf_keep(d: np.ndarray, min_maf: float) -> np.ndarray:
    """Variants (columns of dosages ``d``) with MAF >= ``min_maf`` over their called samples."""
    ok = d >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(ok, d, 0).sum(axis=0, dtype=np.int64) / (2.0 * ok.sum(axis=0))
    lo = min_maf * (1 - _SMALL_EPSILON)
    return np.isfinite(f) & (f >= lo) & (f <= 1 - lo)


def gabriel_blocks(geno: GenotypeMatrix, *, params: BlockParams = BlockParams(), chunk: int = 8192) -> list[LdBlockResult]:
    """LD blocks of every chromosome of ``geno`` (module docstring for the rules), in order.

    Dosages are read ``chunk`` variants at a time and kept as bit planes (3 bits per sample and
    variant of MAF >= ``min_maf``) for one chromosome at a time.
    """
    ids = geno.variants["id"].to_numpy()
    all_pos = geno.variants["pos"].to_numpy(np.int64)
    out: list[LdBlockResult] = []
    for chrom, cs, ce in geno.chromosomes():
        kept, planes, tots, missing = [], [], [], False
        for a in range(cs, ce, chunk):
            d = geno.dosages(a, min(ce, a + chunk))
            keep = _maf_keep(d, params.min_maf)
            d = d[:, keep]
            kept.append(np.flatnonzero(keep) + a)
            planes.append(_bitplanes(d))
            tots.append(np.stack([np.count_nonzero(d == g, axis=0) for g in range(3)], axis=1).astype(np.int64))
            missing = missing or bool((d < 0).any())
        orig = np.concatenate(kept) if kept else np.zeros(0, np.int64)
        if len(orig) < 2:
            continue
        pos = all_pos[orig]
        bits = np.concatenate(planes)
        for s, e in _chrom_blocks(bits, np.concatenate(tots), missing, pos, params):
            members = orig[s : e + 1]
            out.append(LdBlockResult(chrom, int(pos[s]), int(pos[e]), members, [str(x) for x in ids[members]]))
    return out


def _bitplanes(d: np.ndarray) -> np.ndarray:
    """``uint64 [variants, 3, words]``: bit s of plane g set where sample s has dosage g."""
    n = d.shape[0]
    words = max(1, (n + 63) // 64)
    out = np.zeros((d.shape[1], 3, words * 8), dtype=np.uint8)
    for g in range(3):
        packed = np.packbits((d == g).T, axis=1, bitorder="little")
        out[:, g, : packed.shape[1]] = packed
    return out.view(np.uint64)


def _chrom_blocks(planes: np.ndarray, tots: np.ndarray, missing: bool, pos: np.ndarray, params: BlockParams) -> list:
    """``(s, e)`` index pairs (into the kept variants) of one chromosome's blocks, from the bit
    planes and per-dosage totals of its kept variants."""
    n = len(pos)
    max_bp = int(round(params.max_kb * 1000))
    smin = np.searchsorted(pos, pos - max_bp, side="left").astype(np.int64)
    widest = int((np.arange(n) - smin).max()) + 1  # most variants in one window (PLINK's max block size)
    futility = (widest * (widest - 1) + 38) // 40 if widest >= 4 else 1
    hs = int(round(params.strong_highci * 100)) - 2
    rh = int(round(params.recomb_highci * 100)) - 2
    lo = int(round(params.strong_lowci * 100))
    span2 = 20000 if params.small_max_span else 1 << 62
    span3 = 30000 if params.small_max_span else 1 << 62
    state = np.zeros(1, np.int64)  # the window start of the last variant (after the futility cut)
    strong = np.zeros(n, np.int64)
    recomb = np.zeros(n, np.int64)
    near = np.full((n, 3), -1, np.int8)
    parts: list[np.ndarray] = []
    buf = np.empty((max(1 << 16, 2 * widest + 2), 3), np.int64)  # a variant adds at most `widest` candidates
    e = 0
    while e < n:
        got, e = _scan(
            planes,
            tots,
            0,
            e,
            n,
            smin,
            pos,
            state,
            strong,
            recomb,
            near,
            futility,
            missing,
            hs,
            rh,
            lo,
            span2,
            span3,
            params.inform_frac + _SMALLISH_EPSILON,
            buf,
        )
        parts.append(buf[:got].copy())
    cand = np.concatenate(parts)
    order = np.lexsort((cand[:, 2], cand[:, 1], cand[:, 0]))[::-1]  # longest first; ties: later start, later end
    return _greedy(cand[order], n)


@njit(cache=True, nogil=True)
def _pair_counts(a: np.ndarray, b: np.ndarray, ta: np.ndarray, tb: np.ndarray, missing: bool, c: np.ndarray) -> None:
    """3 x 3 genotype table of bit planes ``a`` (first index) and ``b``; without missing calls
    four cells by popcount and the rest from the dosage totals ``ta``/``tb``."""
    words = a.shape[1]
    if missing:
        for x in range(3):
            for y in range(3):
                acc = np.uint64(0)
                for w in range(words):
                    acc += _popcount(a[x, w] & b[y, w])
                c[x, y] = acc
        return
    c11 = np.uint64(0)
    c12 = np.uint64(0)
    c21 = np.uint64(0)
    c22 = np.uint64(0)
    for w in range(words):
        a1, a2, b1, b2 = a[1, w], a[2, w], b[1, w], b[2, w]
        c11 += _popcount(a1 & b1)
        c12 += _popcount(a1 & b2)
        c21 += _popcount(a2 & b1)
        c22 += _popcount(a2 & b2)
    c[1, 1], c[1, 2], c[2, 1], c[2, 2] = c11, c12, c21, c22
    c[1, 0] = ta[1] - c[1, 1] - c[1, 2]
    c[2, 0] = ta[2] - c[2, 1] - c[2, 2]
    c[0, 1] = tb[1] - c[1, 1] - c[2, 1]
    c[0, 2] = tb[2] - c[1, 2] - c[2, 2]
    c[0, 0] = tb[0] - c[1, 0] - c[2, 0]


@njit(cache=True, nogil=True)
def _scan(
    planes: np.ndarray,
    tots: np.ndarray,
    base: int,
    e_from: int,
    e_to: int,
    smin: np.ndarray,
    pos: np.ndarray,
    state: np.ndarray,
    strong: np.ndarray,
    recomb: np.ndarray,
    near: np.ndarray,
    futility: int,
    missing: bool,
    hs: int,
    rh: int,
    lo: int,
    span2: int,
    span3: int,
    inform: float,
    out: np.ndarray,
) -> tuple[int, int]:
    """Candidate blocks ``(span, s, e)`` of variants ``e`` in ``[e_from, e_to)`` into ``out``;
    returns ``(count, next e)`` (stops early when ``out`` could overflow). ``strong``/``recomb``
    hold the pair counts of the triangles ``[k, e - 1]``, ``near[e]`` the classes of ``(e-1, e)``,
    ``(e-2, e)``, ``(e-3, e)``; ``state[0]`` the last window start."""
    c = np.zeros((3, 3), np.int64)
    got = 0
    e = e_from
    while e < e_to:
        lo_e = max(int(smin[e]), int(state[0]))
        if got + (e - lo_e) + 1 > len(out):
            return got, e
        strong[e] = 0
        recomb[e] = 0
        a = planes[e - base]
        ta = tots[e - base]
        cs = 0
        cr = 0
        stop = lo_e
        k = e - 1
        while k >= lo_e:
            delta = e - k
            if delta >= 4 and recomb[k] + cr >= futility:
                stop = k + 1  # every block holding [k, e] has too many recombination pairs
                break
            _pair_counts(a, planes[k - base], ta, tots[k - base], missing, c)
            typ = _classify1(c, hs, rh, lo)
            if typ >= HI_STRONG:
                cs += 1
            elif typ == RECOMB:
                cr += 1
            strong[k] += cs
            recomb[k] += cr
            span = pos[e] - pos[k]
            hit = False
            if delta <= 3:
                near[e, delta - 1] = typ
                if delta == 1:
                    hit = typ == HI_STRONG081 and span <= span2
                elif delta == 2:
                    hit = typ >= HI_EQ070 and span <= span3 and near[e, 0] >= HI_LOW070 and near[e - 1, 0] >= HI_LOW070
                else:
                    hit = (
                        typ >= HI_EQ070
                        and near[e, 0] >= HI_LOW070
                        and near[e, 1] >= HI_LOW070
                        and near[e - 1, 0] >= HI_LOW070
                        and near[e - 1, 1] >= HI_LOW070
                        and near[e - 2, 0] >= HI_LOW070
                    )
            else:
                tot = strong[k] + recomb[k]
                hit = typ >= HI_EQ070 and tot >= 6 and tot * inform < strong[k]
            if hit:
                out[got, 0] = span
                out[got, 1] = k
                out[got, 2] = e
                got += 1
            k -= 1
        state[0] = stop
        e += 1
    return got, e


@njit(cache=True, nogil=True)
def _greedy(cand: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Candidates in order, skipping any whose first or last variant is already in a block."""
    taken = np.zeros(n, np.bool_)
    chosen = []
    for i in range(len(cand)):
        s, e = cand[i, 1], cand[i, 2]
        if taken[s] or taken[e]:
            continue
        taken[s : e + 1] = True
        chosen.append((s, e))
    chosen.sort()
    return chosen


def blocks_table(blocks: list[LdBlockResult]) -> pd.DataFrame:
    """Blocks as PLINK's ``.blocks.det`` columns (``CHR BP1 BP2 KB NSNPS SNPS``), SNPS ``|``-joined."""
    return pd.DataFrame(
        {
            "CHR": [b.chrom for b in blocks],
            "BP1": [b.pos_first for b in blocks],
            "BP2": [b.pos_last for b in blocks],
            "KB": [b.kb for b in blocks],
            "NSNPS": [b.n_variants for b in blocks],
            "SNPS": ["|".join(b.ids) for b in blocks],
        }
    )


# ---------------------------------------------------------------------------- compiled single pass
# Pair classes computed as needed, in PLINK's order: for each variant e, pairs (k, e) for k = e - 1
# down to the window start, with the exact futility cut (a block needs strong > 19 x recombination
# pairs and has at most B(B-1)/2 pairs, B = most variants in one window, so once the triangle
# [k, e] holds >= B(B-1)/40 recombination pairs no block contains it). Each class comes from the
# D′ likelihood grid with early exits: where the likelihood along the grid has one stationary
# point (the ML estimate, at q* = 100 D′), it rises up to q* and falls after it, so partial sums
# from D′ = 1 down bound the rest (a tail below p <= q* - 1 holds at most p f(p)); elsewhere the
# whole 101-point grid, as classify_pairs.
_DBL_MAX = 1.7976931348623157e308


@njit(cache=True, nogil=True, inline="always")
def _popcount(v: np.uint64) -> np.uint64:
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (v * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True, nogil=True, inline="always")
def _polish(x: float, a: float, b: float, c: float) -> float:
    f = ((x + a) * x + b) * x + c
    df = (3.0 * x + 2.0 * a) * x + b
    step = f / df if np.abs(df) > 1e-300 else 0.0
    if np.isnan(step):
        step = 0.0
    elif np.isinf(step):
        step = _DBL_MAX if step > 0 else -_DBL_MAX
    return x - step


@njit(cache=True, nogil=True, inline="always")
def _sort2(x: float, y: float) -> tuple[float, float]:
    """Ascending, NaN last (as np.sort)."""
    if np.isnan(x) or (not np.isnan(y) and y < x):
        return y, x
    return x, y


@njit(cache=True, nogil=True)
def _cubic_roots3(a: float, b: float, c: float) -> tuple[float, float, float]:
    """Scalar :func:`varkg.popgen.ld._cubic_real_roots` (same operations): sorted, NaN last."""
    p = b - a * a / 3.0
    q = 2.0 * a**3 / 27.0 - a * b / 3.0 + c
    shift = -a / 3.0
    disc = (q / 2.0) ** 2 + (p / 3.0) ** 3
    if disc > 0:
        sq = np.sqrt(disc)
        return _polish(np.cbrt(-q / 2.0 + sq) + np.cbrt(-q / 2.0 - sq) + shift, a, b, c), np.nan, np.nan
    m = 2.0 * np.sqrt(-p / 3.0)
    arg = 3.0 * q / (p * m) if m > 0 else 0.0
    arg = min(max(arg, -1.0), 1.0)
    theta = np.arccos(arg) / 3.0
    r0 = _polish(m * np.cos(theta) + shift, a, b, c)
    r1 = _polish(m * np.cos(theta - 2.0 * np.pi / 3.0) + shift, a, b, c)
    r2 = _polish(m * np.cos(theta - 2.0 * np.pi * 2 / 3.0) + shift, a, b, c)
    r0, r1 = _sort2(r0, r1)
    r1, r2 = _sort2(r1, r2)
    r0, r1 = _sort2(r0, r1)
    return r0, r1, r2


@njit(cache=True, nogil=True, inline="always")
def _finite_ll(v: float) -> float:
    """``np.nan_to_num(v, nan=-inf)``."""
    if np.isnan(v):
        return -np.inf
    if np.isinf(v):
        return _DBL_MAX if v > 0 else -_DBL_MAX
    return v


@njit(cache=True, nogil=True, inline="always")
def _split_ll(
    x: float, k11: float, k12: float, k21: float, k22: float, hh: float, f11: float, f12: float, f21: float, f22: float, h: float
) -> float:
    """Log likelihood of double-het split ``x`` (-inf for NaN; ``np.nan_to_num`` semantics)."""
    if np.isnan(x):
        return -np.inf
    a11, a22, a12, a21 = f11 + x, f22 + x, f12 + h - x, f21 + h - x
    ll = hh * np.log(a11 * a22 + a12 * a21)
    if k11 > 0:
        ll += k11 * np.log(a11)
    if k12 > 0:
        ll += k12 * np.log(a12)
    if k21 > 0:
        ll += k21 * np.log(a21)
    if k22 > 0:
        ll += k22 * np.log(a22)
    return _finite_ll(ll)


@njit(cache=True, nogil=True)
def _mle1(k11: float, k12: float, k21: float, k22: float, hh: float) -> tuple[float, float, float, bool, int]:
    """Scalar :func:`varkg.popgen.ld.haplotype_mle` from known haplotype counts: ``(f11, f1x,
    fx1, ok, shape)``; shape 1 = one stationary point (or no double hets), 0 = other."""
    twice = k11 + k12 + k21 + k22 + 2 * hh
    ok = twice > 0
    inv = 1.0 / (twice if ok else 1.0)
    f11, f12, f21, f22 = k11 * inv, k12 * inv, k21 * inv, k22 * inv
    h = hh * inv
    f1x = f11 + f12 + h
    fx1 = f11 + f21 + h
    p1122, p1221 = f11 * f22, f12 * f21
    has_h = hh > 0
    both_zero = p1122 == 0 and p1221 == 0
    if not has_h:
        return f11, f1x, fx1, ok and not both_zero, 1
    r0, r1, r2 = _cubic_roots3(
        0.5 * (f11 + f22 - f12 - f21 - 3 * h), 0.5 * (p1122 + p1221 + h * (f12 + f21 - f11 - f22 + h)), -0.5 * h * p1122
    )
    n_in = 0
    x0, x1, x2 = np.nan, np.nan, np.nan
    if r0 >= -_EPS and r0 <= h + _EPS:
        x0, n_in = min(max(r0, 0.0), h), n_in + 1
    if r1 >= -_EPS and r1 <= h + _EPS:
        x1, n_in = min(max(r1, 0.0), h), n_in + 1
    if r2 >= -_EPS and r2 <= h + _EPS:
        x2, n_in = min(max(r2, 0.0), h), n_in + 1
    if n_in == 0:
        x0, x1, x2 = 0.0, h, np.nan
    if both_zero:
        mid = (h + f21 - f22) * 0.5
        mid_ok = (f22 + _EPS < h + f21) and (f21 + _EPS < h + f22)
        x0, x1, x2 = 0.0, (mid if mid_ok else np.nan), h
    best, best_ll = x0, _split_ll(x0, k11, k12, k21, k22, hh, f11, f12, f21, f22, h)
    v = _split_ll(x1, k11, k12, k21, k22, hh, f11, f12, f21, f22, h)
    if v > best_ll:
        best, best_ll = x1, v
    if _split_ll(x2, k11, k12, k21, k22, hh, f11, f12, f21, f22, h) > best_ll:
        best = x2
    if np.isnan(best):
        best = 0.0
    # stationary points on the estimate's side of D = 0 (the grid's side): one makes it unimodal
    shape = 0
    if n_in >= 1 and not both_zero:
        x_d0 = f1x * fx1 - f11  # the split with D = 0
        side = best - x_d0
        for x in (x0, x1, x2):
            if not np.isnan(x) and (x - x_d0) * side > 0 and abs(x - x_d0) > 1e-12:
                shape += 1
        shape = 1 if shape == 1 else 0
    return f11 + best, f1x, fx1, ok, shape


@njit(cache=True, nogil=True, inline="always")
def _grid_ll(
    q: float,
    k11: float,
    k12: float,
    k21: float,
    k22: float,
    hh: float,
    f1x: float,
    fx1: float,
    f2x: float,
    e11: float,
    denom: float,
) -> float:
    t11 = q * denom + e11
    t12 = f1x - t11
    t21 = fx1 - t11
    t22 = f2x - t21
    if q == 100:
        t11, t12, t21, t22 = max(t11, 1e-10), max(t12, 1e-10), max(t21, 1e-10), max(t22, 1e-10)
    return _klog(k11, t11) + _klog(k12, t12) + _klog(k21, t21) + _klog(k22, t22) + hh * np.log(t11 * t22 + t12 * t21)


@njit(cache=True, nogil=True, inline="always")
def _klog(k: float, t: float) -> float:
    """``k * log(t)`` (IEEE: 0 for k = 0 and t > 0, NaN for k = 0 and t <= 0), one log fewer for k = 0."""
    if k > 0:
        return k * np.log(t)
    return 0.0 if t > 0 else np.nan


@njit(cache=True, nogil=True)
def _full_grid(
    k11: float,
    k12: float,
    k21: float,
    k22: float,
    hh: float,
    f1x: float,
    fx1: float,
    f2x: float,
    e11: float,
    denom: float,
    hs: int,
    rh: int,
    lo: int,
) -> int:
    """The class from all 101 grid likelihoods (the operations of :func:`classify_pairs`)."""
    ll = np.empty(101)
    for q in range(101):
        ll[q] = _finite_ll(_grid_ll(q, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom))
    mx = ll.max()
    cum = np.empty(101)
    acc = 0.0
    for q in range(101):
        v = np.exp(ll[q] - mx)
        if np.isnan(v):
            v = 0.0
        elif np.isinf(v):
            v = _DBL_MAX
        acc += v
        cum[q] = acc
    t = cum[100] * 0.05
    if not (cum[100] - cum[hs]) > t:
        return RECOMB if (cum[100] - cum[rh]) <= t else NONINF
    if cum[lo + 11] < t:
        return HI_STRONG081
    if cum[lo + 1] < t:
        return HI_STRONG
    if cum[lo] < t:
        return HI_EQ070
    if cum[51] < t:
        return HI_LOW070
    return HI_LOW051


@njit(cache=True, nogil=True, inline="always")
def _lower_class(u0: float, u1: float, u2: float, u3: float, lo95: float, hi95: float) -> int:
    """The high-upper-bound class from the right sums at the four lower-bound cuts (NaN: not yet
    summed) when ``0.95 T`` lies in ``[lo95, hi95]``; -1 while undecided."""
    for i, v in enumerate((u0, u1, u2, u3)):
        if np.isnan(v):
            return -1
        if hi95 < v:
            return (HI_STRONG081, HI_STRONG, HI_EQ070, HI_LOW070)[i]
        if not lo95 >= v:
            return -1
    return HI_LOW051


@njit(cache=True, nogil=True)
def _walk(
    center: int,
    q_mode: float,
    ll_c: float,
    k11: float,
    k12: float,
    k21: float,
    k22: float,
    hh: float,
    f1x: float,
    fx1: float,
    f2x: float,
    e11: float,
    denom: float,
    hs: int,
    rh: int,
    lo: int,
) -> int:
    """The class of a unimodal grid summed from q = 100 down until bounds on the rest decide
    every comparison. The likelihood f (``f(center) = 1``, ``center`` = the mode rounded; at
    most ``f_mode`` anywhere) falls from q = center + 1 up and rises up to q = center - 1, so
    for the rest R = f(0) + ... + f(p - 1): 1 + (p - 1 - center) f(p) <= R when p > center, and
    R <= p f(p) when p < center (R <= p f_mode always)."""
    qh, qr = hs + 1, rh + 1  # upper bound >= strong_highci <=> mass at q >= qh > 5 %; recombination: at q >= qr <= 5 %
    hi = -1
    # one look at f(qx), qx > center: the tail [qx, 100] holds at most (101 - qx) f(qx) and the
    # rest at least 1 + (qx - 1 - center) f(qx); tail <= rest / 19 decides "at most 5 %"
    if center < qr:
        fr = np.exp(_grid_ll(qr, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom) - ll_c)
        if fr * (19.0 * (101 - qr) - (qr - 1 - center)) < 1.0:
            return RECOMB
    if center < qh:
        fh = np.exp(_grid_ll(qh, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom) - ll_c)
        if fh * (19.0 * (101 - qh) - (qh - 1 - center)) < 1.0:
            hi = 0
    # the mode itself (between grid points, q_mode): a maximum, or the grid is summed in full
    f_mode = np.exp(_grid_ll(q_mode, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom) - ll_c)
    if not (f_mode >= 1.0 - 1e-6 and np.isfinite(f_mode)):
        return _full_grid(k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom, hs, rh, lo)
    f_mode = max(f_mode, 1.0)
    m0, m1, m2, m3 = lo + 12, lo + 2, lo + 1, 52  # U_{k+1} for the lower-bound cuts k = lo+11, lo+1, lo, 51
    u0 = u1 = u2 = u3 = np.nan
    u = 0.0
    s_h = np.nan
    s_r = np.nan
    peak_ok = True
    for p in range(100, -1, -1):
        fp = np.exp(_finite_ll(_grid_ll(p, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom)) - ll_c)
        if np.isnan(fp):
            fp = 0.0
        u += fp
        if p == qh:
            s_h = u
        if p == qr:
            s_r = u
        if p == m0:
            u0 = u
        if p == m1:
            u1 = u
        if p == m2:
            u2 = u
        if p == m3:
            u3 = u
        if p == center + 1 or p == center - 1:
            peak_ok = peak_ok and fp <= 1.0
        if p == 0:
            t_lo = u
            t_hi = u
        else:
            t_lo = u + (1.0 + (p - 1 - center) * fp if center < p else 0.0)
            t_hi = u + (p * fp if (p <= center - 1 and peak_ok) else p * f_mode)
        if hi == -1 and p <= qh:
            if s_h > 0.05 * t_hi:
                hi = 1
            elif s_h <= 0.05 * t_lo:
                hi = 0
        if hi == 0 and p <= qr:
            if s_r <= 0.05 * t_lo:
                return RECOMB
            if s_r > 0.05 * t_hi:
                return NONINF
        if hi == 1:
            # lower bound >= cut k <=> C_k = T - U_{k+1} < 5 % of T, i.e. 0.95 T < U_{k+1}; cuts descending
            w = _lower_class(u0, u1, u2, u3, 0.95 * t_lo, 0.95 * t_hi)
            if w >= 0:
                return w
    return NONINF  # not reached: at p = 0 every comparison is decided


@njit(cache=True, nogil=True)
def _classify1(c: np.ndarray, hs: int, rh: int, lo: int) -> int:
    """The class of one genotype table ``c`` (``[3, 3]``, first index: the first variant's
    dosage), as :func:`classify_pairs` (``hs``/``rh``: upper-bound cuts in percent minus 2,
    ``lo``: the strong lower bound in percent)."""
    k11 = float(2 * c[2, 2] + c[2, 1] + c[1, 2])
    k12 = float(2 * c[2, 0] + c[2, 1] + c[1, 0])
    k21 = float(2 * c[0, 2] + c[1, 2] + c[0, 1])
    k22 = float(2 * c[0, 0] + c[1, 0] + c[0, 1])
    hh = float(c[1, 1])
    f11, f1x, fx1, ok, shape = _mle1(k11, k12, k21, k22, hh)
    if not ok:
        return NONINF
    f2x, fx2 = 1.0 - f1x, 1.0 - fx1
    d = f11 - fx1 * f1x
    if d < 0.0:  # D < 0: swap the second locus' alleles so that D > 0
        k11, k12 = k12, k11
        k21, k22 = k22, k21
        fx1, fx2 = fx2, fx1
    e11 = fx1 * f1x
    dmax = min(fx1 * f2x, fx2 * f1x)
    if not dmax > 0:
        return NONINF
    denom = 0.01 * dmax
    if shape == 1:
        center = min(100, max(0, int(abs(d) / dmax * 100.0 + 0.5)))
        ll_c = _grid_ll(center, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom)
        if np.isfinite(ll_c):
            return _walk(
                center, min(100.0, abs(d) / dmax * 100.0), ll_c, k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom, hs, rh, lo
            )
    return _full_grid(k11, k12, k21, k22, hh, f1x, fx1, f2x, e11, denom, hs, rh, lo)


@njit(cache=True, nogil=True)
def _classify_tables(counts: np.ndarray, hs: int, rh: int, lo: int) -> np.ndarray:
    out = np.empty(len(counts), np.int8)
    for i in range(len(counts)):
        out[i] = _classify1(counts[i], hs, rh, lo)
    return out
