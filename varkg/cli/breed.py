"""``varkg breed``: mixed-model GWAS, genomic selection and breeding-chip design on MSUPRP-style
0/1/2 TSVs or PLINK 1 ``.bed`` (thin commands over :mod:`varkg.breeding`).

Every command reads genotypes (``--tsv`` with ``--map``, or ``--bfile``), a phenotype table
(``--pheno``: id column then traits) and optionally covariates (``--covar`` with ``id``;
``--covariates sex,slgdt_cd,car_wt`` by default when a covariate file is given).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from varkg.cli._common import Bfile, MapOpt, Tsv, cli_errors, cli_store, option_group

if TYPE_CHECKING:
    from varkg.breeding.data import TraitData
    from varkg.popgen.genotypes import GenotypeMatrix

app = typer.Typer(help="Breeding: LMM GWAS, genomic selection and breeding-chip design.", no_args_is_help=True)
console = Console(emoji=False)

Pheno = Annotated[Path, typer.Option("--pheno", help="Phenotypes: id column, then one column per trait (NA missing).")]
Covar = Annotated[
    Path | None, typer.Option("--covar", help="Covariates with an 'id' column (sex, litter, slgdt_cd, car_wt ...).")
]
Covariates = Annotated[str, typer.Option("--covariates", help="Comma-separated covariate columns (factors dummy coded).")]
Traits = Annotated[str | None, typer.Option("--trait", "-t", help="Comma-separated traits (default: every trait).")]
MinMaf = Annotated[float, typer.Option(help="Drop markers with MAF below this (GEMMA -maf).")]


@dataclass(frozen=True)
class TraitSource:
    """The genotype, phenotype and covariate files a ``breed`` command reads (one option block)."""

    pheno: Path
    tsv: Path | None
    map_file: Path | None
    bfile: Path | None
    covar: Path | None
    covariates: str

    def traits(self, traits: str | None, *, min_maf: float) -> list[TraitData]:
        """One :class:`~varkg.breeding.data.TraitData` per wanted trait (every trait when ``traits`` is empty)."""
        from varkg.breeding.data import read_covariates, read_phenotypes, trait_data

        g = _read_genotypes(tsv=self.tsv, map_file=self.map_file, bfile=self.bfile)
        ph = read_phenotypes(self.pheno)
        cv = read_covariates(self.covar) if self.covar is not None else None
        names = [c for c in self.covariates.split(",") if c] if cv is not None else []
        wanted = [t for t in traits.split(",") if t] if traits else list(ph.columns)
        return [trait_data(g, ph, trait=t, covariates=cv, covariate_names=names, min_maf=min_maf) for t in wanted]


def _read_genotypes(*, tsv: Path | None, map_file: Path | None, bfile: Path | None) -> GenotypeMatrix:
    """The genotypes of ``--tsv`` (with ``--map``) or ``--bfile`` (exactly one)."""
    from varkg.errors import InputError
    from varkg.popgen.genotypes import read_msuprp, read_plink

    if bfile is not None and tsv is None:
        return read_plink(bfile)
    if tsv is not None and bfile is None:
        if map_file is None:
            raise InputError("--tsv needs --map (snp, chr, pos)")
        return read_msuprp(tsv, map_file)
    raise InputError("give exactly one of --tsv (with --map) or --bfile")


def _trait_source(
    *,
    pheno: Pheno,
    tsv: Tsv = None,
    map_file: MapOpt = None,
    bfile: Bfile = None,
    covar: Covar = None,
    covariates: Covariates = "sex,slgdt_cd,car_wt",
) -> TraitSource:
    return TraitSource(pheno=pheno, tsv=tsv, map_file=map_file, bfile=bfile, covar=covar, covariates=covariates)


@app.command()
@cli_errors
@option_group("source", _trait_source)
def gwas(
    source: TraitSource,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: {trait}.gwas.parquet, .manhattan.png, .qq.png.")],
    trait: Traits = None,
    min_maf: MinMaf = 0.01,
    emmax: Annotated[
        bool, typer.Option("--emmax", help="Fix lambda at the null model's REML (default: per marker, as gemma -lmm 1).")
    ] = False,
    write: Annotated[bool, typer.Option("--write", help="ASSOCIATED_WITH edges (p < --p-threshold) into the store.")] = False,
    p_threshold: Annotated[float, typer.Option(help="Edges for markers with p below this.")] = 1e-4,
    assembly: Annotated[
        str | None,
        typer.Option(
            help="Assembly of the map positions (e.g. Sscrofa11.1): links array markers without alleles to the Variants "
            "`varkg load markers` wrote."
        ),
    ] = None,
) -> None:
    """LMM GWAS (VanRaden GRM, REML, Wald test per marker) with Manhattan and QQ plots.

    Example: varkg breed gwas --tsv geno.tsv.gz --map map.tsv --pheno pheno.tsv --covar covar.tsv -t ph_24h -o gwas/
    """
    from varkg.breeding.gwas import manhattan_qq, run_gwas, write_gwas, write_parquet

    for td in source.traits(trait, min_maf=min_maf):
        console.print(
            f"{td.trait}: {td.n} animals, covariates {td.covariate_names[1:]}; {td.qc.summary()}; left out {td.dropped_animals}"
        )
        res = run_gwas(td, per_marker=not emmax, progress=True)
        pq = write_parquet(res, out / f"{td.trait}.gwas.parquet")
        man, qq = manhattan_qq(res, out / td.trait)
        top = res.table.nsmallest(1, "pvalue").iloc[0]
        console.print(
            f"  REML vg={res.null.vg:.6g} ve={res.null.ve:.6g} pve={res.null.pve:.4f}; lambda_GC={res.inflation:.3f}; "
            f"top {top['rsid']} p={top['pvalue']:.3g} -> {pq}, {man.name}, {qq.name}"
        )
        if write:
            with cli_store(init=True) as store:
                rep = write_gwas(store, res, p_threshold=p_threshold, assembly=assembly)
            console.print(
                f"  ASSOCIATED_WITH: {rep['edges']} edges, {rep['skipped']} skipped (markers not in the graph); "
                f"dataset {res.run_id}"
            )


@app.command()
@cli_errors
@option_group("source", _trait_source)
def gs(
    source: TraitSource,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: cv.csv, cv_summary.csv, gebv.csv (convergence.csv).")],
    trait: Traits = None,
    min_maf: MinMaf = 0.01,
    models: Annotated[str, typer.Option(help="Comma-separated: gblup, bayescpi, gblup_top, gblup_mix.")] = "gblup,bayescpi",
    folds: Annotated[int, typer.Option(help="k of k-fold CV.")] = 5,
    repeats: Annotated[int, typer.Option(help="CV repeats (seeds).")] = 3,
    seed: Annotated[int, typer.Option(help="First seed.")] = 0,
    bayes_iterations: Annotated[int, typer.Option(help="BayesCπ Gibbs iterations per chain.")] = 12000,
    bayes_burn_in: Annotated[int, typer.Option(help="BayesCπ burn-in iterations.")] = 2000,
    convergence: Annotated[
        bool, typer.Option(help="Also 4 BayesCπ chains (over-dispersed starts): split R-hat, bulk ESS -> convergence.csv.")
    ] = False,
) -> None:
    """Genomic selection: repeated k-fold CV accuracy per trait and model, GEBVs of every animal (GBLUP).

    Example: varkg breed gs --tsv geno.tsv.gz --map map.tsv --pheno pheno.tsv --covar covar.tsv -o gs/
    """
    import pandas as pd

    from varkg.breeding.gs import bayes_convergence, cross_validate, gebv_table, summarise

    cvs, gebvs, convs = [], [], []
    for td in source.traits(trait, min_maf=min_maf):
        if convergence:
            rep = bayes_convergence(td, iterations=bayes_iterations, burn_in=bayes_burn_in, seed=seed)
            convs.append(rep.table)
            console.print(rep.table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
            console.print(f"{td.trait}: {rep.verdict}; min GEBV correlation between chains {rep.gebv_cor:.3f}")
        cvs.append(
            cross_validate(
                td,
                models=[m for m in models.split(",") if m],
                folds=folds,
                repeats=repeats,
                seed=seed,
                bayes_iterations=bayes_iterations,
                bayes_burn_in=bayes_burn_in,
                progress=True,
            )
        )
        gebvs.append(gebv_table(td))
    out.mkdir(parents=True, exist_ok=True)
    if convs:
        pd.concat(convs).to_csv(out / "convergence.csv", index=False)
    cv = pd.concat(cvs)
    cv.to_csv(out / "cv.csv", index=False)
    s = summarise(cv)
    s.to_csv(out / "cv_summary.csv", index=False)
    pd.concat(gebvs).to_csv(out / "gebv.csv", index=False)
    console.print(s.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    console.print(f"-> {out / 'cv.csv'}, {out / 'cv_summary.csv'}, {out / 'gebv.csv'}")


@app.command()
@cli_errors
@option_group("source", _trait_source)
def chip(
    source: TraitSource,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: manifest_{N}.csv, panel_curve.csv/.png.")],
    trait: Annotated[str, typer.Option("--trait", "-t", help="The trait whose GWAS scores pick candidates.")] = "",
    sizes: Annotated[str, typer.Option(help="Comma-separated panel sizes.")] = "500,1000,2000,5000",
    scores: Annotated[
        Path | None,
        typer.Option(help="Optional marker score table (marker, score; higher = more causal: PIP, GPN x LD, -log10 p)."),
    ] = None,
    gwas_parquet: Annotated[Path | None, typer.Option(help="A `breed gwas` Parquet whose -log10 p scores the markers.")] = None,
    repeats: Annotated[int, typer.Option(help="CV repeats for the panel curve (0: manifests only).")] = 2,
    min_maf: Annotated[float, typer.Option(help="Panel MAF filter.")] = 0.05,
    min_spacing_kb: Annotated[float, typer.Option(help="Minimum spacing of tags and backbone markers, kb.")] = 10.0,
    candidate_share: Annotated[float, typer.Option(help="Share of N for top-scoring candidates (needs scores).")] = 0.2,
    tag_share: Annotated[float, typer.Option(help="Share of N for greedy LD tag SNPs (0: none).")] = 0.3,
    tag_r2: Annotated[float, typer.Option(help="r² at which a marker tags another (PLINK --tag-r2).")] = 0.8,
    tag_kb: Annotated[float, typer.Option(help="Tagging window, kb (PLINK --tag-kb).")] = 250.0,
) -> None:
    """Breeding-chip panels of N markers (top-scoring candidates + greedy LD tag SNPs + evenly spaced
    backbone): manifests with the reason each marker was chosen, their LD coverage, and the GS accuracy
    they keep vs random and evenly spaced panels of the same size.

    Example: varkg breed chip --tsv geno.tsv.gz --map map.tsv --pheno pheno.tsv --covar covar.tsv -t ph_24h -o chip/
    """
    import numpy as np
    import pandas as pd

    from varkg.breeding.chip import design_panel, panel_curve, plot_panel_curve
    from varkg.breeding.tagging import ld_coverage, tag_neighbours
    from varkg.errors import InputError

    if not trait:
        raise InputError("--trait is required (the trait of the panel's candidate scores and curve)")
    td = source.traits(trait, min_maf=0.01)[0]
    sc = None
    if scores is not None or gwas_parquet is not None:
        if scores is not None:
            t = pd.read_csv(scores, sep=None, engine="python")
            if not {"marker", "score"} <= set(t.columns):
                raise InputError(f"score table needs columns marker, score (got {list(t.columns)})", path=scores, line=1)
            m = dict(zip(t["marker"].astype(str), t["score"].astype(float), strict=True))
        else:
            t = pd.read_parquet(gwas_parquet)
            m = dict(zip(t["rsid"].astype(str), t["neg_log10_p"].astype(float), strict=True))
        sc = np.array([m.get(n, np.nan) for n in td.variants["name"].astype(str)])
    else:
        console.print(
            "no --scores or --gwas-parquet: the manifests have tag and backbone markers only "
            "(the panel curve still picks candidates from each training fold's own GWAS)"
        )
    out.mkdir(parents=True, exist_ok=True)
    ns = [int(x) for x in sizes.split(",") if x]
    window_bp = int(tag_kb * 1000)
    spacing_bp = int(min_spacing_kb * 1000)
    chrom, pos = td.variants["chrom"].astype(str).to_numpy(), td.variants["pos"].to_numpy()
    console.print(f"{td.X.shape[1]:,} markers x {td.n} animals; tagging at r² >= {tag_r2} within {tag_kb:g} kb")
    neigh = tag_neighbours(td.X, chrom=chrom, pos=pos, r2=tag_r2, window_bp=window_bp)
    maf = np.minimum(td.freq, 1 - td.freq)
    for n in ns:
        man = design_panel(
            td.variants,
            td.X,
            n=n,
            scores=sc,
            min_maf=min_maf,
            min_spacing_bp=spacing_bp,
            candidate_share=candidate_share,
            tag_share=tag_share,
            tag_r2=tag_r2,
            tag_window_bp=window_bp,
            neighbours=neigh,
        )
        man.drop(columns="index").to_csv(out / f"manifest_{n}.csv", index=False)
        cov = ld_coverage(
            td.X,
            chrom=chrom,
            pos=pos,
            panel=man["index"].to_numpy(),
            eligible=maf >= min_maf,
            r2=tag_r2,
            window_bp=window_bp,
        )
        console.print(
            f"panel {n}: {man['reason'].value_counts().to_dict()}; tags {cov.fraction:.1%} of the MAF-passing "
            f"markers (mean max r² {cov.mean_r2:.3f}) -> {out / f'manifest_{n}.csv'}"
        )
    if repeats > 0:
        curve = panel_curve(
            td,
            sizes=ns,
            repeats=repeats,
            min_maf=min_maf,
            min_spacing_bp=spacing_bp,
            candidate_share=candidate_share,
            tag_share=tag_share,
            tag_r2=tag_r2,
            tag_window_bp=window_bp,
            progress=True,
        )
        curve.to_csv(out / "panel_curve.csv", index=False)
        plot_panel_curve(curve, out / "panel_curve.png")
        console.print(curve.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
        console.print(f"curve -> {out / 'panel_curve.csv'}, plot -> {out / 'panel_curve.png'}")
    else:
        console.print("next: --repeats 2 (or more) adds the GS accuracy curve vs random and evenly spaced panels")


@app.command()
@cli_errors
def prioritise(
    gwas_parquet: Annotated[Path, typer.Option("--gwas", help="A `breed gwas` Parquet (variant_id, pvalue, trait).")],
    llr: Annotated[Path, typer.Option("--llr", help="LM score table: id or variant_id, llr (the `varkg lm score --out` TSV).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder: gpnld.tsv, gpnld_scores.tsv, gpnld_blocks.png.")],
    tsv: Tsv = None,
    map_file: MapOpt = None,
    bfile: Bfile = None,
    chrom: Annotated[str | None, typer.Option(help="Only this chromosome (blocks and ranks).")] = None,
    p_threshold: Annotated[float, typer.Option(help="A block is a hit when its lead has p below this.")] = 5e-8,
    q: Annotated[float, typer.Option(help="Enrichment: the lowest-q LLR tail vs GWAS hits (p < --p-threshold).")] = 0.1,
    permutations: Annotated[int, typer.Option(help="Enrichment permutations (0: skip the test).")] = 1000,
    seed: Annotated[int, typer.Option(help="Permutation seed.")] = 0,
    write: Annotated[
        bool, typer.Option("--write", help="gpnld_score/rank/block on Variant nodes + a PredictionRun (re-run replaces).")
    ] = False,
    assembly: Annotated[str | None, typer.Option(help="Assembly of the positions (graph keys of allele-less markers).")] = None,
) -> None:
    """GPN x LD: rank the variants of every Gabriel LD block whose lead has GWAS p < --p-threshold by
    score = |LLR| x r²(variant, lead), and test GWAS enrichment of low-LLR variants.

    Members without an LLR are kept in gpnld.tsv (has_llr False, no rank) and counted.
    gpnld_scores.tsv (marker, score) feeds `varkg breed chip --scores`.

    Example: varkg breed prioritise --tsv geno.tsv.gz --map map.tsv --gwas gwas/ph_24h.gwas.parquet --llr llr.tsv -o gpnld/
    """
    import pandas as pd

    from varkg.breeding.prioritise import llr_enrichment, plot_block_ranks, prioritise_blocks, read_llr_table
    from varkg.errors import InputError
    from varkg.popgen.blocks import gabriel_blocks

    g = _read_genotypes(tsv=tsv, map_file=map_file, bfile=bfile)
    if chrom is not None:
        spans = {c: (a, b) for c, a, b in g.chromosomes()}
        if chrom not in spans:
            raise InputError(f"chromosome {chrom!r} not in the genotypes (have {list(spans)[:5]} ...)", field="--chrom")
        g = g.slice_variants(*spans[chrom])
    if not gwas_parquet.exists():
        raise InputError("file does not exist", path=gwas_parquet)
    gw = pd.read_parquet(gwas_parquet)
    if chrom is not None and "chrom" in gw.columns:
        gw = gw[gw["chrom"].astype(str) == chrom]
    scores = read_llr_table(llr)
    known = set(g.variants["id"].astype(str))
    if chrom is not None:
        scores = scores[scores["variant_id"].isin(known)]
    blocks = gabriel_blocks(g)
    res = prioritise_blocks(
        geno=g, blocks=blocks, gwas=gw, llr=scores, p_threshold=p_threshold, gwas_path=gwas_parquet, llr_path=llr
    )
    console.print(res.summary())
    out.mkdir(parents=True, exist_ok=True)
    res.table.to_csv(out / "gpnld.tsv", sep="\t", index=False)
    names = dict(zip(g.variants["id"].astype(str), g.variants.get("name", g.variants["id"]).astype(str), strict=True))
    ranked = res.table[res.table["has_llr"].astype(bool)]
    pd.DataFrame({"marker": ranked["variant_id"].map(names), "score": ranked["score"]}).to_csv(
        out / "gpnld_scores.tsv", sep="\t", index=False
    )
    png = plot_block_ranks(res, out / "gpnld_blocks.png")
    if permutations > 0:
        hits = gw.loc[pd.to_numeric(gw["pvalue"], errors="coerce") < p_threshold, "variant_id"].astype(str)
        if len(hits):
            enr = llr_enrichment(
                llr=scores.set_index("variant_id")["llr"], associated=set(hits), q=q, permutations=permutations, seed=seed
            )
            console.print(f"enrichment: {enr.summary()}")
        else:
            console.print(f"enrichment: skipped, no GWAS p < {p_threshold:g}")
    if write:
        from varkg.breeding.prioritise import write_priorities
        from varkg.popgen.writeback import graph_variant_keys

        asm = assembly or g.assembly or "unknown"
        trait = str(gw["trait"].iloc[0]) if "trait" in gw.columns and len(gw) else gwas_parquet.stem
        with cli_store(init=True) as store:
            rid, n, absent = write_priorities(
                store, res, keys=graph_variant_keys(g, asm), trait=trait, llr_source=str(llr), gwas_source=str(gwas_parquet)
            )
        console.print(f"wrote gpnld_* on {n} Variants ({absent} ranked variants not in the graph); PredictionRun {rid}")
    console.print(f"-> {out / 'gpnld.tsv'}, {png}")
    console.print(
        f"next: varkg breed chip ... --scores {out / 'gpnld_scores.tsv'} (candidates by GPN x LD score), "
        "or inspect the top ranks per block in gpnld.tsv"
    )
