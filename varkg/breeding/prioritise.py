"""GPN x LD: rank the variants of GWAS-hit LD blocks by LM score and LD with the lead variant.

For every LD block (:func:`varkg.popgen.blocks.gabriel_blocks`) whose lead variant (the member
with the smallest GWAS p) has ``p < p_threshold``, each member ``v`` gets

    score(v) = |LLR(v)| * r²(v, lead)

where ``LLR`` is the language model's log-likelihood ratio ``log P(alt) - log P(ref)`` (nats,
:mod:`varkg.lm.score`; large |LLR| = the model finds the allele change surprising) and ``r²`` is
the squared Pearson correlation of dosages with the lead over the samples called at both
(:func:`varkg.popgen.ld.r2_matrix`, PLINK's ``--r2``). The lead itself has ``r² = 1``. Ranks are
1 = highest score within the block (ties: larger |LLR|, then position). A member without an LLR
keeps its ``r2_lead`` but gets no score and no rank (``has_llr`` False); such members are counted
per block and in :attr:`Prioritisation.n_missing_llr`, never dropped.

:func:`llr_enrichment` tests whether low-LLR variants (the lowest ``q`` quantile of the scored
background) are over-represented among associated variants (GWAS hits, QTLs): a one-sided
Fisher exact test on the 2x2 table and a label-permutation p-value.

Example:
    >>> import numpy as np, pandas as pd
    >>> from varkg.popgen.genotypes import GenotypeMatrix
    >>> from varkg.popgen.blocks import LdBlockResult
    >>> d = np.array([[0, 0, 1], [1, 1, 1], [2, 2, 0], [1, 0, 2]], np.int8)
    >>> g = GenotypeMatrix.from_arrays(d, chrom=["1"] * 3, pos=[10, 20, 30], samples=list("abcd"))
    >>> ids = g.variants["id"].tolist()
    >>> b = LdBlockResult("1", 10, 30, np.arange(3), ids)
    >>> gw = pd.DataFrame({"variant_id": ids, "pvalue": [1e-9, 1e-3, 0.5]})
    >>> ll = pd.DataFrame({"variant_id": ids[:2], "llr": [-0.5, -2.0]})
    >>> r = prioritise_blocks(geno=g, blocks=[b], gwas=gw, llr=ll, p_threshold=1e-6)
    >>> r.table[["rank", "score"]].round(3).values.tolist(), r.n_missing_llr
    ([[1.0, 1.455], [2.0, 0.5], [nan, nan]], 1)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from varkg.errors import AnalysisError, InputError
from varkg.popgen.blocks import LdBlockResult
from varkg.popgen.genotypes import GenotypeMatrix
from varkg.popgen.ld import r2_matrix

__all__ = [
    "FORMULA",
    "LlrEnrichment",
    "Prioritisation",
    "llr_enrichment",
    "plot_block_ranks",
    "prioritise_blocks",
    "read_llr_table",
    "write_priorities",
]

FORMULA = "score = |LLR| * r2(variant, lead)"

COLUMNS = [
    "block",
    "chrom",
    "block_first",
    "block_last",
    "variant_id",
    "pos",
    "lead_id",
    "lead_p",
    "pvalue",
    "llr",
    "abs_llr",
    "r2_lead",
    "score",
    "rank",
    "has_llr",
]


@dataclass(frozen=True)
class Prioritisation:
    """The ranked members of the GWAS-hit blocks.

    Attributes:
        table: one row per member of a hit block (:data:`COLUMNS`), blocks in genome order,
            members by rank (unranked last). ``block`` is ``{chrom}:{first}-{last}``.
        n_blocks: blocks given; ``n_hit_blocks``: those whose lead has ``p < p_threshold``.
        n_missing_llr: members of hit blocks without an LLR (no score, no rank).
        n_untested: members of hit blocks without a GWAS p (ranked all the same).
        p_threshold: the hit threshold.
    """

    table: pd.DataFrame
    n_blocks: int
    n_hit_blocks: int
    n_missing_llr: int
    n_untested: int
    p_threshold: float

    def summary(self) -> str:
        return (
            f"{self.n_hit_blocks} of {self.n_blocks} blocks have a lead with p < {self.p_threshold:g}; "
            f"{len(self.table)} members ranked by {FORMULA}; {self.n_missing_llr} without an LLR (unranked), "
            f"{self.n_untested} without a GWAS p"
        )


def _id_map(
    table: pd.DataFrame, *, column: str, value: str, known: set[str], what: str, path: str | Path | None
) -> dict[str, float]:
    for c in (column, value):
        if c not in table.columns:
            raise InputError(f"{what} table needs column {c!r} (got {list(table.columns)})", path=path, line=1, field=c)
    ids = table[column].astype(str)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"{what} table has {len(dup)} duplicated ids, e.g. {dup.head(3).tolist()}", path=path, field=column)
    unknown = ids[~ids.isin(known)]
    if len(unknown):
        raise InputError(
            f"{len(unknown)} of {len(ids)} {what} ids are not variants of the genotype matrix, e.g. "
            f"{unknown.head(3).tolist()} (matrix ids look like {sorted(known)[:2]})",
            path=path,
            field=column,
        )
    vals = pd.to_numeric(table[value], errors="coerce").to_numpy(float)
    return dict(zip(ids, vals, strict=True))


def prioritise_blocks(
    *,
    geno: GenotypeMatrix,
    blocks: Sequence[LdBlockResult],
    gwas: pd.DataFrame,
    llr: pd.DataFrame,
    p_threshold: float = 5e-8,
    id_column: str = "variant_id",
    p_column: str = "pvalue",
    llr_column: str = "llr",
    gwas_path: str | Path | None = None,
    llr_path: str | Path | None = None,
) -> Prioritisation:
    """Rank the members of every block whose lead has GWAS ``p < p_threshold`` by :data:`FORMULA`.

    Args:
        geno: the genotypes the blocks were called on (r² is computed from its dosages).
        blocks: LD blocks of ``geno`` (their ``ids`` are ``geno.variants['id']``).
        gwas: ``id_column`` and ``p_column`` (the ``breed gwas`` Parquet layout: ``variant_id``, ``pvalue``).
        llr: ``id_column`` and ``llr_column`` (NaN allowed: counted as missing).
        gwas_path, llr_path: the files the tables came from, for error messages.

    Raises:
        InputError: a missing column, duplicated ids, or ids that are not variants of ``geno``
            (the message gives their count and examples).
        AnalysisError: a block id not in ``geno``.
    """
    if not 0 < p_threshold <= 1:
        raise InputError(f"p_threshold must be in (0, 1], got {p_threshold}", field="p_threshold")
    vid = geno.variants["id"].astype(str)
    known = set(vid)
    pmap = _id_map(gwas, column=id_column, value=p_column, known=known, what="GWAS", path=gwas_path)
    lmap = _id_map(llr, column=id_column, value=llr_column, known=known, what="LLR", path=llr_path)
    index = {v: i for i, v in enumerate(vid)}
    pos = geno.variants["pos"].to_numpy(np.int64)
    rows: list[pd.DataFrame] = []
    n_hit = 0
    for b in blocks:
        missing = [i for i in b.ids if i not in index]
        if missing:
            raise AnalysisError(f"block {b.chrom}:{b.pos_first}-{b.pos_last} has ids not in the matrix, e.g. {missing[:3]}")
        p = np.array([pmap.get(i, np.nan) for i in b.ids])
        if not np.isfinite(p).any() or np.nanmin(p) >= p_threshold:
            continue
        n_hit += 1
        lead = int(np.nanargmin(p))
        cols = np.array([index[i] for i in b.ids])
        lo, hi = int(cols.min()), int(cols.max()) + 1
        d = geno.dosages(lo, hi)[:, cols - lo]
        r2 = r2_matrix(d, d[:, [lead]])[:, 0]
        r2[lead] = 1.0
        ll = np.array([lmap.get(i, np.nan) for i in b.ids])
        score = np.abs(ll) * r2
        t = pd.DataFrame(
            {
                "block": f"{b.chrom}:{b.pos_first}-{b.pos_last}",
                "chrom": b.chrom,
                "block_first": b.pos_first,
                "block_last": b.pos_last,
                "variant_id": list(b.ids),
                "pos": pos[cols],
                "lead_id": b.ids[lead],
                "lead_p": p[lead],
                "pvalue": p,
                "llr": ll,
                "abs_llr": np.abs(ll),
                "r2_lead": r2,
                "score": score,
                "has_llr": np.isfinite(ll),
            }
        )
        t = t.sort_values(["score", "abs_llr", "pos"], ascending=[False, False, True], na_position="last")
        ok = np.isfinite(t["score"].to_numpy())
        t["rank"] = np.where(ok, np.cumsum(ok), np.nan)
        rows.append(t)
    table = pd.concat(rows, ignore_index=True)[COLUMNS] if rows else pd.DataFrame(columns=COLUMNS)
    return Prioritisation(
        table=table,
        n_blocks=len(blocks),
        n_hit_blocks=n_hit,
        n_missing_llr=int((~table["has_llr"].astype(bool)).sum()),
        n_untested=int(table["pvalue"].isna().sum()),
        p_threshold=p_threshold,
    )


def read_llr_table(path: str | Path, *, id_column: str = "variant_id", llr_column: str = "llr") -> pd.DataFrame:
    """A score table (TSV/CSV; ``varkg lm score --out`` writes ``id``, ``llr``): returns ``variant_id``, ``llr``.

    ``id`` is accepted for ``variant_id`` (the ``lm score`` output).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file does not exist", path=path)
    t = pd.read_csv(path, sep=None, engine="python")
    if id_column not in t.columns and "id" in t.columns:
        t = t.rename(columns={"id": id_column})
    for c in (id_column, llr_column):
        if c not in t.columns:
            raise InputError(f"score table needs column {c!r} (got {list(t.columns)})", path=path, line=1, field=c)
    bad = pd.to_numeric(t[llr_column], errors="coerce").isna() & t[llr_column].notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"not a number: {t[llr_column].iloc[i]!r}", path=path, line=i + 2, field=llr_column)
    return pd.DataFrame({"variant_id": t[id_column].astype(str), "llr": pd.to_numeric(t[llr_column], errors="coerce")})


