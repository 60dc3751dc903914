"""LD on Hail: r² in windows (``hl.ld_matrix``) and LD pruning (``hl.ld_prune``).

``hl.ld_matrix`` correlates mean-imputed, standardised dosages (a distributed block matrix, banded
to the window): with no missing calls that is exactly the genotypic r² of
:func:`varkg.popgen.ld.r2_matrix` (PLINK ``--r2``); with missing calls the single-machine path uses
the samples called at both variants and the two differ slightly. Monomorphic variants are dropped
first (the single-machine path reports no pair for them either).

The pairs table has the columns of :func:`varkg.popgen.ld.ld_pairs`: ``i``, ``j`` (row indices of
the MatrixTable, i < j), ``id_a``, ``id_b``, ``chrom``, ``pos_a``, ``pos_b``, ``r2``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["LD_COLUMNS", "ld_pairs", "ld_prune"]

LD_COLUMNS = ["i", "j", "id_a", "id_b", "chrom", "pos_a", "pos_b", "r2"]


def _polymorphic(hl: Any, mt: Any) -> Any:
    st = hl.agg.stats(hl.float64(mt.dosage))
    mt = mt.annotate_rows(_sd=st.stdev)
    return mt.filter_rows(hl.is_defined(mt._sd) & (mt._sd > 0)).drop("_sd")


def ld_pairs(mt: Any, *, kb: float = 1000.0, r2_min: float = 0.2, block_size: int = 1024) -> pd.DataFrame:
    """Pairs on one chromosome within ``kb`` with r² >= ``r2_min`` (module docstring), as pandas.

    Args:
        mt: a MatrixTable from :mod:`varkg.spark.genotypes` (``vid``, ``dosage``), sorted by locus.
        kb: window in kb (``--ld-window-kb``); pairs with ``pos_b - pos_a <= kb * 1000``.
        r2_min: report pairs with r² >= this.
        block_size: block edge of the distributed matrix.
    """
    from varkg.spark.session import hail_context

    hl = hail_context()
    mt = _polymorphic(hl, mt)
    mt = mt.add_row_index("_row")
    rows = mt.rows().select("_row", "vid", "chrom", "pos").to_pandas()
    r = hl.ld_matrix(mt.dosage, mt.locus, radius=int(kb * 1000), block_size=block_size)
    ent = r.entries(keyed=False)
    ent = ent.filter((ent.i < ent.j) & (ent.entry * ent.entry >= r2_min))
    pairs = ent.to_pandas()
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
    return out[same & within].sort_values(["i", "j"]).reset_index(drop=True)


def ld_prune(mt: Any, *, r2: float = 0.2, kb: float = 500.0) -> list[str]:
    """Variant ids kept by ``hl.ld_prune`` (no two kept variants within ``kb`` have r² >= ``r2``)."""
    from varkg.spark.session import hail_context

    hl = hail_context()
    mt = _polymorphic(hl, mt)
    kept = hl.ld_prune(mt.GT, r2=r2, bp_window_size=int(kb * 1000))
    ids = mt.rows()
    ids = ids.filter(hl.is_defined(kept[ids.key]))
    return [str(v) for v in ids.vid.collect()]
