"""Allele frequencies per population and Fst (Hudson; Weir & Cockerham), per variant and windowed.

Biallelic variants; the counted allele is the matrix's (ALT for VCF artifacts, A1 for PLINK).
Missing genotypes (``-1``) are left out per variant (the sample sizes are per variant).

**Hudson** (Hudson et al. 1992, as Bhatia et al. 2013), haplotype counts ``n1, n2`` and
counted-allele frequencies ``p1, p2``::

    num = (p1 - p2)^2 - p1 (1 - p1) / (n1 - 1) - p2 (1 - p2) / (n2 - 1)
    den = p1 (1 - p2) + p2 (1 - p1)

**Weir & Cockerham** (1984, eq. 1-3; r = 2 populations, ``n_i`` called individuals, ``h_i`` the
observed heterozygote frequency)::

    n̄ = Σ n_i / r,   n_c = (r n̄ - Σ n_i² / (r n̄)) / (r - 1),   p̄ = Σ n_i p_i / (r n̄)
    s² = Σ n_i (p_i - p̄)² / ((r - 1) n̄),   h̄ = Σ n_i h_i / (r n̄)
    a = n̄ / n_c (s² - (p̄(1-p̄) - (r-1)/r s² - h̄/4) / (n̄ - 1))
    b = n̄ / (n̄ - 1) (p̄(1-p̄) - (r-1)/r s² - (2n̄ - 1)/(4n̄) h̄)
    c = h̄ / 2;           num = a,   den = a + b + c

Per variant Fst = num / den (NaN when den = 0: monomorphic in both populations, or too few
calls). Windowed and genome-wide Fst are **ratios of sums** (Σ num / Σ den over the informative
variants), as scikit-allel's ``windowed_*`` / ``average_*`` and PLINK 2's ``--fst`` report. The
standard error is the delete-one block jackknife over consecutive blocks of ``blen`` variants
(``se = sqrt((B-1)/B Σ (θ₋ᵦ - mean θ₋)²)``).

Example:
    >>> import numpy as np
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> d = np.array([[0, 2], [0, 1], [2, 1], [2, 0]], dtype=np.int8)
    >>> g = GenotypeMatrix.from_arrays(d, chrom=["1", "1"], pos=[10, 20], samples=list("abcd"))
    >>> g.samples["population"] = ["A", "A", "B", "B"]
    >>> r = fst(g, pop1="A", pop2="B", method="hudson")
    >>> [round(x, 4) for x in r.per_variant["fst"]]
    [1.0, 0.2]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import DEFAULT_BLOCK, GenotypeMatrix

__all__ = [
    "FstResult",
    "PopulationCounts",
    "fst",
    "hudson_components",
    "jackknife_ratio",
    "population_counts",
    "population_frequencies",
    "wc_components",
    "windowed_ratio",
]

Method = Literal["hudson", "wc"]


@dataclass(frozen=True)
class PopulationCounts:
    """Per-variant counts in one population: counted alleles, called haplotypes, heterozygotes,
    called individuals (all ``int64 [variants]``)."""

    population: str
    alt: np.ndarray
    called: np.ndarray
    het: np.ndarray
    individuals: np.ndarray

    @property
    def frequency(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.alt / self.called


def _known(geno: GenotypeMatrix) -> list[str]:
    return sorted({str(p) for p in geno.samples["population"].dropna()})


def population_counts(geno: GenotypeMatrix, population: str, *, block: int = DEFAULT_BLOCK) -> PopulationCounts:
    """Counts of the samples of ``population``; AnalysisError names the known populations."""
    if population not in _known(geno):
        raise AnalysisError(f"unknown population {population!r}; known populations: {_known(geno)}")
    g = geno.select_samples(population=population)
    m = g.n_variants
    alt, called, het, ind = (np.zeros(m, dtype=np.int64) for _ in range(4))
    for b in g.blocks(size=block):
        d = b.dosages
        ok = d >= 0
        s = slice(b.start, b.stop)
        ind[s] = ok.sum(axis=0)
        called[s] = 2 * ind[s]
        alt[s] = np.where(ok, d, 0).sum(axis=0, dtype=np.int64)
        het[s] = (d == 1).sum(axis=0)
    return PopulationCounts(population, alt, called, het, ind)


def population_frequencies(geno: GenotypeMatrix, populations: list[str] | None = None) -> pd.DataFrame:
    """One row per variant: ``id chrom pos`` then ``freq_{POP}`` (counted allele) and ``n_{POP}``
    (called haplotypes) for each population (default: all with samples)."""
    pops = populations if populations is not None else _known(geno)
    out = geno.variants[["id", "chrom", "pos"]].copy()
    for p in pops:
        c = population_counts(geno, p)
        out[f"freq_{p}"] = c.frequency
        out[f"n_{p}"] = c.called
    return out


def hudson_components(c1: PopulationCounts, c2: PopulationCounts) -> tuple[np.ndarray, np.ndarray]:
    """Hudson's numerator and denominator per variant (NaN where either population has < 2 calls)."""
    n1, n2 = c1.called.astype(float), c2.called.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = c1.alt / n1, c2.alt / n2
        num = (p1 - p2) ** 2 - p1 * (1 - p1) / (n1 - 1) - p2 * (1 - p2) / (n2 - 1)
        den = p1 * (1 - p2) + p2 * (1 - p1)
    bad = (n1 < 2) | (n2 < 2)
    num[bad] = np.nan
    den[bad] = np.nan
    return num, den


