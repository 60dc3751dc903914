"""Single-machine variant QC: call counts and allele frequencies per variant (the reference for
Hail's ``variant_qc`` on the Spark path).

Columns: ``id``, ``n_called`` (samples with a call), ``call_rate`` (n_called / samples), ``an``
(called alleles, 2 x n_called), ``ac`` (counted-allele count), ``af`` (ac / an, NaN when none is
called), ``n_het``, ``n_hom_var``.

Example:
    >>> import numpy as np
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> g = GenotypeMatrix.from_arrays(np.array([[0, 1], [2, -1]], dtype=np.int8),
    ...     chrom=["1", "1"], pos=[1, 2], samples=["a", "b"])
    >>> variant_qc(g)[["ac", "an", "call_rate"]].values.tolist()
    [[2.0, 4.0, 1.0], [1.0, 2.0, 0.5]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from varkg.popgen.genotypes import DEFAULT_BLOCK, GenotypeMatrix

__all__ = ["QC_COLUMNS", "variant_qc"]

QC_COLUMNS = ["id", "n_called", "call_rate", "an", "ac", "af", "n_het", "n_hom_var"]


def variant_qc(geno: GenotypeMatrix, *, block: int = DEFAULT_BLOCK) -> pd.DataFrame:
    """Per-variant call counts and counted-allele frequency (see the module docstring)."""
    out = []
    for b in geno.blocks(size=block):
        d = b.dosages
        ok = d >= 0
        n_called = ok.sum(axis=0)
        ac = np.where(ok, d, 0).sum(axis=0, dtype=np.int64).astype(np.float64)
        an = 2.0 * n_called
        with np.errstate(invalid="ignore", divide="ignore"):
            af = ac / an
        out.append(
            pd.DataFrame(
                {
                    "id": b.variants["id"].to_numpy(),
                    "n_called": n_called,
                    "call_rate": n_called / max(1, geno.n_samples),
                    "an": an,
                    "ac": ac,
                    "af": af,
                    "n_het": (d == 1).sum(axis=0),
                    "n_hom_var": (d == 2).sum(axis=0),
                }
            )
        )
    if not out:
        return pd.DataFrame({c: [] for c in QC_COLUMNS})
    return pd.concat(out, ignore_index=True)
