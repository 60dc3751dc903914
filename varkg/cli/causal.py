"""``varkg causal``: Mendelian randomisation, SMR/HEIDI, coloc, fine-mapping and do-queries.

Thin commands: read tables (:mod:`varkg.causal.io`), call :mod:`varkg.causal` (grouped runs:
:mod:`varkg.causal.batch`; figures: :mod:`varkg.causal.plot`), print tidy tables (rich), optionally
write ``CAUSAL_FOR`` edges / fine-mapping properties back to the store chosen by ``varkg --store``.

Summary-statistics tables are TSV (``.tsv``/``.tsv.gz``/``.txt``), CSV or Parquet with the columns
of :mod:`varkg.causal.harmonise` (``snp, effect_allele, other_allele, beta, se`` [+ ``p, eaf, n,
chrom, pos``]); ``--rename old=new`` maps other names (``--rename pvalue=p``). Genotype matrices
are ``.npy`` (samples × variants, as the loaders write) or headerless numeric TSV.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from varkg.causal.io import read_matrix, read_table, read_variant_ids
from varkg.cli._common import cli_errors, cli_store

app = typer.Typer(help="Causal inference: mr, smr, coloc, finemap, do.", no_args_is_help=True)
console = Console(emoji=False)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print less (no tables).")]
Rename = Annotated[list[str] | None, typer.Option("--rename", help="Rename a column: old=new (repeatable).")]
WriteBack = Annotated[bool, typer.Option("--write-back", help="Write CAUSAL_FOR edges to the store (varkg --store).")]
RunId = Annotated[str | None, typer.Option(help="Run id (default: a hash of method, parameters and inputs; re-runs replace).")]


# ---------------------------------------------------------------------------- helpers
def _show(df: pd.DataFrame, title: str, *, quiet: bool) -> None:
    if quiet:
        return
    t = Table(title=title, show_lines=False)
    for c in df.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
    for row in df.itertuples(index=False):
        t.add_row(*[(f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)) for v in row])
    console.print(t)


def _edges(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["src", "dst"])


# ---------------------------------------------------------------------------- finemap
@app.command()
@cli_errors
def finemap(
    out: Annotated[Path, typer.Option(help="Output TSV: variant, pip, credible_set (one row per variant, input order).")],
    genotypes: Annotated[
        Path | None, typer.Option(help="Genotypes: headerless samples × variants matrix (TSV[.gz]) or .npy.")
    ] = None,
    phenotypes: Annotated[Path | None, typer.Option(help="Phenotypes: headerless samples × traits matrix (TSV[.gz]).")] = None,
    column: Annotated[int, typer.Option(help="1-based phenotype column.")] = 1,
    sumstats: Annotated[
        Path | None, typer.Option(help="SuSiE-RSS: table with beta and se (or z), one row per LD column.")
    ] = None,
    ld: Annotated[Path | None, typer.Option(help="SuSiE-RSS: headerless LD correlation matrix (TSV[.gz] or .npy).")] = None,
    n: Annotated[int | None, typer.Option(help="SuSiE-RSS: GWAS sample size.")] = None,
    L: Annotated[int, typer.Option("--L", help="Maximum number of causal effects.")] = 10,
    coverage: Annotated[float, typer.Option(help="Credible-set coverage.")] = 0.95,
    min_abs_corr: Annotated[float, typer.Option(help="Credible-set purity threshold.")] = 0.5,
    variant_ids: Annotated[
        Path | None, typer.Option(help="Variant keys of the columns, one per line (else 1-based indices).")
    ] = None,
    write_back: Annotated[
        bool, typer.Option("--write-back", help="Write pip/credible_set to Variant nodes (needs --variant-ids, --trait).")
    ] = False,
    trait: Annotated[str | None, typer.Option(help="Trait fine-mapped (for write-back).")] = None,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """Fine-map with SuSiE (individual data) or SuSiE-RSS (summary statistics + LD).

    Writes OUT (variant, pip, credible_set) and OUT with suffix .cs.tsv (one row per credible set).

    Example: varkg causal finemap --genotypes N3_X.tsv.gz --phenotypes N3_Y.tsv.gz --column 1 --out pips.tsv
    """
    from varkg.causal.susie import METHOD_VERSION, susie, susie_rss
    from varkg.errors import InputError

    if genotypes is not None and phenotypes is not None:
        X = read_matrix(genotypes)
        Y = read_matrix(phenotypes)
        if Y.ndim == 1:
            Y = Y[:, None]
        if not 1 <= column <= Y.shape[1]:
            raise InputError(f"--column {column} is out of range: the file has {Y.shape[1]} column(s) (1-based)", path=phenotypes)
        with console.status("SuSiE (IBSS)...", spinner="dots") if not quiet else contextlib.nullcontext():
            fit = susie(X, Y[:, column - 1], L=L, coverage=coverage, min_abs_corr=min_abs_corr)
    elif sumstats is not None and ld is not None and n is not None:
        ss = read_table(sumstats)
        R = read_matrix(ld)
        if "z" in ss.columns:
            fit = susie_rss(z=ss["z"].to_numpy(float), R=R, n=n, L=L, coverage=coverage, min_abs_corr=min_abs_corr)
        else:
            fit = susie_rss(
                bhat=ss["beta"].to_numpy(float),
                shat=ss["se"].to_numpy(float),
                R=R,
                n=n,
                L=L,
                coverage=coverage,
                min_abs_corr=min_abs_corr,
            )
    else:
        raise InputError("give --genotypes and --phenotypes, or --sumstats, --ld and --n")
    p = fit.pip.shape[0]
    ids = read_variant_ids(variant_ids)[0] if variant_ids is not None else [str(j + 1) for j in range(p)]
    if len(ids) != p:
        raise InputError(f"{len(ids)} variant ids for {p} variants", path=variant_ids)
    member = fit.cs_membership()
    res = pd.DataFrame(dict(variant=ids, pip=fit.pip, credible_set=[m or "" for m in member]))
    res.to_csv(out, sep="\t", index=False, float_format="%.6g")
    cs = pd.DataFrame(
        [
            dict(
                credible_set=c.name,
                size=len(c.variants),
                coverage=c.coverage,
                min_abs_corr=c.min_abs_corr,
                mean_abs_corr=c.mean_abs_corr,
                variants=",".join(ids[j] for j in c.variants),
            )
            for c in fit.credible_sets
        ],
        columns=["credible_set", "size", "coverage", "min_abs_corr", "mean_abs_corr", "variants"],
    )
    cs_path = out.with_name(out.name.removesuffix(".tsv") + ".cs.tsv")
    cs.to_csv(cs_path, sep="\t", index=False, float_format="%.6g")
    show = cs.assign(variants=cs["variants"].str.slice(0, 60))
    _show(show, f"SuSiE: {len(cs)} credible set(s), {fit.niter} iterations, converged={fit.converged}", quiet=quiet)
    console.print(f"wrote {out} ({p} PIPs) and {cs_path}")
    if write_back:
        if variant_ids is None or trait is None:
            raise InputError("--write-back needs --variant-ids (Variant keys) and --trait")
        from varkg.causal.writeback import new_run, write_finemap
        from varkg.provenance import latest_release

        with cli_store() as store:
            run = new_run(
                "susie",
                method_version=METHOD_VERSION,
                parameters=fit.params,
                scope=f"{trait};{(genotypes or sumstats)}",
                release_id=latest_release(store),
                run_id=run_id,
            )
            k = write_finemap(store, run, variant_ids=ids, pip=fit.pip, credible_set=member, trait=trait)
        console.print(f"wrote fine-mapping of {k} Variant node(s) (run {run.id})")


# ---------------------------------------------------------------------------- mr
@app.command()
@cli_errors
def mr(
    exposure: Annotated[Path, typer.Option(help="Exposure summary statistics (eQTL table of a gene, or a trait GWAS).")],
    outcome: Annotated[Path, typer.Option(help="Outcome GWAS summary statistics.")],
    by: Annotated[str | None, typer.Option(help="Exposure column naming exposures (e.g. gene_id): one MR per value.")] = None,
    p_threshold: Annotated[float, typer.Option(help="Instrument p-value threshold on the exposure.")] = 5e-8,
    genotypes: Annotated[Path | None, typer.Option(help="LD reference genotypes (.npy samples × variants) for clumping.")] = None,
    variant_ids: Annotated[Path | None, typer.Option(help="snp id of each genotype column (one per line).")] = None,
    clump_r2: Annotated[float, typer.Option(help="Clumping r² threshold.")] = 0.001,
    drop_mismatched: Annotated[
        bool, typer.Option("--drop-mismatched", help="Drop variants whose alleles match on neither strand (default: error).")
    ] = False,
    plot: Annotated[Path | None, typer.Option(help="Scatter + forest plot PNG (single exposure).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the results table (TSV).")] = None,
    exposure_id: Annotated[
        str | None, typer.Option(help="Node key of the exposure (Gene id or Phenotype id) for write-back.")
    ] = None,
    outcome_id: Annotated[str | None, typer.Option(help="Phenotype key of the outcome for write-back.")] = None,
    exposure_type: Annotated[str, typer.Option(help="Node type of the exposure: Gene or Variant.")] = "Gene",
    rename: Rename = None,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """Two-sample Mendelian randomisation: IVW (random/fixed), MR-Egger, weighted median, Q and I².

    Example: varkg causal mr --exposure eqtl_GENE.tsv --outcome gwas.tsv --plot mr.png --outcome-id EFO:0004611
    """
    from varkg.causal.batch import mr_by_exposure
    from varkg.causal.mr import METHOD_VERSION
    from varkg.errors import InputError

    exp = read_table(exposure, rename)
    outc = read_table(outcome, rename)
    G = read_matrix(genotypes) if genotypes is not None else None
    ids = read_variant_ids(variant_ids)[0] if variant_ids is not None else None
    batch = mr_by_exposure(
        exp,
        outc,
        by=by,
        name=exposure_id or exposure.stem,
        progress=not quiet,
        p_threshold=p_threshold,
        genotypes=G,
        variant_ids=ids,
        clump_r2=clump_r2,
        on_mismatch="drop" if drop_mismatched else "raise",
    )
    table = batch.table
    cols = [
        c
        for c in [
            "exposure",
            "method",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "p",
            "n_instruments",
            "q",
            "q_p",
            "i2",
            "intercept",
            "intercept_p",
            "note",
        ]
        if c in table.columns
    ]
    _show(table[cols], f"Mendelian randomisation on {outcome.name}", quiet=quiet)
    if out is not None:
        table.to_csv(out, sep="\t", index=False)
        console.print(f"wrote {out}")
    if plot is not None and batch.results:
        from varkg.causal.plot import mr_plot

        name, (res, h) = list(batch.results.items())[-1]
        mr_plot(h.table, res, plot, f"{name} → {outcome.stem}")
        console.print(f"wrote {plot}")
    if write_back:
        if outcome_id is None:
            raise InputError("--write-back needs --outcome-id (the Phenotype key)")
        from varkg.causal.writeback import mr_edges, new_run, write_causal_edges
        from varkg.provenance import latest_release

        edges = _edges([mr_edges(res, src=str(name), dst=outcome_id or "") for name, (res, _) in batch.results.items()])
        with cli_store() as store:
            params = dict(p_threshold=p_threshold, clump_r2=clump_r2, clumped=genotypes is not None)
            run = new_run(
                "mr",
                method_version=METHOD_VERSION,
                parameters=params,
                scope=f"{exposure.name};{outcome.name};{outcome_id}",
                release_id=latest_release(store),
                run_id=run_id,
            )
            k = write_causal_edges(store, run, edges, src_type=exposure_type, dst_type="Phenotype")
        console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")


# ---------------------------------------------------------------------------- smr
@app.command()
@cli_errors
def smr(
    eqtl: Annotated[Path, typer.Option(help="cis-eQTL summary statistics (with chrom, pos for the cis window).")],
    gwas: Annotated[Path, typer.Option(help="Trait GWAS summary statistics.")],
    genotypes: Annotated[Path | None, typer.Option(help="LD reference genotypes (.npy samples × variants) for HEIDI.")] = None,
    variant_ids: Annotated[
        Path | None, typer.Option(help="Genotype columns: one snp per line, or a TSV with snp and alt (coded allele).")
    ] = None,
    by: Annotated[str | None, typer.Option(help="eQTL column naming genes (probes): one test per gene.")] = None,
    probe_pos: Annotated[int | None, typer.Option(help="Probe/TSS position (1-based) for the cis window.")] = None,
    probe_chrom: Annotated[str | None, typer.Option(help="Probe chromosome.")] = None,
    cis_window: Annotated[int, typer.Option(help="cis window (bp each side).")] = 2_000_000,
    p_smr: Annotated[float, typer.Option(help="Top eQTL p-value threshold.")] = 5e-8,
    gene_id: Annotated[str | None, typer.Option(help="Gene key for write-back (single gene).")] = None,
    trait_id: Annotated[str | None, typer.Option(help="Phenotype key for write-back.")] = None,
    rename: Rename = None,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """SMR test and HEIDI (Zhu et al. 2016) with SMR's default thresholds.

    Example: varkg causal smr --eqtl eqtl.tsv --gwas gwas.tsv --genotypes ref.npy --variant-ids ref_ids.tsv --by gene_id
    """
    from varkg.causal.batch import smr_by_gene
    from varkg.causal.smr import METHOD_VERSION
    from varkg.errors import InputError

    e = read_table(eqtl, rename)
    g = read_table(gwas, rename)
    G = read_matrix(genotypes) if genotypes is not None else None
    ids, coded = read_variant_ids(variant_ids) if variant_ids is not None else (None, None)
    batch = smr_by_gene(
        e,
        g,
        by=by,
        name=gene_id or eqtl.stem,
        genotypes=G,
        variant_ids=ids,
        coded_alleles=coded,
        probe_chrom=probe_chrom,
        probe_pos=probe_pos,
        cis_window_bp=cis_window,
        p_smr=p_smr,
        heidi=G is not None,
    )
    table = batch.table
    cols = [
        c
        for c in ["gene", "top_snp", "b_xy", "se", "p_smr", "p_eqtl", "p_gwas", "p_heidi", "n_heidi", "note"]
        if c in table.columns
    ]
    _show(table[cols], f"SMR/HEIDI on {gwas.name}", quiet=quiet)
    if write_back:
        if trait_id is None:
            raise InputError("--write-back needs --trait-id")
        from varkg.causal.writeback import new_run, smr_edges, write_causal_edges
        from varkg.provenance import latest_release

        edges = _edges([smr_edges(r, src=str(name), dst=trait_id or "") for name, r in batch.results.items()])
        with cli_store() as store:
            run = new_run(
                "smr",
                method_version=METHOD_VERSION,
                parameters=dict(p_smr=p_smr, cis_window=cis_window),
                scope=f"{eqtl.name};{gwas.name};{trait_id}",
                release_id=latest_release(store),
                run_id=run_id,
            )
            k = write_causal_edges(store, run, edges, src_type="Gene", dst_type="Phenotype")
        console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")


# ---------------------------------------------------------------------------- coloc
@app.command()
@cli_errors
def coloc(
    trait1: Annotated[Path, typer.Option(help="Trait 1 table: snp + beta, se (or p, eaf/maf, n).")],
    trait2: Annotated[Path, typer.Option(help="Trait 2 table.")],
    locus: Annotated[str | None, typer.Option(help="Column naming loci (in both tables): one test per locus.")] = None,
    kind1: Annotated[str, typer.Option(help="quant or cc.")] = "quant",
    kind2: Annotated[str, typer.Option(help="quant or cc.")] = "quant",
    p1: Annotated[float, typer.Option(help="Prior: a variant is causal for trait 1.")] = 1e-4,
    p2: Annotated[float, typer.Option(help="Prior: a variant is causal for trait 2.")] = 1e-4,
    p12: Annotated[float, typer.Option(help="Prior: a variant is causal for both.")] = 1e-5,
    src_id: Annotated[str | None, typer.Option(help="Node key of trait 1's entity (Gene) for write-back.")] = None,
    dst_id: Annotated[str | None, typer.Option(help="Phenotype key of trait 2 for write-back.")] = None,
    rename: Rename = None,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """coloc.abf: posterior probabilities PP.H0–H4 per locus.

    Example: varkg causal coloc --trait1 eqtl_locus.tsv --trait2 gwas_locus.tsv
    """
    from varkg.causal.batch import coloc_by_locus
    from varkg.causal.coloc import METHOD_VERSION
    from varkg.errors import InputError

    for kind in (kind1, kind2):
        if kind not in ("quant", "cc"):
            raise InputError(f"trait kind must be 'quant' or 'cc' (got {kind!r})")
    a, b = read_table(trait1, rename), read_table(trait2, rename)
    batch = coloc_by_locus(a, b, locus=locus, kind1=kind1, kind2=kind2, p1=p1, p2=p2, p12=p12)
    _show(batch.table, "coloc.abf", quiet=quiet)
    if write_back:
        if src_id is None or dst_id is None or locus is not None:
            raise InputError("--write-back needs --src-id and --dst-id, for a single locus")
        from varkg.causal.writeback import coloc_edges, new_run, write_causal_edges
        from varkg.provenance import latest_release

        with cli_store() as store:
            run = new_run(
                "coloc_abf",
                method_version=METHOD_VERSION,
                parameters=dict(p1=p1, p2=p2, p12=p12),
                scope=f"{trait1.name};{trait2.name};{src_id};{dst_id}",
                release_id=latest_release(store),
                run_id=run_id,
            )
            edges = coloc_edges(batch.results["locus"], src=src_id, dst=dst_id)
            k = write_causal_edges(store, run, edges, src_type="Gene", dst_type="Phenotype")
        console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")


# ---------------------------------------------------------------------------- do
@app.command("do")
@cli_errors
def do_cmd(
    phenotype: Annotated[str, typer.Option(help="Phenotype key (outcome).")],
    data: Annotated[Path, typer.Option(help="Individual-level table, one column per node key (dosages, expression, phenotype).")],
    gene: Annotated[str, typer.Option(help="Gene key G: the effect of do(expression of G) on the phenotype.")],
    variant: Annotated[str | None, typer.Option(help="Variant key: also split its effect into direct and through G.")] = None,
    eqtl_p: Annotated[float, typer.Option(help="EQTL_OF p-value threshold for Variant→Gene arrows.")] = 5e-8,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """Interventional queries on a linear SEM of the causal DAG read from the graph (semopy).

    Example: varkg --store kg.db causal do --phenotype EFO:0004611 --gene ENSG00000101000 --data cohort.tsv
    """
    from varkg.causal.scm import METHOD_VERSION, dag_from_graph, do_effect, fit_sem, mediation

    df = read_table(data)
    with cli_store(read_only=not write_back) as store:
        dag = dag_from_graph(store, phenotypes=[phenotype], eqtl_p=eqtl_p)
        fit = fit_sem(dag, df)
        d = do_effect(fit, treatment=gene, outcome=phenotype)
        _show(
            pd.DataFrame(
                [dict(query=f"do({gene}) → {phenotype}", estimate=d.estimate, se=d.se, ci_low=d.ci_low, ci_high=d.ci_high, p=d.p)]
            ),
            f"linear SEM: {len(fit.nodes)} nodes, {len(fit.dag.edges)} arrows, n={fit.n}",
            quiet=quiet,
        )
        console.print(f"[dim]{d.identification}[/]")
        if variant is not None:
            m = mediation(fit, variant=variant, mediator=gene, outcome=phenotype)
            _show(m.as_frame(), f"{variant} → {phenotype}: direct vs through {gene}", quiet=quiet)
            console.print(f"[dim]{m.identification}[/]")
        if write_back:
            from varkg.causal.writeback import new_run, write_causal_edges
            from varkg.provenance import latest_release

            run = new_run(
                "sem",
                method_version=METHOD_VERSION,
                parameters=dict(eqtl_p=eqtl_p, nodes=fit.nodes),
                scope=f"{data.name};{phenotype};{gene}",
                release_id=latest_release(store),
                run_id=run_id,
            )
            edges = pd.DataFrame([dict(src=gene, dst=phenotype, estimate=d.estimate, se=d.se, pvalue=d.p)])
            k = write_causal_edges(store, run, edges, src_type="Gene", dst_type="Phenotype")
            console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")
