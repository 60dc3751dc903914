"""Haplotype-based selection scans: iHS, nSL and XP-EHH on phased haplotypes.

Definitions (Sabeti et al. 2002; Voight et al. 2006; Ferrer-Admetlla et al. 2014; Sabeti et al.
2007), as scikit-allel computes them so that its functions are an exact oracle:

* **EHH** of a set of haplotypes at focal variant *i* and variant *j*: the fraction of pairs of
  the set that are identical over every variant from *i* to *j*.
* **iHH** integrates EHH over distance by the trapezoid rule, left and right of *i* separately
  and summed, stopping at the first variant where EHH <= ``min_ehh`` (0.05; that last interval
  is included). A side that reaches the end of the chromosome first gives NaN unless
  ``include_edges``; a gap longer than ``max_gap`` (200 kb) gives NaN.
* **iHS** = ln(iHH₁ / iHH₀), the sets being the haplotypes carrying the counted (ALT, "1")
  allele and the REF ("0") allele at *i*; variants with minor allele frequency < ``min_maf`` are
  NaN. **Sign: positive = the ALT allele sits on longer haplotypes** (Voight et al. write
  ln(iHH_A/iHH_D), the opposite sign when ALT is the derived allele).
* **nSL** = ln(SL₁ / SL₀), SL the mean over pairs of the number of consecutive identical
  variants around *i* (counted from *i* on each side, so *i* itself counts twice), no cut-off.
* **XP-EHH** = ln(iHH_pop1 / iHH_pop2), EHH over all haplotypes of each population (the focal
  variant itself counts: pairs that differ at *i* are not identical). **Positive = longer
  haplotypes in pop1** (selection in pop1).

**Logarithms are natural** (scikit-allel); selscan reports log10: divide by ln 10 = 2.302585 to
compare unstandardised scores (standardised scores are the same).

**Distances.** With no genetic map, EHH is integrated over physical distance in bp; a gap
between neighbouring variants longer than ``gap_scale`` (20 kb) is shrunk to ``gap_scale``
(scikit-allel's and selscan's default) and one longer than ``max_gap`` makes the score NaN.
With ``map_pos`` (e.g. cM), the genetic distance is integrated, still scaled by the same
physical rule.

**Standardisation.** iHS and nSL are standardised within bins of the counted-allele count
(``n_bins`` equal-width bins of frequency, default 20: (score - bin mean) / bin SD, SD with
ddof 0); XP-EHH over all variants.

**Algorithm.** The positional Burrows–Wheeler transform (Durbin 2014) keeps the haplotypes
sorted by their reversed prefixes with divergence values: at each variant, the pairs of a set
identical over a run of variants are contiguous, and the number of pairs sharing at least *L*
variants comes from the nearest-smaller-value counts of the match lengths, O(haplotypes) per
variant instead of scikit-allel's O(haplotypes²) pair scan. The kernel is compiled with numba
when it is importable (it comes with umap-learn); else it runs as plain Python (slow, same
results).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import GenotypeMatrix

__all__ = [
    "ScanResult",
    "compute_gaps",
    "haplotype_array",
    "ihh_scan",
    "ihs",
    "ihs_array",
    "nsl",
    "nsl_array",
    "standardize",
    "standardize_by_frequency",
    "xpehh",
    "xpehh_array",
]

Stat = Literal["ihs", "nsl", "xpehh"]


def _identity(*args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    def wrap(fn: Any) -> Any:
        return fn

    return wrap


try:  # numba compiles the kernel; the pure-Python fallback gives the same numbers
    from numba import njit
except ImportError:  # pragma: no cover
    njit = _identity  # type: ignore[assignment]


@njit(cache=True)
def _integrate(hist: np.ndarray, n_pairs: float, r0: float, i: int, gaps: np.ndarray, min_ehh: float, edges: bool) -> float:
    """iHH to one side: ``hist[s]`` pairs share exactly ``s`` variants ending at ``i`` (they are
    identical back to variant ``i - j`` while ``s >= j + 1``); ``r0`` pairs share at least one."""
    if n_pairs <= 0:
        return np.nan
    remaining = r0
    prev = remaining / n_pairs
    if prev <= min_ehh:
        return 0.0
    ihh = 0.0
    top = hist.shape[0]
    for j in range(1, top + 1):
        if i - j < 0:
            return ihh if edges else np.nan
        gap = gaps[i - j]
        if gap < 0:
            return np.nan
        remaining -= hist[j] if j < top else 0.0
        cur = remaining / n_pairs
        ihh += gap * (prev + cur) / 2.0
        if cur <= min_ehh:
            return ihh
        prev = cur
    return ihh if edges else np.nan


@njit(cache=True)
def _segment(lcp: np.ndarray, s0: int, s1: int, stack: np.ndarray, cnt: np.ndarray) -> int:
    """Pairs-per-minimum counts of the match lengths ``lcp[s0+1:s1]`` (nearest smaller values);
    fills ``cnt[t]`` for t in (s0, s1) and returns the largest match length."""
    top = 0
    best = 0
    # prev strictly-less and next less-or-equal, positions relative to s0; s0 and s1 are sentinels
    for t in range(s0 + 1, s1):
        x = lcp[t]
        if x > best:
            best = x
        while top > 0 and lcp[stack[top - 1]] >= x:
            k = stack[top - 1]
            top -= 1
            left = k - (stack[top - 1] if top > 0 else s0)
            cnt[k] = left * (t - k)
        stack[top] = t
        top += 1
    while top > 0:
        k = stack[top - 1]
        top -= 1
        left = k - (stack[top - 1] if top > 0 else s0)
        cnt[k] = left * (s1 - k)
    return best


@njit(cache=True)
def _scan(h: np.ndarray, gaps: np.ndarray, min_ehh: float, edges: bool, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """One direction over ``h [variants, haplotypes]`` (0/1). ``kind`` 0: iHH per allele set,
    1: mean shared length per allele set (nSL), 2: iHH of all haplotypes (XP-EHH, in ``out0``)."""
    m, n = h.shape
    a = np.arange(n)
    d = np.zeros(n, dtype=np.int64)
    a0 = np.empty(n, dtype=np.int64)
    a1 = np.empty(n, dtype=np.int64)
    d0 = np.empty(n, dtype=np.int64)
    d1 = np.empty(n, dtype=np.int64)
    lcp = np.zeros(n, dtype=np.int64)
    cnt = np.zeros(n, dtype=np.float64)
    stack = np.empty(n, dtype=np.int64)
    out0 = np.full(m, np.nan)
    out1 = np.full(m, np.nan)
    for k in range(m):
        u = 0
        v = 0
        p = k + 1
        q = k + 1
        for t in range(n):
            idx = a[t]
            dt = d[t]
            if dt > p:
                p = dt
            if dt > q:
                q = dt
            if h[k, idx] == 0:
                a0[u] = idx
                d0[u] = p
                u += 1
                p = 0
            else:
                a1[v] = idx
                d1[v] = q
                v += 1
                q = 0
        for t in range(u):
            a[t] = a0[t]
            d[t] = d0[t]
        for t in range(v):
            a[u + t] = a1[t]
            d[u + t] = d1[t]
        for t in range(n):
            lcp[t] = k + 1 - d[t]
        if kind == 2:
            best = _segment(lcp, 0, n, stack, cnt)
            hist = np.zeros(best + 1)
            r0 = 0.0
            for t in range(1, n):
                hist[lcp[t]] += cnt[t]
                if lcp[t] >= 1:
                    r0 += cnt[t]
            out0[k] = _integrate(hist, n * (n - 1) / 2.0, r0, k, gaps, min_ehh, edges)
            continue
        for g in range(2):
            s0 = 0 if g == 0 else u
            s1 = u if g == 0 else n
            size = s1 - s0
            res = np.nan
            if size >= 2:
                best = _segment(lcp, s0, s1, stack, cnt)
                n_pairs = size * (size - 1) / 2.0
                if kind == 1:
                    tot = 0.0
                    for t in range(s0 + 1, s1):
                        tot += cnt[t] * lcp[t]
                    res = tot / n_pairs
                else:
                    hist = np.zeros(best + 1)
                    for t in range(s0 + 1, s1):
                        hist[lcp[t]] += cnt[t]
                    res = _integrate(hist, n_pairs, n_pairs, k, gaps, min_ehh, edges)
            if g == 0:
                out0[k] = res
            else:
                out1[k] = res
    return out0, out1


def compute_gaps(
    pos: np.ndarray, *, map_pos: np.ndarray | None = None, gap_scale: int | None = 20_000, max_gap: int | None = 200_000
) -> np.ndarray:
    """Distances between neighbouring variants (``len(pos) - 1``): genetic if ``map_pos`` else
    physical; gaps over ``gap_scale`` bp shrunk by ``gap_scale / bp``, over ``max_gap`` set to -1."""
    pos = np.asarray(pos, dtype=np.int64)
    phys = np.diff(pos)
    if np.any(phys < 0):
        raise AnalysisError("variant positions must be sorted (one chromosome at a time)")
    gaps = np.diff(np.asarray(map_pos if map_pos is not None else pos, dtype=np.float64))
    if map_pos is not None and len(map_pos) != len(pos):
        raise AnalysisError(f"map_pos has {len(map_pos)} values for {len(pos)} variants")
    if gap_scale:
        big = phys > gap_scale
        gaps[big] = gaps[big] * gap_scale / phys[big]
    if max_gap:
        gaps[phys > max_gap] = -1.0
    return gaps


def ihh_scan(
    h: np.ndarray, gaps: np.ndarray, *, min_ehh: float = 0.05, include_edges: bool = False, kind: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Both directions summed: ``(stat of the REF set, stat of the ALT set)`` per variant for
    ``kind`` 0 (iHH) or 1 (mean shared length); ``kind`` 2: ``(iHH of all haplotypes, NaN)``."""
    h = np.ascontiguousarray(h, dtype=np.int8)
    if h.ndim != 2:
        raise AnalysisError(f"haplotypes must be [variants, haplotypes] (got shape {h.shape})")
    if h.size and (h.min() < 0 or h.max() > 1):
        raise AnalysisError("haplotypes must be 0/1 with no missing calls (drop or impute missing first)")
    gaps = np.ascontiguousarray(gaps, dtype=np.float64)
    f0, f1 = _scan(h, gaps, float(min_ehh), bool(include_edges), int(kind))
    r0, r1 = _scan(
        np.ascontiguousarray(h[::-1]), np.ascontiguousarray(gaps[::-1]), float(min_ehh), bool(include_edges), int(kind)
    )
    return f0 + r0[::-1], f1 + r1[::-1]


