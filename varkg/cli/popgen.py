"""``varkg popgen``: pairwise LD and LD blocks from genotypes (VCF loader artifacts, PLINK 1
``.bed``, MSUPRP-style 0/1/2 TSV). Thin commands over :mod:`varkg.popgen`.

Genotype input (one of): ``--npy`` (the ``*.genotypes.npy`` the VCF loader writes, with
``--panel`` for populations and ``--vcf`` for phase), ``--bfile`` (PLINK prefix) or ``--tsv`` with
``--map`` (and ``--pedigree``/``--covar``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from varkg.cli._common import Bfile, MapOpt, Tsv, cli_errors, cli_store, option_group

if TYPE_CHECKING:
    from varkg.popgen.genotypes import GenotypeMatrix

app = typer.Typer(help="Population genetics: LD (r², D′) and LD blocks (Gabriel / PLINK 1.9 --blocks).", no_args_is_help=True)
console = Console(emoji=False)

Npy = Annotated[Path | None, typer.Option("--npy", help="VCF loader genotype matrix (*.genotypes.npy, sidecars next to it).")]
Pedigree = Annotated[Path | None, typer.Option("--pedigree", help="Pedigree for --tsv: ID Par1 Par2 gener sex.")]
Covar = Annotated[Path | None, typer.Option("--covar", help="Covariates for --tsv with id and sex (M/F).")]
Panel = Annotated[Path | None, typer.Option("--panel", help="Sample panel (sample pop super_pop gender) for --npy.")]
Population = Annotated[str | None, typer.Option("--population", "-p", help="Use only the samples of this population.")]
Assembly = Annotated[
    str | None, typer.Option("--assembly", help="Assembly (needed to write PLINK/TSV results; VCF ids carry it).")
]
Chrom = Annotated[str | None, typer.Option("--chrom", help="Only this chromosome.")]
Limit = Annotated[int | None, typer.Option("--max-variants", help="Only the first N variants (after --chrom), for a quick look.")]


def _genotypes(npy, bfile, tsv, map_file, pedigree, covar, panel, population, assembly, chrom, limit, vcf=None):
    from varkg.errors import InputError
    from varkg.popgen.genotypes import read_msuprp, read_plink, read_vcf_artifacts

    given = [x for x in (npy, bfile, tsv) if x is not None]
    if len(given) != 1:
        raise InputError(f"give exactly one of --npy, --bfile, --tsv (got {len(given)})")
    if npy is not None:
        g = read_vcf_artifacts(npy, panel=panel, vcf=vcf)
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


@dataclass(frozen=True)
class GenotypeSource:
    """The genotype input options of ``popgen ld`` and ``popgen blocks`` (one option block)."""

    npy: Path | None
    bfile: Path | None
    tsv: Path | None
    map_file: Path | None
    pedigree: Path | None
    covar: Path | None
    panel: Path | None
    population: str | None
    assembly: str | None
    chrom: str | None
    max_variants: int | None

    def read(self) -> GenotypeMatrix:
        return _genotypes(
            self.npy,
            self.bfile,
            self.tsv,
            self.map_file,
            self.pedigree,
            self.covar,
            self.panel,
            self.population,
            self.assembly,
            self.chrom,
            self.max_variants,
        )


def _genotype_source(
    *,
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
) -> GenotypeSource:
    return GenotypeSource(
        npy=npy,
        bfile=bfile,
        tsv=tsv,
        map_file=map_file,
        pedigree=pedigree,
        covar=covar,
        panel=panel,
        population=population,
        assembly=assembly,
        chrom=chrom,
        max_variants=max_variants,
    )


@app.command()
@cli_errors
@option_group("source", _genotype_source)
def ld(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output TSV of pairs (i j id_a id_b chrom pos_a pos_b r2 [dprime ...]).")
    ],
    source: GenotypeSource,
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

    g = source.read()
    population = source.population
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
@option_group("source", _genotype_source)
def blocks(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output table, PLINK .blocks.det columns (CHR BP1 BP2 KB NSNPS SNPS).")
    ],
    source: GenotypeSource,
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

    g = source.read()
    population = source.population
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


Vcf = Annotated[Path | None, typer.Option("--vcf", help="The phased, indexed VCF the --npy matrix came from (haplotypes).")]
Png = Annotated[Path | None, typer.Option("--png", help="Also draw a Manhattan-style track (PNG).")]
Write = Annotated[
    bool,
    typer.Option(
        "--write", help="Write SELECTION_SIGNAL edges (Variant -> Population) to the store (varkg --store), with a Dataset node."
    ),
]


def _write_table(table, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, sep="\t", index=False, float_format="%.6g")


@app.command()
@cli_errors
def fst(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Per-variant table (.tsv or .parquet); windows go to {stem}.windows.tsv.")
    ],
    pop1: Annotated[str, typer.Option("--pop1", help="First population (panel label, e.g. FIN).")],
    pop2: Annotated[str, typer.Option("--pop2", help="Second population (e.g. IBS).")],
    npy: Npy = None,
    bfile: Bfile = None,
    tsv: Tsv = None,
    map_file: MapOpt = None,
    panel: Panel = None,
    chrom: Chrom = None,
    max_variants: Limit = None,
    method: Annotated[str, typer.Option(help="hudson or wc (Weir & Cockerham).")] = "hudson",
    window: Annotated[int | None, typer.Option(help="Window size in bp for windowed Fst (ratio of sums).")] = None,
    step: Annotated[int | None, typer.Option(help="Window step in bp (default: the size).")] = None,
    blen: Annotated[int, typer.Option(help="Variants per jackknife block (SE).")] = 100,
    png: Png = None,
    assembly: Assembly = None,
    write: Write = False,
) -> None:
    """Fst between two populations, per variant and windowed, with a block-jackknife SE.

    Example: varkg popgen fst --npy kgp.genotypes.npy --panel panel.txt --pop1 FIN --pop2 IBS
    --window 100000 -o fst.tsv --png fst.png [--write]
    """
    from varkg.popgen.fst import fst as run_fst

    g = _genotypes(npy, bfile, tsv, map_file, None, None, panel, None, None, chrom, max_variants)
    r = run_fst(g, pop1=pop1, pop2=pop2, method=method, window=window, step=step, blen=blen)  # type: ignore[arg-type]
    _write_table(r.per_variant, out)
    if window is not None:
        r.windows.to_csv(out.with_name(f"{out.stem}.windows.tsv"), sep="\t", index=False, float_format="%.6g")
    console.print(
        f"{method} Fst {pop1} vs {pop2}: {r.value:.6f} (jackknife SE {r.se:.6f}, {r.blocks} blocks); "
        f"{r.n_informative:,} variants, {r.n_uninformative:,} monomorphic/uninformative (NaN) -> {out}"
    )
    if png is not None:
        from varkg.popgen.plot import manhattan_track

        manhattan_track(
            r.per_variant, png, value="fst", windows=r.windows if window else None, ylabel=f"{method} Fst {pop1}/{pop2}"
        )
        console.print(f"plot -> {png}")
    if write:
        from varkg.popgen.writeback import write_fst

        with cli_store(init=True) as store:
            rep = write_fst(store, g, r, assembly=assembly)
        _signals_written(rep, f"fst_{method}")


def _signals_written(rep, statistic: str) -> None:
    console.print(
        f"SELECTION_SIGNAL ({statistic}): {rep.edges:,} edges written, {rep.skipped_edges:,} skipped (variants not in "
        f"the graph: load them first, e.g. varkg load vcf / markers); dataset {rep.dataset_id}"
    )
    console.print(
        'next: varkg query "MATCH (v:Variant)-[s:SELECTION_SIGNAL]->(p:Population) '
        f"WHERE s.statistic = '{statistic}' RETURN v.id, p.id, s.versus, s.value, s.std_value ORDER BY s.value DESC LIMIT 20\"",
        markup=False,
    )


@app.command()
@cli_errors
def scan(
    out: Annotated[Path, typer.Option("--out", "-o", help="Per-variant scores (.tsv or .parquet).")],
    stat: Annotated[str, typer.Option("--stat", help="ihs, nsl or xpehh.")],
    npy: Npy = None,
    vcf: Vcf = None,
    panel: Panel = None,
    population: Population = None,
    pop1: Annotated[str | None, typer.Option("--pop1", help="XP-EHH: the population tested for selection.")] = None,
    pop2: Annotated[str | None, typer.Option("--pop2", help="XP-EHH: the reference population.")] = None,
    chrom: Chrom = None,
    max_variants: Limit = None,
    min_ehh: Annotated[float, typer.Option(help="Stop integrating EHH at this value.")] = 0.05,
    min_maf: Annotated[float, typer.Option(help="iHS: NaN below this minor allele frequency.")] = 0.05,
    include_edges: Annotated[bool, typer.Option("--include-edges", help="Keep scores whose EHH reaches the data's end.")] = False,
    gap_scale: Annotated[int, typer.Option(help="Shrink gaps longer than this (bp) to it.")] = 20_000,
    max_gap: Annotated[int, typer.Option(help="NaN when EHH spans a gap longer than this (bp).")] = 200_000,
    n_bins: Annotated[int, typer.Option(help="Allele-frequency bins for standardising iHS/nSL.")] = 20,
    png: Png = None,
    assembly: Assembly = None,
    write: Write = False,
) -> None:
    """iHS, nSL or XP-EHH on phased haplotypes (natural log; standardised scores in std_score).

    Example: varkg popgen scan --stat xpehh --npy kgp.genotypes.npy --vcf kgp.vcf.gz --panel panel.txt
    --pop1 FIN --pop2 IBS -o xpehh.tsv --png xpehh.png [--write]
    """
    from varkg.popgen.selection import scan as run_scan

    g = _genotypes(npy, None, None, None, None, None, panel, None, None, chrom, max_variants, vcf=vcf)
    r = run_scan(
        g,
        stat=stat,  # type: ignore[arg-type]
        population=population,
        pop1=pop1,
        pop2=pop2,
        min_ehh=min_ehh,
        min_maf=min_maf,
        include_edges=include_edges,
        gap_scale=gap_scale,
        max_gap=max_gap,
        n_bins=n_bins,
    )
    _write_table(r.table, out)
    n = int(r.table["score"].notna().sum())
    console.print(
        f"{stat}: {n:,} scored of {len(r.table):,} variants ({r.n_monomorphic:,} monomorphic, "
        f"{r.n_missing:,} left out for missing/unphased haplotypes) -> {out}"
    )
    if png is not None:
        from varkg.popgen.plot import manhattan_track

        manhattan_track(r.table, png, value="std_score", absolute=stat != "xpehh", ylabel=f"standardised {stat}")
        console.print(f"plot -> {png}")
    if write:
        from varkg.popgen.writeback import write_scan

        with cli_store(init=True) as store:
            rep = write_scan(store, g, r, population=population, assembly=assembly)
        _signals_written(rep, stat)
