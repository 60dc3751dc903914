"""``varkg causal``: Mendelian randomisation, SMR/HEIDI, coloc, fine-mapping and do-queries.

Thin commands: read tables, call :mod:`varkg.causal`, print tidy tables (rich), optionally write
``CAUSAL_FOR`` edges / fine-mapping properties back to the store chosen by ``varkg --store``.

Summary-statistics tables are TSV (``.tsv``/``.tsv.gz``/``.txt``), CSV or Parquet with the columns
of :mod:`varkg.causal.harmonise` (``snp, effect_allele, other_allele, beta, se`` [+ ``p, eaf, n,
chrom, pos``]); ``--rename old=new`` maps other names (``--rename pvalue=p``). Genotype matrices
are ``.npy`` (samples × variants, as the loaders write) or headerless numeric TSV.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Causal inference: mr, smr, coloc, finemap, do.", no_args_is_help=True)
console = Console(emoji=False)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print less (no tables).")]
Rename = Annotated[Optional[list[str]], typer.Option("--rename", help="Rename a column: old=new (repeatable).")]
WriteBack = Annotated[bool, typer.Option("--write-back", help="Write CAUSAL_FOR edges to the store (varkg --store).")]
RunId = Annotated[Optional[str], typer.Option(help="Run id (default: a hash of method, parameters and inputs; re-runs replace).")]


# ---------------------------------------------------------------------------- helpers
def _guard(fn: Any) -> Any:
    from varkg.errors import VarkgError

    try:
        return fn()
    except VarkgError as exc:
        Console(stderr=True, emoji=False, soft_wrap=True, highlight=False).print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _read_table(path: Path, rename: list[str] | None = None) -> pd.DataFrame:
    from varkg.errors import InputError

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
            continue  # this table already uses the wanted name
        if old not in df.columns:
            raise InputError(f"cannot rename {old!r}: no such column (have {list(df.columns)})", path=path, field=old)
        df = df.rename(columns={old: new})
    return df


def _read_matrix(path: Path) -> np.ndarray:
    """A headerless numeric matrix (TSV, optionally gzipped) or a ``.npy`` array."""
    from varkg.errors import InputError

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


def _read_variant_ids(path: Path) -> tuple[list[str], list[str] | None]:
    """Variant ids of genotype columns: one id per line, or a table with ``snp`` (and ``alt``)."""
    lines = path.read_text().splitlines()
    if lines and "\t" in lines[0] and "snp" in lines[0].split("\t"):
        t = pd.read_csv(path, sep="\t")
        return t["snp"].astype(str).tolist(), (t["alt"].astype(str).tolist() if "alt" in t.columns else None)
    return [ln.strip() for ln in lines if ln.strip()], None


def _show(df: pd.DataFrame, title: str, *, quiet: bool) -> None:
    if quiet:
        return
    t = Table(title=title, show_lines=False)
    for c in df.columns:
        t.add_column(str(c), justify="right" if pd.api.types.is_numeric_dtype(df[c]) else "left")
    for row in df.itertuples(index=False):
        t.add_row(*[(f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)) for v in row])
    console.print(t)


def _store_and_release() -> tuple[Any, str | None]:
    from varkg.causal.writeback import current_release
    from varkg.cli.main import open_cli_store

    store = open_cli_store()
    return store, current_release(store)


# ---------------------------------------------------------------------------- finemap
@app.command()
def finemap(
    out: Annotated[Path, typer.Option(help="Output TSV: variant, pip, credible_set (one row per variant, input order).")],
    genotypes: Annotated[Optional[Path], typer.Option(help="Genotypes: headerless samples × variants matrix (TSV[.gz]) or .npy.")] = None,
    phenotypes: Annotated[Optional[Path], typer.Option(help="Phenotypes: headerless samples × traits matrix (TSV[.gz]).")] = None,
    column: Annotated[int, typer.Option(help="1-based phenotype column.")] = 1,
    sumstats: Annotated[Optional[Path], typer.Option(help="SuSiE-RSS: table with beta and se (or z), one row per LD column.")] = None,
    ld: Annotated[Optional[Path], typer.Option(help="SuSiE-RSS: headerless LD correlation matrix (TSV[.gz] or .npy).")] = None,
    n: Annotated[Optional[int], typer.Option(help="SuSiE-RSS: GWAS sample size.")] = None,
    L: Annotated[int, typer.Option("--L", help="Maximum number of causal effects.")] = 10,
    coverage: Annotated[float, typer.Option(help="Credible-set coverage.")] = 0.95,
    min_abs_corr: Annotated[float, typer.Option(help="Credible-set purity threshold.")] = 0.5,
    variant_ids: Annotated[Optional[Path], typer.Option(help="Variant keys of the columns, one per line (else 1-based indices).")] = None,
    write_back: Annotated[bool, typer.Option("--write-back", help="Write pip/credible_set to Variant nodes (needs --variant-ids, --trait).")] = False,
    trait: Annotated[Optional[str], typer.Option(help="Trait fine-mapped (for write-back).")] = None,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """Fine-map with SuSiE (individual data) or SuSiE-RSS (summary statistics + LD).

    Writes OUT (variant, pip, credible_set) and OUT with suffix .cs.tsv (one row per credible set).

    Example: varkg causal finemap --genotypes N3_X.tsv.gz --phenotypes N3_Y.tsv.gz --column 1 --out pips.tsv
    """
    from varkg.causal.susie import METHOD_VERSION, susie, susie_rss
    from varkg.errors import InputError

    def go() -> None:
        if genotypes is not None and phenotypes is not None:
            X = _read_matrix(genotypes)
            Y = _read_matrix(phenotypes)
            if Y.ndim == 1:
                Y = Y[:, None]
            if not 1 <= column <= Y.shape[1]:
                raise InputError(f"--column {column} is out of range: the file has {Y.shape[1]} column(s) (1-based)", path=phenotypes)
            with console.status("SuSiE (IBSS)...", spinner="dots") if not quiet else _null():
                fit = susie(X, Y[:, column - 1], L=L, coverage=coverage, min_abs_corr=min_abs_corr)
        elif sumstats is not None and ld is not None and n is not None:
            ss = _read_table(sumstats)
            R = _read_matrix(ld)
            if "z" in ss.columns:
                fit = susie_rss(z=ss["z"].to_numpy(float), R=R, n=n, L=L, coverage=coverage, min_abs_corr=min_abs_corr)
            else:
                fit = susie_rss(bhat=ss["beta"].to_numpy(float), shat=ss["se"].to_numpy(float), R=R, n=n, L=L, coverage=coverage, min_abs_corr=min_abs_corr)
        else:
            raise InputError("give --genotypes and --phenotypes, or --sumstats, --ld and --n")
        p = fit.pip.shape[0]
        ids = _read_variant_ids(variant_ids)[0] if variant_ids is not None else [str(j + 1) for j in range(p)]
        if len(ids) != p:
            raise InputError(f"{len(ids)} variant ids for {p} variants", path=variant_ids)
        member = fit.cs_membership()
        res = pd.DataFrame(dict(variant=ids, pip=fit.pip, credible_set=[m or "" for m in member]))
        res.to_csv(out, sep="\t", index=False, float_format="%.6g")
        cs = pd.DataFrame(
            [dict(credible_set=c.name, size=len(c.variants), coverage=c.coverage, min_abs_corr=c.min_abs_corr,
                  mean_abs_corr=c.mean_abs_corr, variants=",".join(ids[j] for j in c.variants)) for c in fit.credible_sets],
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

            store, release = _store_and_release()
            try:
                run = new_run("susie", method_version=METHOD_VERSION, parameters=fit.params, scope=f"{trait};{(genotypes or sumstats)}",
                              release_id=release, run_id=run_id)
                k = write_finemap(store, run, variant_ids=ids, pip=fit.pip, credible_set=member, trait=trait)
                console.print(f"wrote fine-mapping of {k} Variant node(s) (run {run.id})")
            finally:
                store.close()

    _guard(go)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


# ---------------------------------------------------------------------------- mr
def _mr_plot(h: pd.DataFrame, res: list[Any], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bx, by = h["beta_exposure"].to_numpy(float), h["beta_outcome"].to_numpy(float)
    sx, sy = h["se_exposure"].to_numpy(float), h["se_outcome"].to_numpy(float)
    s = np.where(bx < 0, -1.0, 1.0)
    bx, by = bx * s, by * s
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, max(4.0, 0.25 * (len(h) + len(res)) + 1.5)))
    a1.errorbar(bx, by, xerr=1.96 * sx, yerr=1.96 * sy, fmt="o", ms=4, color="0.3", elinewidth=0.8)
    xs = np.linspace(0, bx.max() * 1.05, 10)
    for r in res:
        icpt = r.intercept if np.isfinite(r.intercept) else 0.0
        a1.plot(xs, icpt + r.estimate * xs, label=f"{r.method} {r.estimate:.3g}")
    a1.axhline(0, color="0.8", lw=0.8)
    a1.set_xlabel("SNP effect on exposure")
    a1.set_ylabel("SNP effect on outcome")
    a1.legend(fontsize=8)
    a1.set_title("scatter")
    ratio, se_r = by / bx, sy / np.abs(bx)
    labels = [*h["snp"].astype(str).tolist(), *[r.method for r in res]]
    est = np.r_[ratio, [r.estimate for r in res]]
    lo = np.r_[ratio - 1.96 * se_r, [r.ci_low for r in res]]
    hi = np.r_[ratio + 1.96 * se_r, [r.ci_high for r in res]]
    yy = np.arange(len(labels))[::-1]
    colors = ["0.4"] * len(h) + ["C3"] * len(res)
    for y_, e, l_, u, c in zip(yy, est, lo, hi, colors):
        a2.plot([l_, u], [y_, y_], color=c)
        a2.plot([e], [y_], "s", color=c, ms=4)
    a2.axvline(0, color="0.8", lw=0.8)
    a2.set_yticks(yy, labels, fontsize=7)
    a2.set_xlabel("causal estimate (95% CI)")
    a2.set_title("forest")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@app.command()
def mr(
    exposure: Annotated[Path, typer.Option(help="Exposure summary statistics (eQTL table of a gene, or a trait GWAS).")],
    outcome: Annotated[Path, typer.Option(help="Outcome GWAS summary statistics.")],
    by: Annotated[Optional[str], typer.Option(help="Exposure column naming exposures (e.g. gene_id): one MR per value.")] = None,
    p_threshold: Annotated[float, typer.Option(help="Instrument p-value threshold on the exposure.")] = 5e-8,
    genotypes: Annotated[Optional[Path], typer.Option(help="LD reference genotypes (.npy samples × variants) for clumping.")] = None,
    variant_ids: Annotated[Optional[Path], typer.Option(help="snp id of each genotype column (one per line).")] = None,
    clump_r2: Annotated[float, typer.Option(help="Clumping r² threshold.")] = 0.001,
    drop_mismatched: Annotated[bool, typer.Option("--drop-mismatched", help="Drop variants whose alleles match on neither strand (default: error).")] = False,
    plot: Annotated[Optional[Path], typer.Option(help="Scatter + forest plot PNG (single exposure).")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the results table (TSV).")] = None,
    exposure_id: Annotated[Optional[str], typer.Option(help="Node key of the exposure (Gene id or Phenotype id) for write-back.")] = None,
    outcome_id: Annotated[Optional[str], typer.Option(help="Phenotype key of the outcome for write-back.")] = None,
    exposure_type: Annotated[str, typer.Option(help="Node type of the exposure: Gene or Variant.")] = "Gene",
    rename: Rename = None,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """Two-sample Mendelian randomisation: IVW (random/fixed), MR-Egger, weighted median, Q and I².

    Example: varkg causal mr --exposure eqtl_GENE.tsv --outcome gwas.tsv --plot mr.png --outcome-id EFO:0004611
    """
    from varkg.causal.mr import METHOD_VERSION, results_frame, run_mr
    from varkg.errors import AnalysisError, InputError

    def go() -> None:
        exp = _read_table(exposure, rename)
        outc = _read_table(outcome, rename)
        G = np.load(genotypes) if genotypes is not None else None
        ids = _read_variant_ids(variant_ids)[0] if variant_ids is not None else None
        groups = [(exposure_id or exposure.stem, exp)] if by is None else list(exp.groupby(by, sort=True))
        if by is not None and by not in exp.columns:
            raise InputError(f"--by {by!r} is not a column (have {list(exp.columns)})", path=exposure)
        rows, edges = [], []
        from rich.progress import track

        it = groups if quiet or len(groups) < 20 else track(groups, description="MR")
        last = None
        for name, sub in it:
            try:
                res, h = run_mr(sub.drop(columns=[by]) if by else sub, outc, p_threshold=p_threshold, genotypes=G, variant_ids=ids,
                                clump_r2=clump_r2, on_mismatch="drop" if drop_mismatched else "raise")
            except AnalysisError as exc:
                if by is None:
                    raise
                rows.append(pd.DataFrame([dict(exposure=name, method="none", note=str(exc)[:80])]))
                continue
            last = (res, h, name)
            fr = results_frame(res)
            fr.insert(0, "exposure", name)
            rows.append(fr)
            if write_back:
                from varkg.causal.writeback import mr_edges

                edges.append(mr_edges(res, src=str(name), dst=outcome_id or ""))
        table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
        cols = [c for c in ["exposure", "method", "estimate", "se", "ci_low", "ci_high", "p", "n_instruments", "q", "q_p", "i2",
                            "intercept", "intercept_p", "note"] if c in table.columns]
        _show(table[cols], f"Mendelian randomisation on {outcome.name}", quiet=quiet)
        if out is not None:
            table.to_csv(out, sep="\t", index=False)
            console.print(f"wrote {out}")
        if plot is not None and last is not None:
            _mr_plot(last[1].table, last[0], plot, f"{last[2]} → {outcome.stem}")
            console.print(f"wrote {plot}")
        if write_back:
            if outcome_id is None:
                raise InputError("--write-back needs --outcome-id (the Phenotype key)")
            from varkg.causal.writeback import new_run, write_causal_edges

            store, release = _store_and_release()
            try:
                params = dict(p_threshold=p_threshold, clump_r2=clump_r2, clumped=genotypes is not None)
                run = new_run("mr", method_version=METHOD_VERSION, parameters=params,
                              scope=f"{exposure.name};{outcome.name};{outcome_id}", release_id=release, run_id=run_id)
                k = write_causal_edges(store, run, pd.concat(edges, ignore_index=True), src_type=exposure_type, dst_type="Phenotype")
                console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")
            finally:
                store.close()

    _guard(go)


# ---------------------------------------------------------------------------- smr
@app.command()
def smr(
    eqtl: Annotated[Path, typer.Option(help="cis-eQTL summary statistics (with chrom, pos for the cis window).")],
    gwas: Annotated[Path, typer.Option(help="Trait GWAS summary statistics.")],
    genotypes: Annotated[Optional[Path], typer.Option(help="LD reference genotypes (.npy samples × variants) for HEIDI.")] = None,
    variant_ids: Annotated[Optional[Path], typer.Option(help="Genotype columns: one snp per line, or a TSV with snp and alt (coded allele).")] = None,
    by: Annotated[Optional[str], typer.Option(help="eQTL column naming genes (probes): one test per gene.")] = None,
    probe_pos: Annotated[Optional[int], typer.Option(help="Probe/TSS position (1-based) for the cis window.")] = None,
    probe_chrom: Annotated[Optional[str], typer.Option(help="Probe chromosome.")] = None,
    cis_window: Annotated[int, typer.Option(help="cis window (bp each side).")] = 2_000_000,
    p_smr: Annotated[float, typer.Option(help="Top eQTL p-value threshold.")] = 5e-8,
    gene_id: Annotated[Optional[str], typer.Option(help="Gene key for write-back (single gene).")] = None,
    trait_id: Annotated[Optional[str], typer.Option(help="Phenotype key for write-back.")] = None,
    rename: Rename = None,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """SMR test and HEIDI (Zhu et al. 2016) with SMR's default thresholds.

    Example: varkg causal smr --eqtl eqtl.tsv --gwas gwas.tsv --genotypes ref.npy --variant-ids ref_ids.tsv --by gene_id
    """
    from varkg.causal.smr import METHOD_VERSION, smr_heidi
    from varkg.errors import AnalysisError, InputError

    def go() -> None:
        e = _read_table(eqtl, rename)
        g = _read_table(gwas, rename)
        G = np.load(genotypes) if genotypes is not None else None
        ids, coded = _read_variant_ids(variant_ids) if variant_ids is not None else (None, None)
        groups = [(gene_id or eqtl.stem, e)] if by is None else list(e.groupby(by, sort=True))
        rows, edges = [], []
        for name, sub in groups:
            try:
                r = smr_heidi(sub.drop(columns=[by]) if by else sub, g, genotypes=G, variant_ids=ids, coded_alleles=coded,
                              probe_chrom=probe_chrom, probe_pos=probe_pos, cis_window_bp=cis_window, p_smr=p_smr, heidi=G is not None)
            except AnalysisError as exc:
                if by is None:
                    raise
                rows.append(dict(gene=name, note=str(exc)[:80]))
                continue
            rows.append(dict(gene=name, **r.as_dict()))
            if write_back:
                from varkg.causal.writeback import smr_edges

                edges.append(smr_edges(r, src=str(name), dst=trait_id or ""))
        table = pd.DataFrame(rows)
        cols = [c for c in ["gene", "top_snp", "b_xy", "se", "p_smr", "p_eqtl", "p_gwas", "p_heidi", "n_heidi", "note"] if c in table.columns]
        _show(table[cols], f"SMR/HEIDI on {gwas.name}", quiet=quiet)
        if write_back:
            if trait_id is None:
                raise InputError("--write-back needs --trait-id")
            from varkg.causal.writeback import new_run, write_causal_edges

            store, release = _store_and_release()
            try:
                run = new_run("smr", method_version=METHOD_VERSION, parameters=dict(p_smr=p_smr, cis_window=cis_window),
                              scope=f"{eqtl.name};{gwas.name};{trait_id}", release_id=release, run_id=run_id)
                k = write_causal_edges(store, run, pd.concat(edges, ignore_index=True), src_type="Gene", dst_type="Phenotype")
                console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")
            finally:
                store.close()

    _guard(go)


# ---------------------------------------------------------------------------- coloc
@app.command()
def coloc(
    trait1: Annotated[Path, typer.Option(help="Trait 1 table: snp + beta, se (or p, eaf/maf, n).")],
    trait2: Annotated[Path, typer.Option(help="Trait 2 table.")],
    locus: Annotated[Optional[str], typer.Option(help="Column naming loci (in both tables): one test per locus.")] = None,
    kind1: Annotated[str, typer.Option(help="quant or cc.")] = "quant",
    kind2: Annotated[str, typer.Option(help="quant or cc.")] = "quant",
    p1: Annotated[float, typer.Option(help="Prior: a variant is causal for trait 1.")] = 1e-4,
    p2: Annotated[float, typer.Option(help="Prior: a variant is causal for trait 2.")] = 1e-4,
    p12: Annotated[float, typer.Option(help="Prior: a variant is causal for both.")] = 1e-5,
    src_id: Annotated[Optional[str], typer.Option(help="Node key of trait 1's entity (Gene) for write-back.")] = None,
    dst_id: Annotated[Optional[str], typer.Option(help="Phenotype key of trait 2 for write-back.")] = None,
    rename: Rename = None,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """coloc.abf: posterior probabilities PP.H0–H4 per locus.

    Example: varkg causal coloc --trait1 eqtl_locus.tsv --trait2 gwas_locus.tsv
    """
    from varkg.causal.coloc import METHOD_VERSION, coloc_abf
    from varkg.errors import InputError

    def go() -> None:
        for k in (kind1, kind2):
            if k not in ("quant", "cc"):
                raise InputError(f"trait kind must be 'quant' or 'cc' (got {k!r})")
        a, b = _read_table(trait1, rename), _read_table(trait2, rename)
        if locus is None:
            pairs = [("locus", a, b)]
        else:
            pairs = [(name, sa.drop(columns=[locus]), b[b[locus] == name].drop(columns=[locus])) for name, sa in a.groupby(locus, sort=True)]
        rows = []
        results = []
        for name, sa, sb in pairs:
            r = coloc_abf(sa, sb, kind1=kind1, kind2=kind2, p1=p1, p2=p2, p12=p12)  # type: ignore[arg-type]
            rows.append(dict(locus=name, **r.as_dict()))
            results.append(r)
        _show(pd.DataFrame(rows), "coloc.abf", quiet=quiet)
        if write_back:
            if src_id is None or dst_id is None or locus is not None:
                raise InputError("--write-back needs --src-id and --dst-id, for a single locus")
            from varkg.causal.writeback import coloc_edges, new_run, write_causal_edges

            store, release = _store_and_release()
            try:
                run = new_run("coloc_abf", method_version=METHOD_VERSION, parameters=dict(p1=p1, p2=p2, p12=p12),
                              scope=f"{trait1.name};{trait2.name};{src_id};{dst_id}", release_id=release, run_id=run_id)
                k = write_causal_edges(store, run, coloc_edges(results[0], src=src_id, dst=dst_id), src_type="Gene", dst_type="Phenotype")
                console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")
            finally:
                store.close()

    _guard(go)


# ---------------------------------------------------------------------------- do
@app.command("do")
def do_cmd(
    phenotype: Annotated[str, typer.Option(help="Phenotype key (outcome).")],
    data: Annotated[Path, typer.Option(help="Individual-level table, one column per node key (dosages, expression, phenotype).")],
    gene: Annotated[str, typer.Option(help="Gene key G: the effect of do(expression of G) on the phenotype.")],
    variant: Annotated[Optional[str], typer.Option(help="Variant key: also split its effect into direct and through G.")] = None,
    eqtl_p: Annotated[float, typer.Option(help="EQTL_OF p-value threshold for Variant→Gene arrows.")] = 5e-8,
    write_back: WriteBack = False,
    run_id: RunId = None,
    quiet: Quiet = False,
) -> None:
    """Interventional queries on a linear SEM of the causal DAG read from the graph (semopy).

    Example: varkg --store kg.db causal do --phenotype EFO:0004611 --gene ENSG00000101000 --data cohort.tsv
    """
    from varkg.causal.scm import METHOD_VERSION, dag_from_graph, do_effect, fit_sem, mediation

    def go() -> None:
        from varkg.cli.main import open_cli_store

        df = _read_table(data)
        store = open_cli_store(read_only=not write_back)
        try:
            dag = dag_from_graph(store, phenotypes=[phenotype], eqtl_p=eqtl_p)
            fit = fit_sem(dag, df)
            d = do_effect(fit, treatment=gene, outcome=phenotype)
            _show(pd.DataFrame([dict(query=f"do({gene}) → {phenotype}", estimate=d.estimate, se=d.se, ci_low=d.ci_low, ci_high=d.ci_high, p=d.p)]),
                  f"linear SEM: {len(fit.nodes)} nodes, {len(fit.dag.edges)} arrows, n={fit.n}", quiet=quiet)
            console.print(f"[dim]{d.identification}[/]")
            if variant is not None:
                m = mediation(fit, variant=variant, mediator=gene, outcome=phenotype)
                _show(m.as_frame(), f"{variant} → {phenotype}: direct vs through {gene}", quiet=quiet)
                console.print(f"[dim]{m.identification}[/]")
            if write_back:
                from varkg.causal.writeback import current_release, new_run, write_causal_edges

                run = new_run("sem", method_version=METHOD_VERSION, parameters=dict(eqtl_p=eqtl_p, nodes=fit.nodes),
                              scope=f"{data.name};{phenotype};{gene}", release_id=current_release(store), run_id=run_id)
                edges = pd.DataFrame([dict(src=gene, dst=phenotype, estimate=d.estimate, se=d.se, pvalue=d.p)])
                k = write_causal_edges(store, run, edges, src_type="Gene", dst_type="Phenotype")
                console.print(f"wrote {k} CAUSAL_FOR edge(s) (run {run.id})")
        finally:
            store.close()

    _guard(go)
