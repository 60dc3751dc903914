"""One causal analysis per group: MR per exposure, SMR per gene (probe), coloc per locus.

Each function splits a table by a column (``by``/``locus``; ``None`` runs one analysis on the
whole table under ``name``), runs the analysis on each group in key order and returns a
:class:`GroupResults`: a tidy table with one row per group (and method) and the results by group
key. A group whose analysis fails with :class:`~varkg.errors.AnalysisError` gets a row with a
``note`` (the start of the message) instead of stopping the others; with a single group the
error is raised.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from varkg.errors import AnalysisError, InputError

__all__ = ["GroupResults", "coloc_by_locus", "mr_by_exposure", "smr_by_gene"]

_NOTE_CHARS = 80
_PROGRESS_FROM = 20
"""Groups from which a progress bar is shown (when asked for)."""


@dataclass
class GroupResults:
    """The tidy table of a grouped analysis and each group's result (in key order).

    ``results`` maps the group key to what the analysis returned: ``(list[MRResult],
    Harmonised)`` for MR, an ``SMRResult`` for SMR, a ``ColocResult`` for coloc.
    """

    table: pd.DataFrame
    results: dict[Hashable, Any] = field(default_factory=dict)


def _groups(table: pd.DataFrame, by: str | None, *, name: Hashable, what: str) -> list[tuple[Hashable, pd.DataFrame]]:
    if by is None:
        return [(name, table)]
    if by not in table.columns:
        raise InputError(f"{what}: grouping column {by!r} is not a column (have {list(table.columns)})")
    return [(key, sub.drop(columns=[by])) for key, sub in table.groupby(by, sort=True)]


def _each(
    groups: list[tuple[Hashable, pd.DataFrame]], *, progress: bool, description: str
) -> Iterable[tuple[Hashable, pd.DataFrame]]:
    if not progress or len(groups) < _PROGRESS_FROM:
        return groups
    from rich.progress import track

    return track(groups, description=description)


def mr_by_exposure(
    exposure: pd.DataFrame, outcome: pd.DataFrame, *, by: str | None, name: Hashable, progress: bool = False, **options: Any
) -> GroupResults:
    """Two-sample MR of each exposure (the groups of ``by``, e.g. ``gene_id``) on ``outcome``.

    Args:
        exposure, outcome: summary-statistics tables (:mod:`varkg.causal.harmonise`).
        by: the exposure column naming exposures, or None for one exposure called ``name``.
        progress: show a progress bar for many exposures.
        options: passed to :func:`varkg.causal.mr.run_mr` (``p_threshold``, ``genotypes``, ...).

    Returns:
        ``table``: :func:`~varkg.causal.mr.results_frame` rows with an ``exposure`` column first.
    """
    from varkg.causal.mr import results_frame, run_mr

    rows: list[pd.DataFrame] = []
    out = GroupResults(pd.DataFrame())
    for key, sub in _each(_groups(exposure, by, name=name, what="exposure"), progress=progress, description="MR"):
        try:
            res, h = run_mr(sub, outcome, **options)
        except AnalysisError as exc:
            if by is None:
                raise
            rows.append(pd.DataFrame([dict(exposure=key, method="none", note=str(exc)[:_NOTE_CHARS])]))
            continue
        out.results[key] = (res, h)
        fr = results_frame(res)
        fr.insert(0, "exposure", key)
        rows.append(fr)
    out.table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return out


def smr_by_gene(eqtl: pd.DataFrame, gwas: pd.DataFrame, *, by: str | None, name: Hashable, **options: Any) -> GroupResults:
    """SMR/HEIDI of each gene (the groups of ``by`` in ``eqtl``) on the trait ``gwas``.

    ``options`` go to :func:`varkg.causal.smr.smr_heidi`. ``table`` has a ``gene`` column and
    :meth:`~varkg.causal.smr.SMRResult.as_dict` fields.
    """
    from varkg.causal.smr import smr_heidi

    rows: list[dict[str, Any]] = []
    out = GroupResults(pd.DataFrame())
    for key, sub in _groups(eqtl, by, name=name, what="eQTL table"):
        try:
            r = smr_heidi(sub, gwas, **options)
        except AnalysisError as exc:
            if by is None:
                raise
            rows.append(dict(gene=key, note=str(exc)[:_NOTE_CHARS]))
            continue
        out.results[key] = r
        rows.append(dict(gene=key, **r.as_dict()))
    out.table = pd.DataFrame(rows)
    return out


def coloc_by_locus(trait1: pd.DataFrame, trait2: pd.DataFrame, *, locus: str | None, **options: Any) -> GroupResults:
    """coloc.abf of each locus (the groups of ``locus``, a column of both tables; None: one
    locus named ``"locus"``). ``options`` go to :func:`varkg.causal.coloc.coloc_abf`; errors are
    raised (a locus without shared variants is a bad input, not a finding)."""
    from varkg.causal.coloc import coloc_abf

    if locus is not None and locus not in trait2.columns:
        raise InputError(f"trait 2: locus column {locus!r} is not a column (have {list(trait2.columns)})")
    rows: list[dict[str, Any]] = []
    out = GroupResults(pd.DataFrame())
    for key, sa in _groups(trait1, locus, name="locus", what="trait 1"):
        sb = trait2 if locus is None else trait2[trait2[locus] == key].drop(columns=[locus])
        r = coloc_abf(sa, sb, **options)
        out.results[key] = r
        rows.append(dict(locus=key, **r.as_dict()))
    out.table = pd.DataFrame(rows)
    return out