# ----------------------------------------------------------------------------------- enrichment


@dataclass(frozen=True)
class LlrEnrichment:
    """Enrichment of low-LLR variants among associated ones.

    The background is every variant with a finite LLR; ``tail`` is ``LLR <= threshold``, the
    ``q`` quantile of the background. ``table`` is ``[[tail & assoc, tail & not assoc],
    [rest & assoc, rest & not assoc]]``. ``fisher_p`` is one-sided (more associated variants in
    the tail than expected); ``permutation_p = (1 + #{perm >= observed}) / (1 + permutations)``
    with the associated labels shuffled over the background (``seed``).
    ``n_associated_unscored``: associated ids without an LLR (outside the background, counted).
    """

    table: np.ndarray
    odds_ratio: float
    fisher_p: float
    permutation_p: float
    permutations: int
    seed: int
    q: float
    threshold: float
    n_background: int
    n_associated: int
    n_associated_unscored: int

    def summary(self) -> str:
        (a, b), (c, d) = self.table.tolist()
        return (
            f"lowest {self.q:g} LLR tail (LLR <= {self.threshold:.4g}) of {self.n_background} scored variants: "
            f"{a} of {a + c} associated vs {b} of {b + d} others in the tail; OR {self.odds_ratio:.3g}, "
            f"Fisher p {self.fisher_p:.3g} (one-sided), permutation p {self.permutation_p:.3g} ({self.permutations}); "
            f"{self.n_associated_unscored} associated ids without an LLR"
        )


