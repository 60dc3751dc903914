"""Reading the inputs of causal analyses: summary-statistics tables, numeric matrices, variant ids.

* :func:`read_table`: TSV (``.tsv``/``.tsv.gz``/``.txt``, the default), CSV (``.csv[.gz]``) or
  Parquet, with the columns of :mod:`varkg.causal.harmonise`; ``rename`` maps other names
  (``["pvalue=p"]``).
* :func:`read_matrix`: a headerless numeric matrix, whitespace-separated (optionally gzipped),
  or a ``.npy`` array: genotypes (samples x variants), phenotypes (samples x traits), LD.
* :func:`read_variant_ids`: the variant of each genotype column, one id per line, or a TSV with
  ``snp`` (and ``alt``, the coded allele).

Errors name the file, and the line and field where there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from varkg.errors import InputError

__all__ = ["read_matrix", "read_table", "read_variant_ids"]


def read_table(path: Path, rename: Sequence[str] | None = None) -> pd.DataFrame:
    """A summary-statistics table; ``rename`` holds ``old=new`` column renames (an ``old``
    that is absent while ``new`` is present is skipped: the table already uses the wanted name).

    Raises:
        InputError: the file is missing, a rename is not ``old=new`` or names no column.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    name = path.name.lower()
    if name.endswith(".parquet"):
        df = pd.read_parquet(path)
    elif name.endswith((".csv", ".csv.gz")):
        df = pd.read_csv(path)
    else:
        df = pd.read_csv(path, sep="\t")
    for r in rename or []:
        if "=" not in r:
            raise InputError(f"--rename expects old=new (got {r!r})", path=path)
        old, new = r.split("=", 1)
        if old not in df.columns and new in df.columns:
            continue
        if old not in df.columns:
            raise InputError(f"cannot rename {old!r}: no such column (have {list(df.columns)})", path=path, field=old)
        df = df.rename(columns={old: new})
    return df


def read_matrix(path: Path) -> np.ndarray:
    """A headerless numeric matrix (whitespace-separated, optionally gzipped) or a ``.npy`` array.

    Raises:
        InputError: the file is missing, or a cell is not a number (with its 1-based line and column).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    if path.name.endswith(".npy"):
        return np.load(path)
    df = pd.read_csv(path, sep=r"\s+", header=None)
    bad = df.apply(pd.to_numeric, errors="coerce").isna() & df.notna()
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise InputError(f"not a number: {df.iat[r, c]!r}", path=path, line=int(r) + 1, field=f"column {int(c) + 1}")
    return df.to_numpy(dtype=float)


def read_variant_ids(path: Path) -> tuple[list[str], list[str] | None]:
    """Variant ids of genotype columns and, when the file is a TSV with ``alt``, the coded alleles.

    Raises:
        InputError: the file is missing.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("no such file", path=path)
    lines = path.read_text().splitlines()
    if lines and "\t" in lines[0] and "snp" in lines[0].split("\t"):
        t = pd.read_csv(path, sep="\t")
        return t["snp"].astype(str).tolist(), (t["alt"].astype(str).tolist() if "alt" in t.columns else None)
    return [ln.strip() for ln in lines if ln.strip()], None
