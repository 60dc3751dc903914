"""``varkg gnn``: export, train, evaluate and predict with the graph transformer.

Thin commands: they parse options, call :mod:`varkg.gnn`, and print. torch is imported inside
the commands, so ``varkg --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from varkg.cli._common import cli_errors, cli_store

app = typer.Typer(help="Graph learning: export, train, evaluate, predict (write-back).", no_args_is_help=True)

Store = Annotated[
    str, typer.Option("--store", help="Ladybug path or Neo4j URI (default: `varkg --store`, else $VARKG_STORE or ./varkg.db).")
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")]
Labels = Annotated[
    Path,
    typer.Option(
        "--labels", help="Labelled variants TSV (chrom, pos, ref, alt, label_pathogenic, ...).", exists=True, dir_okay=False
    ),
]
Checkpoint = Annotated[Path, typer.Option("--checkpoint", help="model.pt (or the folder holding it).", exists=True)]


def _store(store: str | None):
    """The store of this command's ``--store``, else of ``varkg --store`` (else ``$VARKG_STORE``
    or ./varkg.db), schema initialised, closed when the block ends.

    The global option must count: ``varkg --store G gnn train`` once trained on an empty
    ./varkg.db (a graph without edges) instead of ``G``."""
    return cli_store(init=True, location=store)


@app.command("export")
@cli_errors
def export_cmd(
    out: Annotated[Path, typer.Option(help="Folder for manifest.json, id_maps/ and graph.pt.")],
    store: Store = None,  # type: ignore[assignment]
    reverse: Annotated[bool, typer.Option(help="Add rev_ edge types.")] = True,
) -> None:
    """Export the graph to PyG HeteroData with a manifest.

    Example: varkg gnn export --store graph.db --out runs/export
    """
    import torch

    from varkg.gnn.export import export_graph

    with _store(store) as s:
        ex = export_graph(s, reverse=reverse, out_dir=out)
    torch.save(ex.data, out / "graph.pt")
    m = ex.manifest()
    typer.echo(
        json.dumps(
            {
                "manifest": str(out / "manifest.json"),
                "num_nodes": m["num_nodes"],
                "num_edges": m["num_edges"],
                "release_id": m["release_id"],
            }
        )
    )


@app.command("train")
@cli_errors
def train_cmd(
    labels: Labels,
    out: Annotated[Path, typer.Option(help="Output folder: model.pt, baselines.pkl, metrics.json, reliability.png, export/.")],
    task: Annotated[str, typer.Option(help="Task (variant-effect).")] = "variant-effect",
    store: Store = None,  # type: ignore[assignment]
    assembly: Annotated[str, typer.Option(help="Assembly of the label positions.")] = "GRCh38",
    split: Annotated[str, typer.Option(help="chromosome, gene or random.")] = "chromosome",
    test_chroms: Annotated[str, typer.Option(help="Comma-separated test chromosomes (else chosen by seed).")] = "",
    val_chroms: Annotated[str, typer.Option(help="Comma-separated validation chromosomes.")] = "",
    hidden: Annotated[int, typer.Option()] = 64,
    layers: Annotated[int, typer.Option()] = 2,
    memory_units: Annotated[int, typer.Option(help="External-attention memory units.")] = 32,
    dropout: Annotated[float, typer.Option()] = 0.2,
    epochs: Annotated[int, typer.Option()] = 60,
    patience: Annotated[int, typer.Option()] = 10,
    lr: Annotated[float, typer.Option()] = 3e-3,
    batch_size: Annotated[int, typer.Option()] = 64,
    fanouts: Annotated[str, typer.Option(help="Neighbours per hop, comma-separated (one per layer).")] = "10,10",
    seed: Annotated[int, typer.Option()] = 0,
    device: Annotated[str, typer.Option(help="auto (GPU when present), cpu or cuda.")] = "auto",
    calibration: Annotated[str, typer.Option(help="platt or isotonic (fitted on the validation variants).")] = "platt",
    quiet: Quiet = False,
) -> None:
    """Train the variant-effect model on labelled variants (loaded into the graph first, without labels).

    Example: varkg gnn train --task variant-effect --labels clinvar_snv_sample_dev.tsv --store graph.db --out runs/gnn
    """
    from varkg.gnn.labels import labelled_graph
    from varkg.gnn.model import ModelConfig
    from varkg.gnn.train import TrainConfig, train_variant_effect

    if task != "variant-effect":
        raise typer.BadParameter(f"task {task!r}; expected one of: variant-effect")
    if split not in ("chromosome", "gene", "random"):
        raise typer.BadParameter(f"split {split!r}; expected chromosome, gene or random")
    if calibration not in ("platt", "isotonic"):
        raise typer.BadParameter(f"calibration {calibration!r}; expected platt or isotonic")
    cfg = TrainConfig(
        model=ModelConfig(hidden=hidden, layers=layers, memory_units=memory_units, dropout=dropout),
        lr=lr,
        epochs=epochs,
        patience=patience,
        batch_size=batch_size,
        fanouts=[int(x) for x in fanouts.split(",")],
        seed=seed,
        device=device,
        split=split,  # type: ignore[arg-type]
        test_chroms=[c for c in test_chroms.split(",") if c] or None,
        val_chroms=[c for c in val_chroms.split(",") if c] or None,
        calibration=calibration,  # type: ignore[arg-type]
    )
    with _store(store) as s:
        location = s.location
        lg = labelled_graph(s, labels, assembly=assembly, out_dir=out / "export")
    graph = lg.describe()
    if graph["edges"] == 0:
        typer.echo(f"warning: the graph in {location} has no edges: the model sees only the variants' own features", err=True)
    res = train_variant_effect(lg.export, lg.index, lg.y, config=cfg, out_dir=out, quiet=quiet)
    m = res.metrics
    typer.echo(
        json.dumps(
            {
                "checkpoint": str(res.checkpoint),
                "store": str(location),
                "graph": graph,
                "loaded": lg.loaded,
                "split": m["split"]["sizes"],
                **{
                    k: {"auroc": v.get("auroc"), "auprc": v.get("auprc")}
                    for k, v in m.items()
                    if isinstance(v, dict) and "auroc" in v
                },
            }
        )
    )


@app.command("evaluate")
@cli_errors
def evaluate_cmd(
    labels: Labels,
    checkpoint: Checkpoint,
    store: Store = None,  # type: ignore[assignment]
    assembly: Annotated[str, typer.Option(help="Assembly of the label positions.")] = "GRCh38",
) -> None:
    """Load unseen labelled variants into the graph (features only), predict them, and print one
    JSON line with AUROC/AUPRC of the model and of each baseline.

    Example: varkg gnn evaluate --labels heldout.tsv --checkpoint runs/gnn/model.pt --store graph.db
    """
    from varkg.gnn.evaluate import evaluate_labels

    with _store(store) as s:
        result = evaluate_labels(s, labels, checkpoint=checkpoint, assembly=assembly)
    typer.echo(json.dumps(result))


@app.command("predict")
@cli_errors
def predict_cmd(
    checkpoint: Checkpoint,
    store: Store = None,  # type: ignore[assignment]
    run_id: Annotated[str, typer.Option(help="Run id (default: derived from checkpoint hash and release).")] = "",
) -> None:
    """Score every Variant and write effect_score, effect_probability, effect_rank and
    prediction_run_id back, with a PredictionRun node. Re-running replaces the run's values.

    Example: varkg gnn predict --checkpoint runs/gnn/model.pt --store graph.db
    """
    from varkg.gnn.evaluate import predict_and_write

    with _store(store) as s:
        result = predict_and_write(s, checkpoint=checkpoint, run_id=run_id or None)
    typer.echo(json.dumps(result))
