"""Over-representation analysis against an explicit background.

For a study gene list ``S`` and a background ``B`` (the genes that could have been selected),
every set ``G`` of a library is tested on the 2 x 2 table of ``B`` by membership of ``S`` and
``G`` (both restricted to ``B``; study genes outside ``B`` are an error, not silently dropped):

* ``N = |B|``, ``K = |G ∩ B|``, ``n = |S|``, ``k = |S ∩ G|``
* ``alternative="greater"`` (default): ``p = P(X >= k)``, ``X ~ Hypergeometric(N, K, n)`` =
  ``scipy.stats.hypergeom.sf(k - 1, N, K, n)``, which equals one-sided Fisher's exact test;
* ``alternative="two-sided"``: Fisher's exact test (``scipy.stats.fisher_exact``), goatools'
  default;
* ``fold = k / (n K / N)``; FDR by Benjamini-Hochberg over the tested sets of each
  (library, namespace) group: ``q_(i) = min_{j >= i} p_(j) m / j``.

Sets with ``K`` outside ``[min_size, max_size]`` are not tested (and do not count in ``m``).

Example:
    >>> lib = GeneSetLibrary("toy", {"A": frozenset("abcd"), "B": frozenset("wxyz")}, "symbol")
    >>> r = over_representation(["a", "b", "c"], background=list("abcdefghwxyz"), library=lib, min_size=1)
    >>> r.loc[0, "set_id"], int(r.loc[0, "overlap"]), round(float(r.loc[0, "pvalue"]), 4)
    ('A', 3, 0.0182)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError
from varkg.interpret.genesets import GeneSetLibrary

Alternative = Literal["greater", "two-sided"]
RESULT_COLUMNS: tuple[str, ...] = (
    "library",
    "namespace",
    "set_id",
    "name",
    "set_size",
    "overlap",
    "study_size",
    "background_size",
    "expected",
    "fold",
    "pvalue",
    "fdr",
    "genes",
)


def bh_fdr(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (same order as ``p``).

    >>> [round(float(x), 3) for x in bh_fdr([0.01, 0.04, 0.03, 0.2])]
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def hypergeom_pvalues(k: np.ndarray, N: int, K: np.ndarray, n: int, *, alternative: Alternative = "greater") -> np.ndarray:
    """P-values of overlaps ``k`` for sets of size ``K`` (arrays), study size ``n``, background ``N``."""
    from scipy import stats

    k = np.asarray(k, dtype=np.int64)
    K = np.asarray(K, dtype=np.int64)
    if alternative == "greater":
        return np.asarray(stats.hypergeom.sf(k - 1, N, K, n), dtype=np.float64)
    if alternative != "two-sided":
        raise AnalysisError(f"alternative {alternative!r} is not one of 'greater', 'two-sided'")
    out = np.empty(k.size)
    memo: dict[tuple[int, int], float] = {}
    for i, (a, kk) in enumerate(zip(k.tolist(), K.tolist(), strict=True)):
        key = (a, kk)
        if key not in memo:
            table = [[a, n - a], [kk - a, N - kk - (n - a)]]
            memo[key] = float(stats.fisher_exact(table, alternative="two-sided")[1])
        out[i] = memo[key]
    return out


def over_representation(
    study: Iterable[str],
    *,
    background: Iterable[str],
    library: GeneSetLibrary,
    alternative: Alternative = "greater",
    min_size: int = 5,
    max_size: int = 2000,
    min_overlap: int = 0,
) -> pd.DataFrame:
    """Test every set of ``library`` for over-representation of ``study`` genes within ``background``.

    Args:
        study: the selected genes (identifiers of ``library.id_kind``).
        background: every gene that could have been selected; must contain ``study``.
        library: the gene sets.
        alternative: ``greater`` (one-sided hypergeometric) or ``two-sided`` (Fisher).
        min_size, max_size: test only sets with this many background genes.
        min_overlap: report only sets with at least this many study genes (they still count in BH).

    Returns:
        One row per tested set (columns :data:`RESULT_COLUMNS`), sorted by p-value; ``genes`` is
        the ``;``-joined overlap.

    Raises:
        AnalysisError: an empty study or background, or study genes outside the background.
    """
    bg = set(background)
    st = set(study)
    if not bg:
        raise AnalysisError("the background is empty: give the genes that could have been selected")
    if not st:
        raise AnalysisError("the study gene list is empty")
    outside = sorted(st - bg)
    if outside:
        raise AnalysisError(
            f"{len(outside)} study gene(s) are not in the background, e.g. {outside[:5]}; "
            "the background must hold every gene that could have been selected"
        )
    N, n = len(bg), len(st)
    ids, Ks, ks, genes = [], [], [], []
    for sid, members in library.sets.items():
        inb = members & bg
        K = len(inb)
        if K < min_size or K > max_size:
            continue
        hit = inb & st
        ids.append(sid)
        Ks.append(K)
        ks.append(len(hit))
        genes.append(";".join(sorted(hit)))
    if not ids:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    K_a, k_a = np.array(Ks), np.array(ks)
    p = hypergeom_pvalues(k_a, N, K_a, n, alternative=alternative)
    expected = n * K_a / N
    df = pd.DataFrame(
        {
            "library": library.name,
            "namespace": [library.namespaces.get(s, "") for s in ids],
            "set_id": ids,
            "name": [library.names.get(s, s) for s in ids],
            "set_size": K_a,
            "overlap": k_a,
            "study_size": n,
            "background_size": N,
            "expected": expected,
            "fold": np.where(expected > 0, k_a / np.maximum(expected, 1e-300), np.nan),
            "pvalue": p,
            "genes": genes,
        }
    )
    df["fdr"] = np.nan
    for _, idx in df.groupby("namespace").groups.items():
        df.loc[idx, "fdr"] = bh_fdr(df.loc[idx, "pvalue"].to_numpy())
    df = df[df["overlap"] >= min_overlap]
    return df.sort_values(["pvalue", "set_id"], kind="mergesort").reset_index(drop=True)[list(RESULT_COLUMNS)]


def enrich_libraries(
    study: Iterable[str],
    *,
    background: Iterable[str],
    libraries: Sequence[GeneSetLibrary],
    alternative: Alternative = "greater",
    min_size: int = 5,
    max_size: int = 2000,
    min_overlap: int = 1,
) -> pd.DataFrame:
    """:func:`over_representation` for each library, concatenated (BH stays per library and namespace)."""
    st, bg = list(study), list(background)
    parts = [
        over_representation(
            st, background=bg, library=lib, alternative=alternative, min_size=min_size, max_size=max_size, min_overlap=min_overlap
        )
        for lib in libraries
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    return (
        pd.concat(parts, ignore_index=True).sort_values(["pvalue", "library", "set_id"], kind="mergesort").reset_index(drop=True)
    )
