"""Phenotypes and covariates aligned to a genotype matrix, and marker QC for mixed models.

Phenotype table: TSV, first column the animal id, one numeric column per trait (``NA`` missing),
as ``pig_MSUPRP_pheno.tsv``. Covariate table: TSV with an ``id`` column, as
``pig_MSUPRP_covar.tsv`` (``sex``, ``litter``, ``slgdt_cd``, ``age_slg``, ``car_wt`` ...). Factor
covariates (non-numeric columns and those named in ``factors``) are dummy coded against their
first level; an intercept is always the first column.

Marker QC (:func:`prepare_markers`): monomorphic markers (one dosage in every animal) and markers with MAF below ``min_maf``
(default 0.01, GEMMA's ``-maf``) are dropped and counted; missing calls are replaced by the
marker's mean dosage over the animals analysed (as GEMMA does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError, InputError
from varkg.popgen.genotypes import GenotypeMatrix

__all__ = [
    "DEFAULT_COVARIATES",
    "MarkerQC",
    "TraitData",
    "design_matrix",
    "prepare_markers",
    "read_covariates",
    "read_phenotypes",
    "trait_data",
]

DEFAULT_COVARIATES = ("sex", "slgdt_cd", "car_wt")
"""MSUPRP fixed effects used by default: sex, slaughter group (a factor) and carcass weight."""

DEFAULT_FACTORS = ("sex", "litter", "slgdt_cd", "family")
"""Covariate columns treated as factors even when their codes are numbers."""


def read_phenotypes(path: str | Path) -> pd.DataFrame:
    """Traits per animal (index: the id as a string; columns: the traits, float, NaN missing)."""
    path = Path(path)
    if not path.exists():
        raise InputError("phenotype file does not exist", path=path)
    t = pd.read_csv(path, sep="\t", dtype=str)
    if t.shape[1] < 2:
        raise InputError(
            f"a phenotype table needs an id column and at least one trait (got {list(t.columns)})", path=path, line=1
        )
    idc = t.columns[0]
    if t[idc].duplicated().any():
        raise InputError(f"animal {t[idc][t[idc].duplicated()].iloc[0]!r} appears twice", path=path, field=idc)
    out = pd.DataFrame(index=t[idc].astype(str).to_numpy())
    for c in t.columns[1:]:
        v = pd.to_numeric(t[c].replace({"NA": None, ".": None, "": None}), errors="coerce")
        bad = v.isna() & t[c].notna() & ~t[c].isin(["NA", ".", ""])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"trait value {t[c].iloc[i]!r} is not a number or NA", path=path, line=i + 2, field=c)
        out[c] = v.to_numpy(dtype=float)
    out.attrs["path"] = str(path)
    return out


def read_covariates(path: str | Path) -> pd.DataFrame:
    """The covariate table (index: ``id`` as a string; columns as strings, ``NA`` -> None)."""
    path = Path(path)
    if not path.exists():
        raise InputError("covariate file does not exist", path=path)
    t = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    if "id" not in t.columns:
        raise InputError(f"covariates need an 'id' column (got {list(t.columns)})", path=path, line=1)
    t = t.replace({"NA": None, "": None}).set_index("id")
    t.index = t.index.astype(str)
    t.attrs["path"] = str(path)
    return t


def design_matrix(
    covar: pd.DataFrame, ids: Sequence[str], *, covariates: Sequence[str], factors: Sequence[str] = DEFAULT_FACTORS
) -> tuple[np.ndarray, list[str]]:
    """``float [len(ids), c]`` fixed-effect design: intercept, then each covariate (numeric as is,
    factors dummy coded against the first level in sorted order), and the column names."""
    unknown = [c for c in covariates if c not in covar.columns]
    if unknown:
        raise InputError(
            f"unknown covariate(s) {unknown}; the covariate file has {list(covar.columns)}", path=covar.attrs.get("path")
        )
    sub = covar.reindex(list(ids))
    cols = [np.ones(len(ids))]
    names = ["intercept"]
    for c in covariates:
        v = sub[c]
        num = pd.to_numeric(v, errors="coerce")
        if c in factors or num.isna().sum() > v.isna().sum():
            levels = sorted(v.dropna().unique(), key=lambda s: (len(str(s)), str(s)))
            for lev in levels[1:]:
                cols.append((v == lev).to_numpy(dtype=float))
                names.append(f"{c}={lev}")
        else:
            cols.append(num.to_numpy(dtype=float))
            names.append(c)
    return np.column_stack(cols), names


@dataclass(frozen=True)
class MarkerQC:
    """What marker QC did: markers kept (indices into the input), dropped counts, imputed calls."""

    keep: np.ndarray
    n_monomorphic: int
    n_low_maf: int
    n_imputed: int
    min_maf: float

    def summary(self) -> str:
        return (
            f"{len(self.keep):,} markers kept; dropped {self.n_monomorphic:,} monomorphic and "
            f"{self.n_low_maf:,} with MAF < {self.min_maf}; {self.n_imputed:,} missing calls mean-imputed"
        )


def prepare_markers(dosages: np.ndarray, *, min_maf: float = 0.01) -> tuple[np.ndarray, np.ndarray, MarkerQC]:
    """Mean-imputed ``float64 [n, kept]`` dosages, their alt-allele frequencies and the QC record.

    ``dosages`` is ``int8 [n, p]`` with ``-1`` missing. Raises AnalysisError when nothing is left.
    """
    d = np.asarray(dosages)
    ok = d >= 0
    cnt = ok.sum(axis=0)
    s = np.where(ok, d, 0).sum(axis=0, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / cnt
    freq = mean / 2.0
    lo = np.where(ok, d, 3).min(axis=0)
    hi = np.where(ok, d, -1).max(axis=0)
    poly = (cnt > 0) & (hi > lo)  # a constant dosage (all 0, all 1 or all 2) carries no information
    maf = np.minimum(freq, 1 - freq)
    low = poly & (maf < min_maf)
    keep = np.flatnonzero(poly & ~low)
    if len(keep) == 0:
        raise AnalysisError(f"no marker is left after QC (of {d.shape[1]}: all monomorphic or MAF < {min_maf})")
    x = d[:, keep].astype(np.float64)
    miss = ~ok[:, keep]
    n_imp = int(miss.sum())
    if n_imp:
        x[miss] = np.broadcast_to(mean[keep], x.shape)[miss]
    qc = MarkerQC(keep, int((~poly).sum()), int(low.sum()), n_imp, min_maf)
    return x, freq[keep], qc


@dataclass
class TraitData:
    """One trait ready for a mixed model: the animals with a genotype, the trait and every covariate.

    Attributes:
        trait: the trait name.
        samples: animal ids (rows of ``y``, ``W``, ``X``).
        y: ``float [n]`` the trait.
        W: ``float [n, c]`` fixed effects (intercept first), ``covariate_names`` its columns.
        X: ``float [n, p]`` mean-imputed alt-allele dosages of the markers kept.
        freq: ``float [p]`` alt-allele frequency of those markers in these animals.
        variants: the genotype matrix's variants table for the kept markers.
        qc: the marker QC record; ``dropped_animals``: why animals were left out (counts).
    """

    trait: str
    samples: list[str]
    y: np.ndarray
    W: np.ndarray
    covariate_names: list[str]
    X: np.ndarray
    freq: np.ndarray
    variants: pd.DataFrame
    qc: MarkerQC
    dropped_animals: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def n(self) -> int:
        return len(self.samples)


def trait_data(
    geno: GenotypeMatrix,
    phenotypes: pd.DataFrame,
    *,
    trait: str,
    covariates: pd.DataFrame | None = None,
    covariate_names: Sequence[str] = DEFAULT_COVARIATES,
    factors: Sequence[str] = DEFAULT_FACTORS,
    min_maf: float = 0.01,
    unmatched: Literal["error", "drop"] = "error",
) -> TraitData:
    """Align one trait, its covariates and the genotypes by animal id.

    Animals with the trait or a covariate missing are left out (counted in ``dropped_animals``).
    Phenotyped animals without genotypes are an InputError naming how many and examples
    (``unmatched="drop"`` leaves them out instead, counted).

    Raises:
        InputError: unknown trait (the known ones are listed), unknown covariate, no animal in common.
    """
    ppath = phenotypes.attrs.get("path")
    if trait not in phenotypes.columns:
        raise InputError(f"unknown trait {trait!r}; the phenotype file has {list(phenotypes.columns)}", path=ppath)
    gid = geno.samples["sample"].astype(str).tolist()
    gset = set(gid)
    y_all = phenotypes[trait].dropna()
    pid = y_all.index.astype(str).tolist()
    missing = [a for a in pid if a not in gset]
    dropped: dict[str, int] = {"trait_missing": int(phenotypes[trait].isna().sum())}
    if missing and (unmatched == "error" or len(missing) == len(pid)):
        raise InputError(
            f"{len(missing)} of {len(pid)} phenotyped animal(s) are not in the genotypes "
            f"({geno.source or 'genotype matrix'}, {len(gid)} animals), e.g. {missing[:5]}; "
            f"genotype ids look like {gid[:3]}",
            path=ppath,
            field=trait,
        )
    dropped["not_genotyped"] = len(missing)
    ids = [a for a in pid if a in gset]
    if covariates is not None and covariate_names:
        W, names = design_matrix(covariates, ids, covariates=covariate_names, factors=factors)
        ok = np.isfinite(W).all(axis=1)
        dropped["covariate_missing"] = int((~ok).sum())
        ids = [a for a, k in zip(ids, ok, strict=True) if k]
        W, names = design_matrix(covariates, ids, covariates=covariate_names, factors=factors)
        keepc = [0] + [j for j in range(1, W.shape[1]) if np.ptp(W[:, j]) > 0]
        W, names = W[:, keepc], [names[j] for j in keepc]
    else:
        W, names = np.ones((len(ids), 1)), ["intercept"]
    if len(ids) < W.shape[1] + 3:
        raise AnalysisError(f"only {len(ids)} animals have {trait!r}, genotypes and all covariates ({names})")
    pos = {a: i for i, a in enumerate(gid)}
    rows = np.array([pos[a] for a in ids])
    d = np.empty((len(ids), geno.n_variants), dtype=np.int8)
    for b in geno.blocks():
        d[:, b.start : b.stop] = b.dosages[rows]
    X, freq, qc = prepare_markers(d, min_maf=min_maf)
    return TraitData(
        trait=trait,
        samples=ids,
        y=y_all.reindex(ids).to_numpy(float),
        W=W,
        covariate_names=names,
        X=X,
        freq=freq,
        variants=geno.variants.iloc[qc.keep].reset_index(drop=True),
        qc=qc,
        dropped_animals=dropped,
        source=geno.source,
    )
