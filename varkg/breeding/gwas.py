"""A mixed-model GWAS run: results in the GWAS Parquet layout, ASSOCIATED_WITH edges, plots.

:func:`run_gwas` fits the null model by REML on the VanRaden GRM of the analysed animals and
tests every marker (:func:`varkg.breeding.lmm.lmm_wald`, lambda re-estimated per marker as
``gemma -lmm 1``). The table has :data:`varkg.loaders.gwas.ROW_SCHEMA`'s columns (``beta`` is the
effect per copy of the counted allele ``alt``; array markers without alleles keep ``ref``/``alt``
empty). :func:`write_gwas` upserts the trait as a Phenotype node and ASSOCIATED_WITH edges
(source ``GWAS``, study = the run id) from the Variant nodes of markers with p below the
threshold (markers that are not Variant nodes are skipped and counted), plus the Dataset node of
the run, in one transaction. :func:`manhattan_qq` draws both plots with the genomic inflation
``lambda_GC = median(chi2_1) / 0.4549``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from varkg.breeding.data import TraitData
from varkg.breeding.lmm import RemlFit, WaldResult, eigen, grm, lmm_wald, reml
from varkg.provenance import EdgeWrite, record_dataset, replace_computation_edges, run_id, varkg_version

__all__ = ["GwasResult", "genomic_inflation", "manhattan_qq", "run_gwas", "write_gwas"]


def genomic_inflation(pvalues: np.ndarray) -> float:
    """``median(chi2_1 quantile of 1 - p) / median(chi2_1)`` over finite p-values.

    >>> round(genomic_inflation(np.linspace(0.001, 1, 1000)), 2)
    1.0
    """
    p = np.asarray(pvalues, float)
    p = p[np.isfinite(p) & (p > 0)]
    return float(np.median(stats.chi2.isf(p, 1)) / stats.chi2.ppf(0.5, 1))


@dataclass
class GwasResult:
    """One trait's LMM GWAS: the table (GWAS Parquet columns + ``lambda_remle``), the null fit,
    lambda_GC, the run id and what was analysed."""

    table: pd.DataFrame
    null: RemlFit
    inflation: float
    run_id: str
    trait: str
    n: int
    covariates: list[str]


def run_gwas(data: TraitData, *, per_marker: bool = True, study: str | None = None, progress: bool = False) -> GwasResult:
    """LMM GWAS of one trait (GRM from the analysed animals and the markers kept by QC)."""
    K = grm(data.X, data.freq)
    eig = eigen(K)
    null = reml(data.y, data.W, eig)
    w: WaldResult = lmm_wald(data.y, data.W, data.X, eig, per_marker=per_marker, null=null, progress=progress)
    rid = run_id(
        "breeding-gwas",
        source=data.source,
        trait=data.trait,
        samples=data.samples,
        covariates=data.covariate_names,
        markers=len(data.variants),
        per_marker=per_marker,
    )
    v = data.variants
    with np.errstate(divide="ignore"):
        lp = -np.log10(w.pvalue)
    table = pd.DataFrame(
        {
            "variant_id": v["id"].astype(str).to_numpy(),
            "chrom": v["chrom"].astype(str).to_numpy(),
            "pos": v["pos"].to_numpy(np.int64),
            "ref": v["ref"].to_numpy(),
            "alt": v["alt"].to_numpy(),
            "rsid": v["name"].astype(str).to_numpy(),
            "beta": w.beta,
            "se": w.se,
            "pvalue": w.pvalue,
            "neg_log10_p": lp,
            "odds_ratio": np.nan,
            "eaf": data.freq,
            "n": data.n,
            "flipped": False,
            "study": study or rid,
            "trait": data.trait,
            "line": np.zeros(len(v), dtype=np.int64),
            "lambda_remle": w.lam,
        }
    )
    return GwasResult(table, null, genomic_inflation(w.pvalue), rid, data.trait, data.n, data.covariate_names)


def write_parquet(result: GwasResult, path: str | Path) -> Path:
    """The table in the GWAS loader's Parquet layout (its ROW_SCHEMA columns, then ``lambda_remle``)."""
    from varkg.loaders.gwas import ROW_SCHEMA

    schema = pa.schema([*ROW_SCHEMA, pa.field("lambda_remle", pa.float64())])
    t = result.table.copy()
    t["odds_ratio"] = None
    t["line"] = None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(t, schema=schema, preserve_index=False), path)
    return path


