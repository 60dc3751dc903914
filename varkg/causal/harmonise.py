"""Summary-statistics tables for causal analyses: validation and allele harmonisation.

A *summary-statistics table* (pandas DataFrame, or anything ``pandas.DataFrame(...)`` accepts, such
as a ``pyarrow.Table`` read from a loader's Parquet output) has one row per variant and the columns

=================  ========  ==========================================================
column             required  meaning
=================  ========  ==========================================================
``snp``            yes       variant identifier (the Variant key, or an rsID)
``effect_allele``  yes       the allele ``beta`` refers to (uppercase A/C/G/T or longer)
``other_allele``   yes       the other allele
``beta``           yes       per-effect-allele effect (trait units, or log odds)
``se``             yes       standard error of ``beta``; must be finite and > 0
``p``              no        p-value (computed from ``beta/se`` when absent)
``eaf``            no        effect-allele frequency in [0, 1] (resolves palindromic SNPs)
``n``              no        sample size
``chrom``/``pos``  no        chromosome and 1-based position (cis windows, clumping windows)
=================  ========  ==========================================================

Harmonisation (as TwoSampleMR's ``harmonise_data`` action 2) aligns the outcome to the exposure's
effect allele: same alleles keep their sign; swapped alleles flip the outcome's ``beta`` (and
``eaf → 1 - eaf``); alleles that match only after taking the complementary strand are flipped
to it first. Palindromic SNPs (A/T, C/G), whose strand cannot be read from the alleles, are
resolved by allele frequency when both ``eaf`` are known and the minor-allele frequency is below
``palindromic_maf`` (0.42 by default): frequencies on the same side of 0.5 mean the same strand,
opposite sides mean a flip. Otherwise they are dropped (``palindromic="drop"`` drops them all).
Variants whose alleles cannot be matched at all raise by default (``on_mismatch="raise"``);
``on_mismatch="drop"`` drops them instead. Every dropped variant is listed, with its reason, in
:attr:`Harmonised.dropped`: nothing disappears silently.

Example:
    >>> import pandas as pd
    >>> exp = pd.DataFrame(dict(snp=["rs1", "rs2"], effect_allele=["A", "C"], other_allele=["G", "T"],
    ...                         beta=[0.5, 0.3], se=[0.05, 0.05]))
    >>> out = pd.DataFrame(dict(snp=["rs1", "rs2"], effect_allele=["G", "A"], other_allele=["A", "C"],
    ...                         beta=[-0.1, 0.06], se=[0.02, 0.02]))
    >>> h = harmonise(exp, out, on_mismatch="drop")
    >>> h.table[["snp", "beta_exposure", "beta_outcome"]].values.tolist()
    [['rs1', 0.5, 0.1]]
    >>> h.dropped[["snp", "reason"]].values.tolist()
    [['rs2', 'allele_mismatch']]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from varkg.dna import complement, is_palindromic
from varkg.errors import AnalysisError

__all__ = ["REQUIRED_COLUMNS", "Harmonised", "as_sumstats", "harmonise", "is_palindromic"]

REQUIRED_COLUMNS: tuple[str, ...] = ("snp", "effect_allele", "other_allele", "beta", "se")


def as_sumstats(
    data: Any,
    *,
    name: str = "summary statistics",
    required: tuple[str, ...] = REQUIRED_COLUMNS,
    alleles: bool = True,
) -> pd.DataFrame:
    """Validate a summary-statistics table and return a clean copy.

    Checks, all reported at once: required columns present; ``beta`` finite; ``se`` finite and
    > 0; ``eaf`` in [0, 1] where present; no duplicated ``snp``; alleles non-empty. Alleles are
    upper-cased and ``p`` is filled from ``beta/se`` (two-sided normal) where absent.

    Args:
        data: a DataFrame, pyarrow Table or mapping of columns.
        name: what to call the table in error messages (``"exposure"``).
        required: the columns that must be present.
        alleles: whether allele columns are required and normalised.

    Raises:
        AnalysisError: listing every failed check with example values.
    """
    df = data.to_pandas() if hasattr(data, "to_pandas") else pd.DataFrame(data)
    df = df.copy()
    req = tuple(c for c in required if alleles or c not in ("effect_allele", "other_allele"))
    missing = [c for c in req if c not in df.columns]
    if missing:
        raise AnalysisError(f"{name}: missing column(s) {missing}; expected at least {list(req)} (have {list(df.columns)})")
    problems: list[str] = []
    df["snp"] = df["snp"].astype(str)
    beta = pd.to_numeric(df["beta"], errors="coerce").to_numpy(dtype=float)
    se = pd.to_numeric(df["se"], errors="coerce").to_numpy(dtype=float)
    bad_beta = ~np.isfinite(beta)
    if bad_beta.any():
        i = int(np.flatnonzero(bad_beta)[0])
        problems.append(f"beta.is_finite: {int(bad_beta.sum())} row(s), e.g. snp {df['snp'].iat[i]!r} beta={df['beta'].iat[i]}")
    bad_se = ~(np.isfinite(se) & (se > 0))
    if bad_se.any():
        i = int(np.flatnonzero(bad_se)[0])
        problems.append(
            f"se.is_positive: {int(bad_se.sum())} row(s) with se ≤ 0 or missing, e.g. snp {df['snp'].iat[i]!r} "
            f"se={df['se'].iat[i]} (expected a finite number > 0)"
        )
    dup = df["snp"].duplicated(keep=False)
    if dup.any():
        ex = sorted(set(df.loc[dup, "snp"]))[:5]
        problems.append(
            f"snp.is_unique: {int(df['snp'].duplicated().sum())} duplicated id(s), e.g. {ex}; "
            "deduplicate (one row per variant) first"
        )
    if "eaf" in df.columns:
        eaf = pd.to_numeric(df["eaf"], errors="coerce").to_numpy(dtype=float)
        bad = np.isfinite(eaf) & ((eaf < 0) | (eaf > 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(f"eaf.in_unit_interval: snp {df['snp'].iat[i]!r} eaf={eaf[i]}")
        df["eaf"] = eaf
    if alleles:
        for col in ("effect_allele", "other_allele"):
            df[col] = df[col].astype(str).str.upper().str.strip()
            empty = df[col].isin(["", "NAN", "NONE", "."])
            if empty.any():
                i = int(np.flatnonzero(empty.to_numpy())[0])
                problems.append(f"{col}.is_present: snp {df['snp'].iat[i]!r} has {col}={df[col].iat[i]!r}")
        same = df["effect_allele"] == df["other_allele"]
        if same.any():
            i = int(np.flatnonzero(same.to_numpy())[0])
            problems.append(
                f"alleles.differ: snp {df['snp'].iat[i]!r} has effect_allele == other_allele == {df['effect_allele'].iat[i]!r}"
            )
    if problems:
        raise AnalysisError(f"{name}: {len(problems)} problem(s): " + "; ".join(problems))
    df["beta"] = beta
    df["se"] = se
    if "p" not in df.columns:
        df["p"] = 2 * stats.norm.sf(np.abs(beta / se))
    else:
        df["p"] = pd.to_numeric(df["p"], errors="coerce").astype(float)
        miss = df["p"].isna().to_numpy()
        df.loc[miss, "p"] = 2 * stats.norm.sf(np.abs(beta[miss] / se[miss]))
    return df.reset_index(drop=True)


@dataclass
class Harmonised:
    """Exposure and outcome aligned to the exposure's effect allele.

    Attributes:
        table: one row per kept variant: ``snp, effect_allele, other_allele, beta_exposure,
            se_exposure, p_exposure, beta_outcome, se_outcome, p_outcome`` (+ ``eaf_*``, ``chrom``,
            ``pos``, ``n_*`` where given) and ``action`` (``keep``, ``flip``, ``strand``,
            ``strand_flip``, ``palindromic_keep``, ``palindromic_flip``).
        dropped: ``snp, reason`` for every variant left out (``not_in_outcome``,
            ``allele_mismatch``, ``palindromic_ambiguous``, ``palindromic_dropped``).
    """

    table: pd.DataFrame
    dropped: pd.DataFrame


def harmonise(
    exposure: Any,
    outcome: Any,
    *,
    palindromic: Literal["infer", "drop"] = "infer",
    palindromic_maf: float = 0.42,
    on_mismatch: Literal["raise", "drop"] = "raise",
) -> Harmonised:
    """Align outcome effects to the exposure's effect allele (see the module docstring).

    Args:
        exposure: the exposure summary statistics (eQTL of a gene, or any trait's GWAS).
        outcome: the outcome GWAS summary statistics.
        palindromic: ``"infer"`` resolves A/T and C/G SNPs by ``eaf``; ``"drop"`` drops them.
        palindromic_maf: palindromic SNPs with a minor-allele frequency at or above this (in
            either study) are too close to 0.5 to infer and are dropped.
        on_mismatch: what to do with variants whose alleles do not match on either strand.

    Returns:
        A :class:`Harmonised` with the aligned table and the dropped variants.

    Raises:
        AnalysisError: invalid tables (see :func:`as_sumstats`), a mismatch with
            ``on_mismatch="raise"``, or no variant in common.
    """
    exp = as_sumstats(exposure, name="exposure")
    out = as_sumstats(outcome, name="outcome")
    if not 0 < palindromic_maf <= 0.5:
        raise AnalysisError(f"'palindromic_maf' (got {palindromic_maf}) must lie in (0, 0.5]")
    m = exp.merge(out, on="snp", how="left", suffixes=("_exposure", "_outcome"), indicator=True)
    dropped: list[tuple[str, str]] = [(s, "not_in_outcome") for s in m.loc[m["_merge"] == "left_only", "snp"]]
    m = m[m["_merge"] == "both"].drop(columns="_merge").reset_index(drop=True)
    if m.empty:
        raise AnalysisError(
            f"exposure and outcome share no variant ids (exposure e.g. {list(exp['snp'][:3])}, outcome e.g. "
            f"{list(out['snp'][:3])})"
        )
    ea_x, oa_x = m["effect_allele_exposure"].to_numpy(), m["other_allele_exposure"].to_numpy()
    ea_y, oa_y = m["effect_allele_outcome"].to_numpy(), m["other_allele_outcome"].to_numpy()
    has_eaf = "eaf_exposure" in m.columns and "eaf_outcome" in m.columns
    sign = np.ones(len(m))
    action = np.empty(len(m), dtype=object)
    keep = np.ones(len(m), dtype=bool)
    mismatches: list[str] = []
    for i in range(len(m)):
        a, b, c, d = ea_x[i], oa_x[i], ea_y[i], oa_y[i]
        if is_palindromic(a, b) and {c, d} == {a, b}:
            if palindromic == "drop":
                keep[i] = False
                dropped.append((m["snp"].iat[i], "palindromic_dropped"))
                continue
            fx = m["eaf_exposure"].iat[i] if has_eaf else np.nan
            fy = m["eaf_outcome"].iat[i] if has_eaf else np.nan
            if (
                not (np.isfinite(fx) and np.isfinite(fy))
                or min(fx, 1 - fx) >= palindromic_maf
                or min(fy, 1 - fy) >= palindromic_maf
            ):
                keep[i] = False
                dropped.append((m["snp"].iat[i], "palindromic_ambiguous"))
                continue
            fy_aligned = fy if c == a else 1 - fy  # outcome eaf for the exposure's effect allele, as written
            same_strand = (fx - 0.5) * (fy_aligned - 0.5) > 0
            if c == a:
                sign[i], action[i] = (1, "palindromic_keep") if same_strand else (-1, "palindromic_flip")
            else:
                sign[i], action[i] = (-1, "palindromic_keep") if same_strand else (1, "palindromic_flip")
            continue
        if c == a and d == b:
            action[i] = "keep"
        elif c == b and d == a:
            sign[i], action[i] = -1, "flip"
        elif complement(c) == a and complement(d) == b:
            action[i] = "strand"
        elif complement(c) == b and complement(d) == a:
            sign[i], action[i] = -1, "strand_flip"
        else:
            keep[i] = False
            mismatches.append(f"{m['snp'].iat[i]} exposure {a}/{b} vs outcome {c}/{d}")
            dropped.append((m["snp"].iat[i], "allele_mismatch"))
    if mismatches and on_mismatch == "raise":
        raise AnalysisError(
            f"{len(mismatches)} variant(s) have alleles that match on neither strand: {mismatches[:5]}; "
            "fix the ids or pass on_mismatch='drop'"
        )
    m["beta_outcome"] = m["beta_outcome"] * sign
    if "eaf_outcome" in m.columns:
        m["eaf_outcome"] = np.where(sign < 0, 1 - m["eaf_outcome"], m["eaf_outcome"])
    m["action"] = action
    m = m[keep].reset_index(drop=True)
    m = m.rename(columns={"effect_allele_exposure": "effect_allele", "other_allele_exposure": "other_allele"})
    m = m.drop(columns=["effect_allele_outcome", "other_allele_outcome"])
    for col in ("chrom", "pos"):
        if f"{col}_exposure" in m.columns:
            m = m.rename(columns={f"{col}_exposure": col})
            if f"{col}_outcome" in m.columns:
                m = m.drop(columns=f"{col}_outcome")
    return Harmonised(m, pd.DataFrame(dropped, columns=["snp", "reason"]))