def llr_enrichment(
    *,
    llr: pd.Series,
    associated: Collection[str],
    q: float = 0.1,
    permutations: int = 10_000,
    seed: int = 0,
) -> LlrEnrichment:
    """Fisher and permutation test of low-LLR variants among ``associated`` ids.

    Args:
        llr: LLR per variant id (the index); NaN = unscored (outside the background).
        associated: ids of associated variants (GWAS hits, QTLs).
        q: the tail quantile (0 < q < 1).

    Raises:
        InputError: ``q`` out of range, duplicated ids, or no associated id in the background.
    """
    from scipy.stats import fisher_exact

    if not 0 < q < 1:
        raise InputError(f"q must be in (0, 1), got {q}", field="q")
    if permutations < 1:
        raise InputError(f"permutations must be >= 1, got {permutations}", field="permutations")
    s = pd.Series(llr, dtype=float)
    s.index = s.index.astype(str)
    if s.index.duplicated().any():
        raise InputError(f"duplicated LLR ids, e.g. {s.index[s.index.duplicated()][:3].tolist()}", field="llr")
    s = s[np.isfinite(s.to_numpy())]
    assoc_set = {str(a) for a in associated}
    is_assoc = s.index.isin(list(assoc_set))
    n_assoc = int(is_assoc.sum())
    if n_assoc == 0:
        ex = sorted(assoc_set)[:3]
        raise InputError(
            f"none of the {len(assoc_set)} associated ids has an LLR, e.g. {ex} (LLR ids look like {s.index[:2].tolist()})",
            field="associated",
        )
    thr = float(np.quantile(s.to_numpy(), q))
    tail = s.to_numpy() <= thr
    a = int((tail & is_assoc).sum())
    b = int((tail & ~is_assoc).sum())
    c = int((~tail & is_assoc).sum())
    d = int((~tail & ~is_assoc).sum())
    table = np.array([[a, b], [c, d]])
    res = fisher_exact(table, alternative="greater")
    rng = np.random.default_rng(seed)
    n = len(s)
    hits = 0
    tail_idx = tail.astype(np.int64)
    for _ in range(permutations):
        pick = rng.choice(n, size=n_assoc, replace=False)
        hits += int(tail_idx[pick].sum() >= a)
    return LlrEnrichment(
        table=table,
        odds_ratio=float(res.statistic),
        fisher_p=float(res.pvalue),
        permutation_p=(1 + hits) / (1 + permutations),
        permutations=permutations,
        seed=seed,
        q=q,
        threshold=thr,
        n_background=n,
        n_associated=n_assoc,
        n_associated_unscored=len(assoc_set) - n_assoc,
    )


