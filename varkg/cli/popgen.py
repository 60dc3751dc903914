"""``varkg popgen``: pairwise LD and LD blocks from genotypes (VCF loader artifacts, PLINK 1
``.bed``, MSUPRP-style 0/1/2 TSV). Thin commands over :mod:`varkg.popgen`.

Genotype input (one of): ``--npy`` (the ``*.genotypes.npy`` the VCF loader writes, with
``--panel`` for populations and ``--vcf`` for phase), ``--bfile`` (PLINK prefix) or ``--tsv`` with
``--map`` (and ``--pedigree``/``--covar``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from varkg.cli._common import cli_errors, cli_store

app = typer.Typer(help="Population genetics: LD (r², D′) and LD blocks (Gabriel / PLINK 1.9 --blocks).", no_args_is_help=True)
console = Console(emoji=False)

Npy = Annotated[Path | None, typer.Option("--npy", help="VCF loader genotype matrix (*.genotypes.npy, sidecars next to it).")]
Bfile = Annotated[Path | None, typer.Option("--bfile", help="PLINK 1 prefix (.bed/.bim/.fam).")]
Tsv = Annotated[Path | None, typer.Option("--tsv", help="MSUPRP-style 0/1/2 TSV (animal x markers); needs --map.")]
MapOpt = Annotated[Path | None, typer.Option("--map", help="Marker map for --tsv: snp, chr, pos (1-based).")]
Pedigree = Annotated[Path | None, typer.Option("--pedigree", help="Pedigree for --tsv: ID Par1 Par2 gener sex.")]
Covar = Annotated[Path | None, typer.Option("--covar", help="Covariates for --tsv with id and sex (M/F).")]
Panel = Annotated[Path | None, typer.Option("--panel", help="Sample panel (sample pop super_pop gender) for --npy.")]
Population = Annotated[str | None, typer.Option("--population", "-p", help="Use only the samples of this population.")]
Assembly = Annotated[
    str | None, typer.Option("--assembly", help="Assembly (needed to write PLINK/TSV results; VCF ids carry it).")
]
Chrom = Annotated[str | None, typer.Option("--chrom", help="Only this chromosome.")]
Limit = Annotated[int | None, typer.Option("--max-variants", help="Only the first N variants (after --chrom), for a quick look.")]


def _genotypes(npy, bfile, tsv, map_file, pedigree, covar, panel, population, assembly, chrom, limit):
    from varkg.errors import InputError
    from varkg.popgen.genotypes import read_msuprp, read_plink, read_vcf_artifacts

    given = [x for x in (npy, bfile, tsv) if x is not None]
    if len(given) != 1:
        raise InputError(f"give exactly one of --npy, --bfile, --tsv (got {len(given)})")
    if npy is not None:
        g = read_vcf_artifacts(npy, panel=panel)
    elif bfile is not None:
        g = read_plink(bfile, assembly=assembly)
    else:
        if map_file is None:
            raise InputError("--tsv needs --map (snp, chr, pos)")
        g = read_msuprp(tsv, map_file, pedigree=pedigree, covariates=covar, assembly=assembly)
    if assembly and not g.assembly:
        g.assembly = assembly
    if chrom is not None:
        spans = {c: (a, b) for c, a, b in g.chromosomes()}
        if chrom not in spans:
            raise InputError(f"chromosome {chrom!r} is not in the genotypes (have {list(spans)})")
        g = g.slice_variants(*spans[chrom])
    if limit is not None:
        g = g.slice_variants(0, min(limit, g.n_variants))
    if population is not None:
        g = g.select_samples(population=population)
    return g


@app.command()
@cli_errors
def ld(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output TSV of pairs (i j id_a id_b chrom pos_a pos_b r2 [dprime ...]).")
    ],
    npy: Npy = None,
    bfile: Bfile = None,
    tsv: Tsv = None,
    map_file: MapOpt = None,
    pedigree: Pedigree = None,
    covar: Covar = None,
    panel: Panel = None,
    population: Population = None,
    assembly: Assembly = None,
    chrom: Chrom = None,
    max_variants: Limit = None,
    window_kb: Annotated[float, typer.Option(help="Largest pair distance, kb (PLINK --ld-window-kb).")] = 1000.0,
    window_variants: Annotated[int | None, typer.Option(help="Largest index distance j - i (PLINK --ld-window minus 1).")] = None,
    r2_min: Annotated[float, typer.Option(help="Report pairs with r² >= this (PLINK --ld-window-r2).")] = 0.2,
    dprime: Annotated[bool, typer.Option("--dprime", help="Add D′ and haplotype r² (PLINK --r2 dprime).")] = False,
    ci: Annotated[bool, typer.Option("--ci", help="Add the 90% D′ interval (Haploview; dprime_low, dprime_high).")] = False,
    write: Annotated[
        bool, typer.Option("--write", help="Write LD_WITH edges to the store (varkg --store), with a Dataset node.")
    ] = False,
) -> None:
    """Pairwise r² (and D′ with its interval) in windows, per chromosome.

    Example: varkg popgen ld --bfile data/kgp --window-kb 200 --r2-min 0.8 --dprime --ci -o ld.tsv
    """
    from varkg.popgen.ld import LdWindow, ld_pairs

    g = _genotypes(npy, bfile, tsv, map_file, pedigree, covar, panel, population, assembly, chrom, max_variants)
    pairs = ld_pairs(g, window=LdWindow(kb=window_kb, variants=window_variants, r2_min=r2_min), dprime=dprime, ci=ci)
    out.parent.mkdir(parents=True, exist_ok=True)
    pairs.to_csv(out, sep="\t", index=False, float_format="%.6g")
    console.print(f"{len(pairs):,} pairs of {g.n_variants:,} variants x {g.n_samples} samples -> {out}")
    if write:
        from varkg.popgen.writeback import write_ld_edges

        with cli_store(init=True) as store:
            rep = write_ld_edges(store, g, pairs, r2_min=r2_min, window_kb=window_kb, population=population)
        console.print(
            f"LD_WITH: {rep.edges:,} edges written, {rep.skipped_edges:,} skipped (variants not in the graph); "
            f"dataset {rep.dataset_id}"
        )


@app.command()
@cli_errors
def blocks(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output table, PLINK .blocks.det columns (CHR BP1 BP2 KB NSNPS SNPS).")
    ],
    npy: Npy = None,
    bfile: Bfile = None,
    tsv: Tsv = None,
    map_file: MapOpt = None,
    pedigree: Pedigree = None,
    covar: Covar = None,
    panel: Panel = None,
    population: Population = None,
    assembly: Assembly = None,
    chrom: Chrom = None,
    max_variants: Limit = None,
    max_kb: Annotated[float, typer.Option(help="Largest block span, kb (PLINK --blocks-max-kb).")] = 200.0,
    min_maf: Annotated[float, typer.Option(help="Ignore variants with MAF below this (PLINK --blocks-min-maf).")] = 0.05,
    inform_frac: Annotated[float, typer.Option(help="Strong share of informative pairs (PLINK --blocks-inform-frac).")] = 0.95,
    heatmap: Annotated[
        Path | None, typer.Option(help="Also draw an r² heatmap PNG with the blocks outlined (first --heatmap-variants).")
    ] = None,
    heatmap_variants: Annotated[int, typer.Option(help="Variants shown in the heatmap (from the first).")] = 300,
    write: Annotated[
        bool, typer.Option("--write", help="Write LDBlock nodes and IN_BLOCK edges to the store, with a Dataset node.")
    ] = False,
) -> None:
    """LD blocks by Gabriel et al. (2002) with PLINK 1.9 --blocks rules (D′ CI 0.70/0.98, 200 kb, MAF >= 0.05).

    Example: varkg --store g.db popgen blocks --npy artifacts/kgp.genotypes.npy --panel panel.txt -p GBR -o blocks.tsv --write
    """
    from varkg.popgen.blocks import BlockParams, blocks_table, gabriel_blocks

    g = _genotypes(npy, bfile, tsv, map_file, pedigree, covar, panel, population, assembly, chrom, max_variants)
    params = BlockParams(max_kb=max_kb, min_maf=min_maf, inform_frac=inform_frac)
    found = gabriel_blocks(g, params=params)
    out.parent.mkdir(parents=True, exist_ok=True)
    blocks_table(found).to_csv(out, sep="\t", index=False)
    console.print(f"{len(found):,} blocks in {g.n_variants:,} variants x {g.n_samples} samples -> {out}")
    if heatmap is not None:
        from varkg.popgen.plot import ld_heatmap

        first = g.chromosomes()[0]
        ld_heatmap(g, heatmap, blocks=found, start=first[1], stop=min(first[2], first[1] + heatmap_variants))
        console.print(f"heatmap -> {heatmap}")
    if write:
        from varkg.popgen.writeback import write_blocks

        with cli_store(init=True) as store:
            rep = write_blocks(store, g, found, params=params, population=population)
        console.print(
            f"LDBlock: {rep.nodes:,} nodes, IN_BLOCK: {rep.edges:,} edges ({rep.skipped_edges:,} skipped: "
            f"variants not in the graph); dataset {rep.dataset_id}"
        )
