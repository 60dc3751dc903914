"""Fst on Hail: Hudson's estimator (Bhatia et al. 2013) per variant from per-population call
statistics (``id``, ``fst_num``, ``fst_den``, ``fst``), the ``num``, ``den``, ``fst`` of :func:`varkg.popgen.fst.fst`."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["hudson_fst"]


def hudson_fst(mt: Any, *, populations: pd.DataFrame, pop_a: str, pop_b: str) -> pd.DataFrame:
    """Per-variant Hudson Fst between ``pop_a`` and ``pop_b``; ``populations`` has ``sample``, ``population``."""
    from varkg.spark.session import hail_context

    hl = hail_context()
    t = populations[["sample", "population"]].astype(str)
    ht = hl.Table.from_pandas(t, key="sample")
    col_key = list(mt.col_key)[0]
    mt = mt.annotate_cols(_pop=ht[hl.str(mt[col_key])].population)

    def stats(pop: str) -> Any:
        d = hl.agg.filter((mt._pop == pop) & hl.is_defined(mt.dosage), hl.struct(n=hl.agg.count(), s=hl.agg.sum(mt.dosage)))
        return hl.struct(p=hl.float64(d.s) / (2.0 * d.n), an=2.0 * d.n)

    mt = mt.annotate_rows(_a=stats(pop_a), _b=stats(pop_b))
    r = mt.rows()
    p1, n1, p2, n2 = r._a.p, r._a.an, r._b.p, r._b.an
    num = (p1 - p2) ** 2 - p1 * (1 - p1) / (n1 - 1) - p2 * (1 - p2) / (n2 - 1)
    den = p1 * (1 - p2) + p2 * (1 - p1)
    out = r.select(id=r.vid, fst_num=num, fst_den=den, fst=num / den)
    return out.key_by().select("id", "fst_num", "fst_den", "fst").to_pandas()