# ----------------------------------------------------------------------------------- write-back, plot

PROPERTIES = ["gpnld_score", "gpnld_rank", "gpnld_block", "gpnld_run_id"]


def write_priorities(
    store: Any,
    result: Prioritisation,
    *,
    keys: dict[str, str],
    trait: str,
    llr_source: str,
    gwas_source: str,
    dataset: str | None = None,
) -> tuple[str, int, int]:
    """Set ``gpnld_score``, ``gpnld_rank``, ``gpnld_block``, ``gpnld_run_id`` on the ranked Variants
    and record a ``PredictionRun`` (task ``gpn-ld``) through :func:`varkg.provenance.replace_run`.

    The run id derives from the trait, the two sources and the threshold, so a re-run replaces
    the run's values (cleared on every Variant that carried them first) and its node.

    Args:
        keys: matrix variant id -> graph Variant key (:func:`varkg.popgen.writeback.graph_variant_keys`).

    Returns:
        ``(run id, variants written, ranked variants not in the graph)``.
    """
    import pyarrow as pa

    from varkg.provenance import NodeWrite, PredictionRun, replace_run, run_id

    t = result.table[result.table["has_llr"].astype(bool)]
    ids = [keys[str(v)] for v in t["variant_id"]]
    found = store.query("UNWIND $ids AS k MATCH (v:Variant {id: k}) RETURN v.id AS id", {"ids": ids}) if ids else None
    present = set(found.column("id").to_pylist()) if found is not None else set()
    keep = [i for i, k in enumerate(ids) if k in present]
    rid = run_id("gpn-ld", trait=trait, llr=llr_source, gwas=gwas_source, p_threshold=result.p_threshold)
    run = PredictionRun(
        rid,
        "gpn-ld",
        "gpn-ld",
        rid.rsplit("-", 1)[-1],
        parameters={
            "formula": FORMULA,
            "trait": trait,
            "llr": llr_source,
            "gwas": gwas_source,
            "p_threshold": result.p_threshold,
        },
        metrics={
            "hit_blocks": result.n_hit_blocks,
            "ranked": len(t),
            "missing_llr": result.n_missing_llr,
            "written": len(keep),
        },
    )
    table = pa.table(
        {
            "id": [ids[i] for i in keep],
            "gpnld_score": pa.array(t["score"].to_numpy(float)[keep], pa.float64()),
            "gpnld_rank": pa.array(t["rank"].to_numpy(float)[keep].astype(np.int64), pa.int64()),
            "gpnld_block": [str(x) for x in t["block"].to_numpy()[keep]],
            "gpnld_run_id": [rid] * len(keep),
        }
    )
    replace_run(store, run, nodes=[NodeWrite("Variant", table, clear=PROPERTIES, run_property="gpnld_run_id")], dataset=dataset)
    return rid, len(keep), len(ids) - len(keep)


def plot_block_ranks(result: Prioritisation, path: str | Path, *, max_blocks: int = 12) -> Path:
    """Per-block panels: score of each member against its position, the lead marked, ranks 1-3 labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    t = result.table
    blocks = list(dict.fromkeys(t["block"]))[:max_blocks]
    n = max(1, len(blocks))
    ncol = min(3, n)
    nrow = (n + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, blk in zip(axes.ravel(), blocks, strict=False):
        s = t[t["block"] == blk]
        ok = s["has_llr"].astype(bool)
        sc = ax.scatter(s.loc[ok, "pos"] / 1e6, s.loc[ok, "score"], c=s.loc[ok, "r2_lead"], cmap="viridis", vmin=0, vmax=1, s=18)
        ax.scatter(s.loc[~ok, "pos"] / 1e6, np.zeros(int((~ok).sum())), marker="x", color="grey", s=14, label="no LLR")
        lead = s[s["variant_id"] == s["lead_id"].iloc[0]]
        ax.scatter(lead["pos"] / 1e6, lead["score"].fillna(0), marker="D", facecolor="none", edgecolor="red", s=60, label="lead")
        for _, r in s[s["rank"] <= 3].iterrows():
            ax.annotate(str(int(r["rank"])), (r["pos"] / 1e6, r["score"]), fontsize=7, xytext=(2, 2), textcoords="offset points")
        ax.set_title(f"{blk}  lead p={s['lead_p'].iloc[0]:.2g}", fontsize=8)
        ax.set_xlabel("position (Mb)", fontsize=7)
        ax.set_ylabel("|LLR| x r² to lead", fontsize=7)
        ax.tick_params(labelsize=6)
        fig.colorbar(sc, ax=ax, label="r² to lead")
    for ax in axes.ravel()[len(blocks) :]:
        ax.axis("off")
    if blocks:
        axes.ravel()[0].legend(fontsize=6, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