def wc_components(c1: PopulationCounts, c2: PopulationCounts) -> tuple[np.ndarray, np.ndarray]:
    """Weir & Cockerham's ``a`` and ``a + b + c`` per variant (r = 2)."""
    r = 2.0
    n = np.vstack([c1.individuals, c2.individuals]).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.vstack([c1.alt, c2.alt]) / (2 * n)
        h = np.vstack([c1.het, c2.het]) / n
        nbar = n.sum(axis=0) / r
        nc = (r * nbar - (n**2).sum(axis=0) / (r * nbar)) / (r - 1)
        pbar = (n * p).sum(axis=0) / (r * nbar)
        s2 = (n * (p - pbar) ** 2).sum(axis=0) / ((r - 1) * nbar)
        hbar = (n * h).sum(axis=0) / (r * nbar)
        pq = pbar * (1 - pbar)
        a = nbar / nc * (s2 - (pq - (r - 1) / r * s2 - hbar / 4) / (nbar - 1))
        b = nbar / (nbar - 1) * (pq - (r - 1) / r * s2 - (2 * nbar - 1) / (4 * nbar) * hbar)
        c = hbar / 2
    den = a + b + c
    bad = (n < 2).any(axis=0)
    a[bad] = np.nan
    den[bad] = np.nan
    return a, den


def jackknife_ratio(num: np.ndarray, den: np.ndarray, *, blen: int) -> tuple[float, float, int]:
    """``(Σnum/Σden, block-jackknife SE, blocks)`` over consecutive blocks of ``blen`` variants
    (uninformative, NaN, variants add 0 to their block; a last short block is dropped, as
    scikit-allel's ``average_*_fst`` does)."""
    if blen < 1:
        raise AnalysisError(f"jackknife block length must be >= 1 (got {blen})")
    ok = np.isfinite(num) & np.isfinite(den)
    x, y = np.where(ok, num, 0.0), np.where(ok, den, 0.0)
    if not ok.any() or y.sum() == 0:
        return float("nan"), float("nan"), 0
    value = float(x.sum() / y.sum())
    nb = len(x) // blen
    if nb < 2:
        return value, float("nan"), nb
    bx = x[: nb * blen].reshape(nb, blen).sum(axis=1)
    by = y[: nb * blen].reshape(nb, blen).sum(axis=1)
    loo = (bx.sum() - bx) / (by.sum() - by)
    se = float(np.sqrt((nb - 1) / nb * ((loo - loo.mean()) ** 2).sum()))
    return value, se, nb