def write_gwas(store: Any, result: GwasResult, *, p_threshold: float = 1e-4, assembly: str | None = None) -> dict[str, int]:
    """Phenotype node, ASSOCIATED_WITH edges for markers with p < ``p_threshold`` and the Dataset node,
    in one transaction; a re-run replaces the run's edges. Returns counts (edges, skipped)."""
    hits = result.table[result.table["pvalue"] < p_threshold]
    did = result.run_id
    src = hits["variant_id"].astype(str).tolist()
    if assembly:  # array markers without alleles: the markers loader's Variant keys
        from varkg.popgen.writeback import variant_keys

        key = variant_keys(hits.rename(columns={"variant_id": "id"}), assembly)
        src = [key[s] for s in src]
    edges = pa.table(
        {
            "src": src,
            "dst": [result.trait] * len(hits),
            "source": ["GWAS"] * len(hits),
            "study": hits["study"].tolist(),
            "beta": pa.array(hits["beta"].tolist(), pa.float64()),
            "se": pa.array(hits["se"].tolist(), pa.float64()),
            "pvalue": pa.array(hits["pvalue"].tolist(), pa.float64()),
            "n": pa.array(hits["n"].astype(int).tolist(), pa.int64()),
        }
    )
    with store.transaction():
        store.upsert_nodes(
            "Phenotype", pa.table({"id": [result.trait], "name": [result.trait], "ontology": ["name"]}), dataset=did
        )
        written, skipped = replace_computation_edges(
            store, EdgeWrite("ASSOCIATED_WITH", "Variant", "Phenotype", edges, run_property="study"), dataset=did
        )
        record_dataset(
            store,
            dataset_id=did,
            name=f"LMM GWAS {result.trait}",
            loader="breeding.gwas",
            version=varkg_version(),
            paths=[],
            checksum=did.rsplit("-", 1)[-1],
            assembly=assembly,
            row_counts={"Variant-ASSOCIATED_WITH->Phenotype": written},
            parameters={
                "trait": result.trait,
                "n": result.n,
                "covariates": result.covariates,
                "vg": result.null.vg,
                "ve": result.null.ve,
                "pve": result.null.pve,
                "lambda_gc": result.inflation,
                "p_threshold": p_threshold,
            },
        )
    return {"edges": written, "skipped": skipped}


def manhattan_qq(result: GwasResult, out_prefix: str | Path) -> tuple[Path, Path]:
    """``{prefix}.manhattan.png`` and ``{prefix}.qq.png`` (lambda_GC in the QQ title)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.table
    prefix = Path(out_prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    lp = t["neg_log10_p"].to_numpy()
    fig, ax = plt.subplots(figsize=(11, 4), dpi=110)
    offset, ticks, labels = 0, [], []
    for i, (chrom, grp) in enumerate(t.groupby("chrom", sort=False)):
        x = grp["pos"].to_numpy() + offset
        ax.scatter(x, grp["neg_log10_p"], s=4, color=("#1f4e9c" if i % 2 == 0 else "#8fa9d6"))
        ticks.append(x.mean() if len(x) else offset)
        labels.append(chrom)
        offset = int(x.max()) + 5_000_000 if len(x) else offset
    ax.axhline(-np.log10(0.05 / len(t)), color="#c0392b", lw=0.8, ls="--", label="Bonferroni 0.05")
    ax.set_xticks(ticks, labels, fontsize=7)
    ax.set_xlabel("chromosome")
    ax.set_ylabel("-log10 p")
    ax.set_title(f"LMM GWAS {result.trait} (n={result.n}, {len(t):,} markers)")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    man = prefix.with_name(prefix.name + ".manhattan.png")
    fig.savefig(man)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(4.5, 4.5), dpi=110)
    obs = np.sort(lp[np.isfinite(lp)])[::-1]
    exp = -np.log10((np.arange(1, len(obs) + 1) - 0.5) / len(obs))
    ax.scatter(exp, obs, s=4, color="#1f4e9c")
    m = float(max(exp.max(), obs.max()))
    ax.plot([0, m], [0, m], color="#c0392b", lw=0.8)
    ax.set_xlabel("expected -log10 p")
    ax.set_ylabel("observed -log10 p")
    ax.set_title(f"QQ {result.trait}: lambda_GC = {result.inflation:.3f}")
    fig.tight_layout()
    qq = prefix.with_name(prefix.name + ".qq.png")
    fig.savefig(qq)
    plt.close(fig)
    return man, qq
