"""Single-machine Fst between two populations: Hudson's estimator as in Bhatia et al. (2013),
per variant and as a ratio of averages over variants.

Per variant, with ``p1``, ``p2`` the counted-allele frequencies and ``n1``, ``n2`` the called
allele numbers (2 x called samples) of the two populations::

    num = (p1 - p2)² - p1 (1 - p1) / (n1 - 1) - p2 (1 - p2) / (n2 - 1)
    den = p1 (1 - p2) + p2 (1 - p1)
    fst = num / den;   over a region: sum(num) / sum(den)

Example:
    >>> import numpy as np
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> d = np.array([[0], [0], [2], [2]], dtype=np.int8)
    >>> g = GenotypeMatrix.from_arrays(d, chrom=["1"], pos=[1], samples=list("abcd"))
    >>> g.samples["population"] = ["A", "A", "B", "B"]
    >>> float(hudson_fst(g, pop_a="A", pop_b="B")["fst"][0])
    1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError
from varkg.popgen.genotypes import DEFAULT_BLOCK, GenotypeMatrix

__all__ = ["FST_COLUMNS", "fst_ratio_of_averages", "hudson_fst"]

FST_COLUMNS = ["id", "fst_num", "fst_den", "fst"]


def _af_an(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = d >= 0
    an = 2.0 * ok.sum(axis=0)
    ac = np.where(ok, d, 0).sum(axis=0, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ac / an, an


def hudson_fst(geno: GenotypeMatrix, *, pop_a: str, pop_b: str, block: int = DEFAULT_BLOCK) -> pd.DataFrame:
    """Per-variant Hudson Fst numerator, denominator and ratio between ``pop_a`` and ``pop_b``
    (``geno.samples.population``). NaN where a population has fewer than 2 called alleles or the
    variant is monomorphic in both.

    Raises:
        AnalysisError: a population has no samples (the error lists those present).
    """
    pops = geno.samples["population"].astype(str).to_numpy()
    ia, ib = np.flatnonzero(pops == pop_a), np.flatnonzero(pops == pop_b)
    if not len(ia) or not len(ib):
        have = sorted(set(pops))
        raise AnalysisError(f"populations {pop_a!r} and {pop_b!r} need samples (populations present: {have})")
    out = []
    for b in geno.blocks(size=block):
        p1, n1 = _af_an(b.dosages[ia])
        p2, n2 = _af_an(b.dosages[ib])
        with np.errstate(invalid="ignore", divide="ignore"):
            num = (p1 - p2) ** 2 - p1 * (1 - p1) / (n1 - 1) - p2 * (1 - p2) / (n2 - 1)
            den = p1 * (1 - p2) + p2 * (1 - p1)
            fst = num / den
        out.append(pd.DataFrame({"id": b.variants["id"].to_numpy(), "fst_num": num, "fst_den": den, "fst": fst}))
    if not out:
        return pd.DataFrame({c: [] for c in FST_COLUMNS})
    return pd.concat(out, ignore_index=True)


def fst_ratio_of_averages(table: pd.DataFrame) -> float:
    """``sum(num) / sum(den)`` over the variants of a :func:`hudson_fst` table with finite terms."""
    ok = np.isfinite(table["fst_num"]) & np.isfinite(table["fst_den"])
    return float(table.loc[ok, "fst_num"].sum() / table.loc[ok, "fst_den"].sum())