def _log_ratio(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log(x / y)


def ihs_array(
    h: np.ndarray,
    pos: np.ndarray,
    *,
    map_pos: np.ndarray | None = None,
    min_ehh: float = 0.05,
    min_maf: float = 0.05,
    include_edges: bool = False,
    gap_scale: int | None = 20_000,
    max_gap: int | None = 200_000,
) -> np.ndarray:
    """Unstandardised iHS of ``h [variants, haplotypes]`` (scikit-allel's ``ihs`` signature)."""
    gaps = compute_gaps(pos, map_pos=map_pos, gap_scale=gap_scale, max_gap=max_gap)
    ihh0, ihh1 = ihh_scan(h, gaps, min_ehh=min_ehh, include_edges=include_edges, kind=0)
    score = _log_ratio(ihh1, ihh0)
    f = np.asarray(h, dtype=np.int8).mean(axis=1)
    score[np.minimum(f, 1 - f) < min_maf] = np.nan
    return score


def nsl_array(h: np.ndarray) -> np.ndarray:
    """Unstandardised nSL of ``h [variants, haplotypes]``."""
    gaps = np.ones(max(len(h) - 1, 0))
    sl0, sl1 = ihh_scan(h, gaps, kind=1)
    return _log_ratio(sl1, sl0)


def xpehh_array(
    h1: np.ndarray,
    h2: np.ndarray,
    pos: np.ndarray,
    *,
    map_pos: np.ndarray | None = None,
    min_ehh: float = 0.05,
    include_edges: bool = False,
    gap_scale: int | None = 20_000,
    max_gap: int | None = 200_000,
) -> np.ndarray:
    """Unstandardised XP-EHH, ln(iHH of ``h1`` / iHH of ``h2``), same variants in both."""
    if len(h1) != len(h2):
        raise AnalysisError(f"h1 has {len(h1)} variants, h2 {len(h2)}")
    gaps = compute_gaps(pos, map_pos=map_pos, gap_scale=gap_scale, max_gap=max_gap)
    a, _ = ihh_scan(h1, gaps, min_ehh=min_ehh, include_edges=include_edges, kind=2)
    b, _ = ihh_scan(h2, gaps, min_ehh=min_ehh, include_edges=include_edges, kind=2)
    return _log_ratio(a, b)


def standardize(score: np.ndarray) -> np.ndarray:
    """(score - mean) / SD over the finite scores (ddof 0)."""
    ok = np.isfinite(score)
    if not ok.any():
        return np.full_like(score, np.nan, dtype=float)
    return (score - score[ok].mean()) / score[ok].std()


def standardize_by_frequency(score: np.ndarray, alt_count: np.ndarray, n_haplotypes: int, *, n_bins: int = 20) -> np.ndarray:
    """Standardise within ``n_bins`` equal-width bins of counted-allele frequency (bin edges at
    ``k * n_haplotypes / n_bins`` allele counts; a count on an edge goes to the upper bin, the
    top edge to the last bin, as ``scipy.stats.binned_statistic``). Bins with < 2 scores are NaN."""
    if n_bins < 1:
        raise AnalysisError(f"n_bins must be >= 1 (got {n_bins})")
    edges = np.linspace(0, n_haplotypes, n_bins + 1)
    b = np.clip(np.digitize(alt_count, edges) - 1, 0, n_bins - 1)
    out = np.full(len(score), np.nan)
    ok = np.isfinite(score)
    for k in np.unique(b[ok]):
        sel = ok & (b == k)
        if sel.sum() < 2:
            continue
        sd = score[sel].std()
        out[sel] = (score[sel] - score[sel].mean()) / sd if sd > 0 else np.nan
    return out


# ---------------------------------------------------------------------------- on a GenotypeMatrix
@dataclass
class ScanResult:
    """A selection scan over a genotype matrix.

    Attributes:
        table: ``id chrom pos alt_count n_haplotypes score std_score`` per scanned variant (for
            XP-EHH also ``freq_{pop1}``, ``freq_{pop2}``); NaN scores where undefined.
        n_missing: variants left out for a missing or unphased haplotype.
        n_monomorphic: scanned variants monomorphic in the scanned samples (score NaN).
    """

    stat: Stat
    table: pd.DataFrame
    n_missing: int
    n_monomorphic: int
    params: dict[str, Any] = field(default_factory=dict)


def haplotype_array(geno: GenotypeMatrix, start: int = 0, stop: int | None = None) -> np.ndarray:
    """``int8 [variants, 2 x samples]`` haplotypes (sample-major), ``-1`` missing or unphased;
    AnalysisError when the matrix has no phase at all."""
    if not geno.phased:
        raise AnalysisError(
            f"{geno.source or 'the genotypes'} are unphased: iHS, nSL and XP-EHH need phased haplotypes "
            "(give the phased VCF the matrix came from)"
        )
    hp = geno.haplotypes(start, stop)
    h = np.ascontiguousarray(hp.transpose(1, 0, 2).reshape(hp.shape[1], -1))
    if h.size and (h < 0).all():
        raise AnalysisError(
            f"{geno.source or 'the genotypes'}: no phased genotype calls (every call is unphased or missing); "
            "iHS, nSL and XP-EHH need phased haplotypes"
        )
    return h


def _usable(*hs: np.ndarray) -> np.ndarray:
    keep = np.ones(len(hs[0]), dtype=bool)
    for h in hs:
        keep &= (h >= 0).all(axis=1)
    return keep


def scan(
    geno: GenotypeMatrix,
    *,
    stat: Stat,
    population: str | None = None,
    pop1: str | None = None,
    pop2: str | None = None,
    map_pos: np.ndarray | None = None,
    min_ehh: float = 0.05,
    min_maf: float = 0.05,
    include_edges: bool = False,
    gap_scale: int | None = 20_000,
    max_gap: int | None = 200_000,
    n_bins: int = 20,
) -> ScanResult:
    """iHS / nSL (of ``population``, default all samples) or XP-EHH (``pop1`` vs ``pop2``), per
    chromosome, with standardised scores. Variants with a missing or unphased haplotype in the
    scanned samples are left out (counted in ``n_missing``)."""
    if stat not in ("ihs", "nsl", "xpehh"):
        raise AnalysisError(f"unknown scan statistic {stat!r}; expected ihs, nsl or xpehh")
    if stat == "xpehh":
        if not pop1 or not pop2:
            raise AnalysisError("XP-EHH needs pop1 and pop2")
        if pop1 == pop2:
            raise AnalysisError(f"pop1 and pop2 are the same population ({pop1!r})")
        groups = [geno.select_samples(population=pop1), geno.select_samples(population=pop2)]
    else:
        groups = [geno.select_samples(population=population) if population else geno]
    frames, n_missing, n_mono = [], 0, 0
    mp = None if map_pos is None else np.asarray(map_pos, dtype=float)
    if mp is not None and len(mp) != geno.n_variants:
        raise AnalysisError(f"map_pos has {len(mp)} values for {geno.n_variants} variants")
    for _chrom, a, b in geno.chromosomes():
        hs = [haplotype_array(g, a, b) for g in groups]
        keep = _usable(*hs)
        n_missing += int((~keep).sum())
        hs = [h[keep] for h in hs]
        v = geno.variants.iloc[a:b][keep].reset_index(drop=True)
        pos = v["pos"].to_numpy()
        cm = None if mp is None else mp[a:b][keep]
        t = v[["id", "chrom", "pos"]].copy()
        alt = sum(h.sum(axis=1, dtype=np.int64) for h in hs)
        nh = sum(h.shape[1] for h in hs)
        t["alt_count"], t["n_haplotypes"] = alt, nh
        n_mono += int(((alt == 0) | (alt == nh)).sum())
        if not len(v):
            frames.append(t.assign(score=[], std_score=[]))
            continue
        if stat == "ihs":
            score = ihs_array(
                hs[0],
                pos,
                map_pos=cm,
                min_ehh=min_ehh,
                min_maf=min_maf,
                include_edges=include_edges,
                gap_scale=gap_scale,
                max_gap=max_gap,
            )
        elif stat == "nsl":
            score = nsl_array(hs[0])
        else:
            score = xpehh_array(
                hs[0], hs[1], pos, map_pos=cm, min_ehh=min_ehh, include_edges=include_edges, gap_scale=gap_scale, max_gap=max_gap
            )
            t[f"freq_{pop1}"] = hs[0].mean(axis=1)
            t[f"freq_{pop2}"] = hs[1].mean(axis=1)
        t["score"] = score
        frames.append(t)
    table = pd.concat(frames, ignore_index=True)
    sc = table["score"].to_numpy(dtype=float)
    if stat == "xpehh":
        table["std_score"] = standardize(sc)
    else:
        table["std_score"] = standardize_by_frequency(
            sc, table["alt_count"].to_numpy(), int(table["n_haplotypes"].max()) if len(table) else 0, n_bins=n_bins
        )
    params: dict[str, Any] = {
        "population": population,
        "pop1": pop1,
        "pop2": pop2,
        "min_ehh": min_ehh,
        "min_maf": min_maf,
        "include_edges": include_edges,
        "gap_scale": gap_scale,
        "max_gap": max_gap,
        "n_bins": n_bins,
        "distance": "genetic map" if map_pos is not None else "physical (bp)",
        "log": "natural",
    }
    return ScanResult(stat, table, n_missing, n_mono, params)


def ihs(geno: GenotypeMatrix, *, population: str | None = None, **kw: Any) -> ScanResult:
    """:func:`scan` with ``stat="ihs"``."""
    return scan(geno, stat="ihs", population=population, **kw)


def nsl(geno: GenotypeMatrix, *, population: str | None = None, **kw: Any) -> ScanResult:
    """:func:`scan` with ``stat="nsl"``."""
    return scan(geno, stat="nsl", population=population, **kw)


def xpehh(geno: GenotypeMatrix, *, pop1: str, pop2: str, **kw: Any) -> ScanResult:
    """:func:`scan` with ``stat="xpehh"``."""
    return scan(geno, stat="xpehh", pop1=pop1, pop2=pop2, **kw)
