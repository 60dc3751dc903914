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

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import GenotypeMatrix
from varkg.popgen.ld import _surface_cumulative, genotype_counts

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


def classify_pairs(counts: np.ndarray, params: BlockParams = BlockParams()) -> np.ndarray:
    """Pair classes (``int8``, see the module constants) of genotype tables ``[n, 3, 3]``."""
    counts = np.asarray(counts, dtype=np.float64).reshape(-1, 3, 3)
    out = np.full(len(counts), NONINF, dtype=np.int8)
    hs = int(round(params.strong_highci * 100)) - 2  # S_97 = T - C_96 > 5 %  <=>  upper >= 0.98
    rh = int(round(params.recomb_highci * 100)) - 2  # S_89 = T - C_88 <= 5 % <=>  upper < 0.90
    lo = int(round(params.strong_lowci * 100))  # 70
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


def _maf_keep(geno: GenotypeMatrix, start: int, stop: int, min_maf: float) -> np.ndarray:
    f = geno.allele_frequency(start, stop)
    lo = min_maf * (1 - _SMALL_EPSILON)
    return np.isfinite(f) & (f >= lo) & (f <= 1 - lo)


def gabriel_blocks(geno: GenotypeMatrix, *, params: BlockParams = BlockParams(), chunk: int = 256) -> list[LdBlockResult]:
    """LD blocks of every chromosome of ``geno`` (module docstring for the rules), in order.

    Memory: one chunk of ``chunk`` variants and its ``max_kb`` window of dosages at a time.
    """
    ids = geno.variants["id"].to_numpy()
    out: list[LdBlockResult] = []
    for chrom, cs, ce in geno.chromosomes():
        keep = (
            np.concatenate([_maf_keep(geno, a, min(ce, a + 8192), params.min_maf) for a in range(cs, ce, 8192)])
            if ce > cs
            else np.zeros(0, bool)
        )
        orig = np.flatnonzero(keep) + cs
        if len(orig) < 2:
            continue
        pos = geno.variants["pos"].to_numpy(np.int64)[orig]
        for s, e in _chrom_blocks(geno, orig, pos, params, chunk):
            members = orig[s : e + 1]
            out.append(LdBlockResult(chrom, int(pos[s]), int(pos[e]), members, [str(x) for x in ids[members]]))
    return out


def _chrom_blocks(geno: GenotypeMatrix, orig: np.ndarray, pos: np.ndarray, params: BlockParams, chunk: int):
    n = len(orig)
    max_bp = int(round(params.max_kb * 1000))
    smin = np.searchsorted(pos, pos - max_bp, side="left")
    inform = params.inform_frac + _SMALLISH_EPSILON
    span2 = 20000 if params.small_max_span else 1 << 62
    span3 = 30000 if params.small_max_span else 1 << 62
    near: dict[int, np.ndarray] = {}  # e -> classes of (e-3.., e) pairs: the last three of its row
    s_prev = np.zeros(1, dtype=np.int64)
    r_prev = np.zeros(1, dtype=np.int64)
    base_prev = 0
    candidates: list[tuple[int, int, int]] = []
    for e0 in range(0, n, chunk):
        e1 = min(n, e0 + chunk)
        k0 = int(smin[e0])
        cols = orig[k0:e1]
        d = geno.dosages(int(cols[0]), int(cols[-1]) + 1)[:, cols - cols[0]]
        cnt = genotype_counts(d[:, e0 - k0 :], d)  # [rows e, cols k, 3, 3]
        ee, kk = np.nonzero(
            (np.arange(k0, e1)[None, :] < np.arange(e0, e1)[:, None]) & (np.arange(k0, e1)[None, :] >= smin[e0:e1, None])
        )
        typ_flat = classify_pairs(cnt[ee, kk], params)
        rows = np.full((e1 - e0, e1 - k0), -1, dtype=np.int8)
        rows[ee, kk] = typ_flat
        for e in range(max(e0, 1), e1):
            lo = int(smin[e])
            row = rows[e - e0, lo - k0 : e - k0]  # classes of (k, e), k = lo..e-1
            w = len(row)
            near[e] = row[-3:] if w else row
            near.pop(e - 4, None)
            strong = (row >= HI_STRONG).astype(np.int64)
            rec = (row == RECOMB).astype(np.int64)
            ss = np.cumsum(strong[::-1])[::-1]
            rs = np.cumsum(rec[::-1])[::-1]
            s_cur = s_prev[lo - base_prev :] + ss if w else np.zeros(0, np.int64)
            r_cur = r_prev[lo - base_prev :] + rs if w else np.zeros(0, np.int64)
            if w:
                span = pos[e] - pos[lo:e]
                delta = e - np.arange(lo, e)
                outer_ok = row >= HI_EQ070
                tot = s_cur + r_cur
                big = (delta >= 4) & outer_ok & (tot >= 6) & (tot * inform < s_cur)
                for k in np.flatnonzero(big):
                    candidates.append((int(span[k]), lo + int(k), e))
                if row[-1] == HI_STRONG081 and span[-1] <= span2:
                    candidates.append((int(span[-1]), e - 1, e))
                if w >= 2 and outer_ok[-2] and span[-2] <= span3:
                    prev = near.get(e - 1, np.zeros(0, np.int8))
                    if row[-1] >= HI_LOW070 and len(prev) and prev[-1] >= HI_LOW070:
                        candidates.append((int(span[-2]), e - 2, e))
                if w >= 3 and outer_ok[-3]:
                    p1, p2 = near.get(e - 1, np.zeros(0, np.int8)), near.get(e - 2, np.zeros(0, np.int8))
                    if len(p1) >= 2 and len(p2) >= 1 and min(row[-1], row[-2], p1[-1], p1[-2], p2[-1]) >= HI_LOW070:
                        candidates.append((int(span[-3]), e - 3, e))
            s_prev = np.append(s_cur, 0)
            r_prev = np.append(r_cur, 0)
            base_prev = lo if w else e
    candidates.sort(reverse=True)
    taken = np.zeros(n, dtype=bool)
    chosen = []
    for _, s, e in candidates:
        if taken[s] or taken[e]:
            continue
        taken[s : e + 1] = True
        chosen.append((s, e))
    return sorted(chosen)


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