def windowed_ratio(pos: np.ndarray, num: np.ndarray, den: np.ndarray, *, size: int, step: int | None = None) -> pd.DataFrame:
    """Σnum/Σden in windows of ``size`` bp moved by ``step`` (default ``size``) over ``pos``
    (one chromosome); windows are 1-based inclusive ``[start, stop]`` from ``pos.min()``."""
    if size < 1:
        raise AnalysisError(f"window size must be >= 1 bp (got {size})")
    step = size if step is None else step
    if step < 1:
        raise AnalysisError(f"window step must be >= 1 bp (got {step})")
    ok = np.isfinite(num) & np.isfinite(den)
    p, x, y = pos[ok], num[ok], den[ok]
    if not len(pos):
        return pd.DataFrame(columns=["start", "stop", "n_variants", "fst"])
    starts = np.arange(int(pos.min()), int(pos.max()) + 1, step)
    stops = starts + size - 1
    cx = np.concatenate([[0.0], np.cumsum(x)])
    cy = np.concatenate([[0.0], np.cumsum(y)])
    a = np.searchsorted(p, starts, side="left")
    b = np.searchsorted(p, stops, side="right")
    with np.errstate(invalid="ignore", divide="ignore"):
        value = (cx[b] - cx[a]) / (cy[b] - cy[a])
    return pd.DataFrame({"start": starts, "stop": stops, "n_variants": b - a, "fst": value})


@dataclass
class FstResult:
    """Fst of ``pop1`` vs ``pop2``.

    Attributes:
        per_variant: ``id chrom pos freq_{pop1} freq_{pop2} num den fst`` per variant.
        windows: ``chrom start stop n_variants fst`` (empty when no window was asked for).
        value, se, blocks: genome-wide ratio-of-sums Fst, its block-jackknife SE and blocks used.
        n_informative / n_uninformative: variants with / without a defined Fst (monomorphic in
            both populations or too few calls; NaN in ``per_variant``).
    """

    method: Method
    pop1: str
    pop2: str
    per_variant: pd.DataFrame
    windows: pd.DataFrame
    value: float
    se: float
    blocks: int
    n_informative: int
    n_uninformative: int
    params: dict[str, object] = field(default_factory=dict)


def fst(
    geno: GenotypeMatrix,
    *,
    pop1: str,
    pop2: str,
    method: Method = "hudson",
    window: int | None = None,
    step: int | None = None,
    blen: int = 100,
) -> FstResult:
    """Fst between two populations of ``geno`` (see the module docstring for the estimators).

    Args:
        pop1, pop2: population labels of ``geno.samples``; unknown ones raise AnalysisError.
        method: ``"hudson"`` or ``"wc"`` (Weir & Cockerham).
        window, step: window size / step in bp for the windowed table (per chromosome).
        blen: block length (informative variants) of the jackknife SE.
    """
    if method not in ("hudson", "wc"):
        raise AnalysisError(f"unknown Fst method {method!r}; expected 'hudson' or 'wc'")
    if pop1 == pop2:
        raise AnalysisError(f"pop1 and pop2 are the same population ({pop1!r})")
    c1 = population_counts(geno, pop1)
    c2 = population_counts(geno, pop2)
    num, den = hudson_components(c1, c2) if method == "hudson" else wc_components(c1, c2)
    den = np.where(den == 0, np.nan, den)
    num = np.where(np.isnan(den), np.nan, num)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = num / den
    table = geno.variants[["id", "chrom", "pos"]].copy()
    table[f"freq_{pop1}"] = c1.frequency
    table[f"freq_{pop2}"] = c2.frequency
    table["num"], table["den"], table["fst"] = num, den, per
    wins = []
    if window is not None:
        for chrom, a, b in geno.chromosomes():
            w = windowed_ratio(geno.variants["pos"].to_numpy()[a:b], num[a:b], den[a:b], size=window, step=step)
            w.insert(0, "chrom", chrom)
            wins.append(w)
    windows = (
        pd.concat(wins, ignore_index=True) if wins else pd.DataFrame(columns=["chrom", "start", "stop", "n_variants", "fst"])
    )
    value, se, nb = jackknife_ratio(num, den, blen=blen)
    n_inf = int(np.isfinite(per).sum())
    return FstResult(
        method,
        pop1,
        pop2,
        table,
        windows,
        value,
        se,
        nb,
        n_inf,
        geno.n_variants - n_inf,
        {
            "window": window,
            "step": step,
            "blen": blen,
            "n1": int(c1.individuals.max(initial=0)),
            "n2": int(c2.individuals.max(initial=0)),
        },
    )
