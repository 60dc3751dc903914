"""``varkg lm``: the DNA language model (vocabulary selection, pretraining, embeddings, scores, fine-tuning).

Thin commands: they parse options, call :mod:`varkg.lm`, and print. torch and transformers are
imported inside the commands, so ``varkg --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from varkg.cli._common import cli_errors, cli_store

app = typer.Typer(help="DNA language model: select-vocab, pretrain, embed, score, finetune, probe.", no_args_is_help=True)

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Device = Annotated[str, typer.Option(help="auto (GPU when present), cpu or cuda.")]
Threads = Annotated[int, typer.Option(help="CPU threads for torch (0: torch's default).")]


FromStore = Annotated[bool, typer.Option(help="Read the nodes from the graph store chosen by `varkg --store`.")]
WriteStore = Annotated[bool, typer.Option(help="Write results to the graph store chosen by `varkg --store`.")]


def _threads(n: int) -> None:
    from varkg.lm.runtime import set_threads

    set_threads(n or None)


@app.command("select-vocab")
@cli_errors
def select_vocab_cmd(
    fasta: Annotated[list[Path], typer.Option(help="Reference FASTA (plain, gzip or bgzip); repeatable.")],
    out: Annotated[Path, typer.Option(help="Output folder: sweep.csv, sweep.png, tokenizer/.")],
    merges: Annotated[str, typer.Option(help="Comma-separated BPE merge counts.")] = "50,200,500,1000,2000",
    kmers: Annotated[str, typer.Option(help="Comma-separated k of the next-k-mer tasks.")] = "2,3,4,5,6",
    size: Annotated[str, typer.Option(help="Model size of the brief pretraining.")] = "mini",
    pretrain_steps: Annotated[int, typer.Option(help="Masked-LM steps per vocabulary.")] = 80,
    probe_steps: Annotated[int, typer.Option(help="Next-k-mer fine-tuning steps per vocabulary.")] = 120,
    seed: Annotated[int, typer.Option()] = 0,
    threads: Threads = 2,
    quiet: Quiet = False,
) -> None:
    """Choose the BPE vocabulary by next-k-mer prediction accuracy (GROVER).

    Example: varkg lm select-vocab --fasta ref.fa.gz --out runs/vocab --merges 50,200,1000
    """
    from varkg.lm.vocab import VocabSweepConfig, select_vocab

    _threads(threads)
    cfg = VocabSweepConfig(
        merges=[int(x) for x in merges.split(",")],
        kmers=[int(x) for x in kmers.split(",")],
        size=size,
        pretrain_steps=pretrain_steps,
        probe_steps=probe_steps,
        seed=seed,
    )
    res = select_vocab(fasta_paths=fasta, out=out, cfg=cfg, quiet=quiet)
    for row in res.rows:
        typer.echo(json.dumps(row))
    typer.echo(f"chosen: {res.chosen_merges} merges -> {res.tokenizer_dir}")


@app.command("pretrain")
@cli_errors
def pretrain_cmd(
    out: Annotated[Path, typer.Option(help="Output checkpoint folder (resumed when it has a checkpoint).")],
    fasta: Annotated[list[Path] | None, typer.Option(help="Reference FASTA; repeatable.")] = None,
    csv: Annotated[list[Path] | None, typer.Option(help="CSV with a 'sequence' column; repeatable.")] = None,
    tokenizer: Annotated[str, typer.Option(help="'char' (single nucleotide), 'bpe' (train one) or a tokenizer folder.")] = "bpe",
    merges: Annotated[int, typer.Option(help="BPE merges when --tokenizer bpe.")] = 500,
    size: Annotated[
        str, typer.Option(help="tiny, mini, small (256-d, fits the schema's seq_embedding), medium, base.")
    ] = "small",
    window: Annotated[int, typer.Option(help="Window length in bp.")] = 512,
    steps: Annotated[int, typer.Option()] = 2000,
    batch_size: Annotated[int, typer.Option()] = 32,
    lr: Annotated[float, typer.Option()] = 1e-3,
    max_minutes: Annotated[float | None, typer.Option(help="Stop after this many minutes.")] = None,
    seed: Annotated[int, typer.Option()] = 0,
    resume: Annotated[bool, typer.Option(help="Continue from OUT/checkpoint when present.")] = True,
    bf16: Annotated[
        bool, typer.Option(help="bfloat16 autocast: faster on CPUs with AVX-512 BF16 / AMX and recent GPUs.")
    ] = False,
    device: Device = "auto",
    threads: Threads = 2,
    quiet: Quiet = False,
) -> None:
    """Masked-LM pretraining on random FASTA windows and CSV sequences.

    Example: varkg lm pretrain --fasta ref.fa.gz --tokenizer char --size small --steps 5000 --out runs/lm
    """
    from varkg.lm.data import FastaReader, random_windows
    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.tokenizer import load_tokenizer, single_nucleotide_tokenizer, train_bpe_tokenizer

    _threads(threads)
    fasta, csv = fasta or [], csv or []
    if (out / "checkpoint" / "tokenizer.json").exists() and resume:
        tok = load_tokenizer(str(out / "checkpoint"))
    elif tokenizer == "char":
        tok = single_nucleotide_tokenizer()
    elif tokenizer == "bpe":
        import numpy as np

        from varkg.lm.data import read_sequence_csv

        rng = np.random.default_rng(seed)
        texts = [w for f in fasta for w in random_windows(FastaReader(f), length=1000, n=2000, rng=rng)]
        texts += [s for c in csv for s in read_sequence_csv(c, label_field=None).sequences]
        tok = train_bpe_tokenizer(texts, merges=merges)
    else:
        tok = load_tokenizer(tokenizer)
    cfg = PretrainConfig(
        size=size,
        window_bp=window,
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        max_seconds=max_minutes * 60 if max_minutes else None,
        bf16=bf16,
    )
    res = pretrain(out=out, tokenizer=tok, cfg=cfg, fasta_paths=fasta, csv_paths=csv, resume=resume, device=device, quiet=quiet)
    typer.echo(
        json.dumps(
            {
                "model_dir": str(res.model_dir),
                "steps": res.steps,
                "final_loss": round(res.final_loss, 4),
                "seconds": round(res.seconds, 1),
                "n_parameters": res.n_parameters,
            }
        )
    )


@app.command("embed")
@cli_errors
def embed_cmd(
    model: Annotated[Path, typer.Option(help="Checkpoint folder (varkg or Hugging Face masked LM).")],
    fasta: Annotated[Path, typer.Option(help="Reference FASTA of the nodes' assembly.")],
    node_type: Annotated[Literal["Gene", "RegulatoryElement", "Variant"], typer.Option(help="Which nodes to embed.")],
    from_store: FromStore = False,
    write_store: WriteStore = False,
    table: Annotated[
        Path | None,
        typer.Option(
            help="Instead of --from-store: a TSV of nodes (Gene: id,chrom,tss,strand; "
            "RegulatoryElement: id,chrom,start,stop; Variant: chrom,pos,ref,alt[,id])."
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write embeddings to this .npz as well.")] = None,
    pooling: Annotated[Literal["mean", "cls"], typer.Option()] = "mean",
    upstream: Annotated[int, typer.Option(help="Promoter bp upstream of the TSS (Gene).")] = 1000,
    downstream: Annotated[int, typer.Option(help="Promoter bp downstream of the TSS (Gene).")] = 200,
    flank: Annotated[int, typer.Option(help="bp each side of a variant.")] = 64,
    assembly: Annotated[str, typer.Option()] = "GRCh38",
    dataset: Annotated[str | None, typer.Option(help="Dataset id recorded on written nodes.")] = None,
    batch_size: Annotated[int, typer.Option()] = 64,
    device: Device = "auto",
    threads: Threads = 2,
    quiet: Quiet = False,
) -> None:
    """Embed gene promoters, regulatory elements or variant ref/alt windows and write them to nodes.

    Example: varkg --store graph.db lm embed --model runs/lm --fasta ref.fa.gz --node-type Gene --from-store --write-store
    """
    import numpy as np

    from varkg.lm.data import FastaReader
    from varkg.lm.embed import embed_nodes
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.writeback import write_embeddings

    _threads(threads)
    lm, tok, mid = load_masked_lm(model, device=device)  # type: ignore[arg-type]
    rows = _node_rows(node_type, from_store=from_store, table=table)
    ids, vec = embed_nodes(
        lm,
        tok,
        FastaReader(fasta),
        node_type,
        rows,
        assembly=assembly,
        pooling=pooling,
        upstream=upstream,
        downstream=downstream,
        flank=flank,
        batch_size=batch_size,
        quiet=quiet,
    )
    if out is not None:
        np.savez(out, ids=np.array(ids), embeddings=vec, model_id=mid)
    if write_store:
        with cli_store() as st:
            run = write_embeddings(
                st,
                node_type,
                ids,
                vec,
                model_id=mid,
                dataset=dataset,
                parameters={"pooling": pooling, "flank": flank, "upstream": upstream, "downstream": downstream},
            )
        typer.echo(f"wrote {len(ids)} {node_type}.seq_embedding ({vec.shape[1]}-d) with run {run}")
    else:
        typer.echo(f"embedded {len(ids)} {node_type} nodes ({vec.shape[1]}-d), model {mid}")


def _node_rows(node_type: str, *, from_store: bool, table: Path | None) -> list[dict]:
    import pyarrow.csv as pacsv

    from varkg.errors import InputError
    from varkg.lm.embed import NODE_COLUMNS, node_rows

    if table is not None:
        delim = "\t" if table.suffix in {".tsv", ".txt"} else ","
        t = pacsv.read_csv(table, parse_options=pacsv.ParseOptions(delimiter=delim))
        source = str(table)
    elif from_store:
        need = list(dict.fromkeys(["id", *NODE_COLUMNS[node_type]]))
        with cli_store(read_only=True) as st:
            t = st.export_nodes(node_type, properties=need)
            source = st.location
    else:
        raise typer.BadParameter("give --from-store or --table")
    try:
        return node_rows(node_type, t, source=source)
    except InputError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("score")
@cli_errors
def score_cmd(
    model: Annotated[Path, typer.Option(help="Checkpoint folder (varkg or Hugging Face masked LM).")],
    fasta: Annotated[Path, typer.Option(help="Reference FASTA of the variants' assembly.")],
    vcf: Annotated[Path | None, typer.Option(help="VCF/BCF of variants (POS 1-based).")] = None,
    table: Annotated[Path | None, typer.Option(help="TSV/CSV with chrom,pos,ref,alt[,id] (pos 1-based).")] = None,
    from_store: FromStore = False,
    write_store: Annotated[
        bool, typer.Option(help="Write lm_llr/lm_model_id to Variant nodes of the store chosen by `varkg --store`.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Write a TSV of scores here.")] = None,
    flank: Annotated[int, typer.Option(help="bp of context each side of the variant.")] = 64,
    assembly: Annotated[str, typer.Option(help="Assembly for Variant ids.")] = "GRCh38",
    dataset: Annotated[str | None, typer.Option(help="Dataset id recorded on written nodes.")] = None,
    batch_size: Annotated[int, typer.Option()] = 64,
    device: Device = "auto",
    threads: Threads = 2,
    quiet: Quiet = False,
) -> None:
    """GPN-style log-likelihood ratio scores (log P(alt) - log P(ref), both strands).

    Example: varkg --store graph.db lm score --model runs/lm --fasta ref.fa.gz --vcf calls.vcf.gz --write-store --out scores.tsv
    """
    from varkg.lm.data import FastaReader
    from varkg.lm.runtime import load_masked_lm
    from varkg.lm.score import Variant, read_variants_table, read_variants_vcf, score_variants
    from varkg.lm.writeback import write_variant_scores

    _threads(threads)
    if vcf is not None:
        variants = list(read_variants_vcf(vcf))
    elif table is not None:
        variants = read_variants_table(table)
    elif from_store:
        variants = [
            Variant(str(r["chrom"]), int(r["pos"]), str(r["ref"]), str(r["alt"]), str(r["id"]))
            for r in _node_rows("Variant", from_store=True, table=None)
        ]
    else:
        raise typer.BadParameter("give --vcf, --table or --from-store")
    lm, tok, mid = load_masked_lm(model, device=device)  # type: ignore[arg-type]
    scores = score_variants(lm, tok, FastaReader(fasta), variants, flank=flank, batch_size=batch_size, quiet=quiet)
    if out is not None:
        with open(out, "w") as fh:
            fh.write("id\tllr\tllr_forward\tllr_reverse\tmethod\tmodel_id\n")
            for v, s in zip(variants, scores, strict=True):
                fh.write(f"{v.key(assembly)}\t{s.llr:.6g}\t{s.llr_forward:.6g}\t{s.llr_reverse:.6g}\t{s.method}\t{mid}\n")
    if write_store:
        with cli_store() as st:
            run = write_variant_scores(
                st, variants, scores, assembly=assembly, model_id=mid, dataset=dataset, parameters={"flank": flank}
            )
        typer.echo(f"wrote lm_llr for {len(variants)} variants with run {run}")
    else:
        typer.echo(f"scored {len(variants)} variants with {mid}")


@app.command("finetune")
@cli_errors
def finetune_cmd(
    model: Annotated[Path, typer.Option(help="Pretrained checkpoint folder.")],
    train: Annotated[Path, typer.Option(help="Training CSV (sequence,label).")],
    dev: Annotated[Path, typer.Option(help="Dev CSV (model selection).")],
    out: Annotated[Path, typer.Option(help="Folder for the fine-tuned model and metrics.json.")],
    test: Annotated[Path | None, typer.Option(help="Test CSV (scored once, at the end).")] = None,
    method: Annotated[Literal["full", "lora", "prefix", "prompt"], typer.Option()] = "full",
    pooling: Annotated[
        Literal["mean", "cls", "max", "meanmax", "bins"],
        typer.Option(
            help="How token states become one vector: max/meanmax suit motif-presence tasks (TF binding); "
            "bins (mean+max per stretch of the window) keeps position, for TSS-anchored windows."
        ),
    ] = "mean",
    bins: Annotated[int, typer.Option(help="Stretches per window for --pooling bins.")] = 6,
    rc: Annotated[
        bool, typer.Option(help="Reverse-complement augmentation in training and strand-averaged predictions.")
    ] = False,
    epochs: Annotated[float, typer.Option()] = 3.0,
    lr: Annotated[float, typer.Option()] = 5e-4,
    batch_size: Annotated[int, typer.Option()] = 32,
    max_minutes: Annotated[float | None, typer.Option()] = None,
    seed: Annotated[int, typer.Option()] = 0,
    bf16: Annotated[
        bool, typer.Option(help="bfloat16 autocast in training: faster on CPUs with AVX-512 BF16 / AMX and recent GPUs.")
    ] = False,
    device: Device = "auto",
    threads: Threads = 2,
    quiet: Quiet = False,
) -> None:
    """Fine-tune a sequence classifier (full, LoRA, prefix or prompt tuning); prints MCC, F1, accuracy, AUROC.

    Example: varkg lm finetune --model runs/lm --train train.csv --dev dev.csv --test test.csv --method lora --out runs/ft
    """
    from varkg.lm.data import read_sequence_csv
    from varkg.lm.finetune import FinetuneConfig, finetune
    from varkg.lm.tokenizer import load_tokenizer

    _threads(threads)
    cfg = FinetuneConfig(
        method=method,
        pooling=pooling,
        bins=bins,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        rc_augment=rc,
        rc_test=rc,
        max_seconds=max_minutes * 60 if max_minutes else None,
        seed=seed,
        bf16=bf16,
    )
    res = finetune(
        model,
        load_tokenizer(str(model)),
        train=read_sequence_csv(train),
        dev=read_sequence_csv(dev),
        test=read_sequence_csv(test) if test else None,
        cfg=cfg,
        out=out,
        device=device,
        quiet=quiet,
    )
    typer.echo(
        json.dumps(
            {
                "dev": res.dev,
                "test": res.test,
                "seconds": round(res.seconds, 1),
                "n_trainable": res.n_trainable,
                "n_parameters": res.n_parameters,
            }
        )
    )


@app.command("probe")
@cli_errors
def probe_cmd(
    model: Annotated[Path, typer.Option(help="Pretrained checkpoint folder (kept frozen).")],
    train: Annotated[Path, typer.Option(help="Training CSV (sequence,label).")],
    dev: Annotated[Path, typer.Option(help="Dev CSV (reported; picks the epoch with --keep best).")],
    out: Annotated[Path, typer.Option(help="Folder for the probe head, its settings and metrics.json.")],
    test: Annotated[Path | None, typer.Option(help="Test CSV (scored once, at the end).")] = None,
    epochs: Annotated[int, typer.Option(help="Epochs of the head (seconds each on 30k sequences).")] = 30,
    hidden: Annotated[int, typer.Option(help="Width of each head's hidden layer.")] = 256,
    heads: Annotated[int, typer.Option(help="MLP heads trained side by side; predictions average them.")] = 5,
    lr: Annotated[float, typer.Option(help="AdamW (peak) learning rate.")] = 1e-3,
    schedule: Annotated[str, typer.Option(help="Learning rate: 'cosine' (to zero over all epochs) or 'constant'.")] = "cosine",
    keep: Annotated[str, typer.Option(help="Weights kept: 'last' epoch, or 'best' dev MCC epoch.")] = "last",
    rc: Annotated[bool, typer.Option(help="Both strands: augmentation in training, strand-averaged predictions.")] = True,
    seed: Annotated[int, typer.Option()] = 0,
    bf16: Annotated[bool, typer.Option(help="bfloat16 autocast for the frozen encoder (AVX-512 BF16 / AMX CPUs, GPUs).")] = False,
    device: Device = "auto",
    threads: Threads = 2,
    quiet: Quiet = False,
) -> None:
    """Train a probe on the frozen LM: every layer's mean+max pooled states, an MLP head; prints MCC, F1, AUROC.

    The encoder runs once per sequence and strand, so this suits large tasks (tens of thousands of
    sequences) where full fine-tuning on a CPU sees under an epoch; on small tasks `varkg lm finetune` wins.

    Example: varkg lm probe --model models/lm-mini-char --train train.csv --dev dev.csv --test test.csv --out runs/probe
    """
    from varkg.lm.data import read_sequence_csv
    from varkg.lm.probe import ProbeConfig, probe

    _threads(threads)
    cfg = ProbeConfig(epochs=epochs, hidden=hidden, heads=heads, lr=lr, schedule=schedule, keep=keep, rc=rc, seed=seed, bf16=bf16)
    res = probe(
        model,
        train=read_sequence_csv(train),
        dev=read_sequence_csv(dev),
        test=read_sequence_csv(test) if test else None,
        cfg=cfg,
        out=out,
        device=device,
        quiet=quiet,
    )
    typer.echo(f"saved the probe to {out}; apply it with varkg.lm.probe.load_probe and predict_probe", err=True)
    typer.echo(
        json.dumps(
            {
                "dev": res.dev,
                "test": res.test,
                "best_epoch": res.best_epoch,
                "feature_seconds": round(res.feature_seconds, 1),
                "head_seconds": round(res.seconds, 1),
                "n_trainable": res.n_trainable,
                "n_parameters": res.n_parameters,
            }
        )
    )
