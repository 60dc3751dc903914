"""Training, inference and checkpoints of :class:`~varkg.gnn.model.EAHGT` for variant effects.

Training (:func:`train_variant_effect`):

1. split the labelled variants (:func:`~varkg.gnn.splits.split_nodes`, chromosome by default);
2. remove label-restating edges of the validation and test variants from the message-passing
   graph (:func:`~varkg.gnn.splits.remove_label_edges`);
3. train on mini-batches from :class:`~varkg.gnn.sampler.NeighborSampler` (fan-outs per hop, one
   hop per layer) with AdamW and a class-balanced BCE loss; after each epoch score the
   validation variants with a deterministic full-neighbourhood pass and keep the best AUROC;
   stop after ``patience`` epochs without improvement;
4. fit the calibration (``calibration``: Platt or isotonic) on the validation logits; report
   AUROC, AUPRC, F1, MCC, Brier and ECE on the test variants with a reliability plot, and the
   test ECE/Brier of Platt, isotonic and the raw sigmoid (``metrics["calibration"]``); fit and score the graph-free baselines
   (:mod:`varkg.gnn.baselines`) on the same split;
5. save ``model.pt``: weights, model and training config, feature encoding, calibration, schema
   hash, graph release, split and metrics (loadable with ``torch.load(weights_only=True)``), and
   ``baselines.pkl`` (the fitted scikit-learn baselines).

Everything is seeded (``torch``, numpy sampler, split, baselines); a GPU is used when present
(``device="auto"``).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from varkg.errors import AnalysisError, ModelError
from varkg.gnn.baselines import GraphFreeBaselines, score_baselines
from varkg.gnn.features import FeatureEncoder
from varkg.gnn.metrics import Calibrator, binary_metrics, calibrator_from_dict, fit_calibrator, reliability_plot
from varkg.gnn.model import EAHGT, ModelConfig, conform
from varkg.gnn.splits import LABEL_EDGE_TYPES, Split, SplitMode, first_gene, remove_label_edges, split_nodes
from varkg.typing import NodeType, as_edge_type

if TYPE_CHECKING:
    import torch
    from torch_geometric.data import HeteroData

    from varkg.gnn.export import GraphExport

CHECKPOINT_FORMAT = "varkg-gnn-checkpoint/2"
"""/2: skip path, effect head with a linear term, degree features, calibrator kind (a /1 checkpoint is refused by name)."""


@dataclass
class TrainConfig:
    """Training options (every one recorded in the checkpoint).

    Attributes:
        model: the model hyperparameters.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        epochs: maximum epochs.
        patience: epochs without a better validation AUROC before stopping.
        batch_size: seed variants per mini-batch.
        fanouts: neighbours drawn per hop (one entry per layer; ``-1`` = all).
        seed: seed of everything random.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda"``.
        split: split mode; ``val_fraction``/``test_fraction`` the target sizes;
            ``val_chroms``/``test_chroms`` fix chromosomes instead.
        label_edges: drop label-restating edges of ``"heldout"`` (val+test) variants or of ``"all"``
            labelled variants.
        inference_batch_size: seeds per full-neighbourhood batch at inference (0: one
            full-graph pass; both give the same values).
        calibration: ``"platt"`` or ``"isotonic"``, fitted on the validation variants; the
            metrics report test ECE and Brier score of both and of the raw sigmoid.
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    lr: float = 3e-3
    weight_decay: float = 1e-2
    epochs: int = 60
    patience: int = 10
    batch_size: int = 64
    fanouts: list[int] = field(default_factory=lambda: [10, 10])
    seed: int = 0
    device: str = "auto"
    split: SplitMode = "chromosome"
    val_fraction: float = 0.15
    test_fraction: float = 0.2
    val_chroms: list[str] | None = None
    test_chroms: list[str] | None = None
    label_edges: Literal["heldout", "all"] = "heldout"
    inference_batch_size: int = 0
    calibration: Literal["platt", "isotonic"] = "platt"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        d = dict(d)
        m = dict(d.pop("model", {}))
        if "link" in m:
            m["link"] = tuple(m["link"])
        return cls(model=ModelConfig(**m), **d)


@dataclass
class TrainResult:
    """What training produced."""

    model: EAHGT
    calibrator: Calibrator
    split: Split
    metrics: dict[str, Any]
    history: list[dict[str, float]]
    checkpoint: Path | None = None
    baselines: GraphFreeBaselines | None = None


def resolve_device(device: str) -> torch.device:
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ModelError(f"device must be auto, cpu or cuda, got {device!r}")
    return torch.device(device)


def seed_everything(seed: int) -> None:
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def infer_embeddings(
    model: EAHGT,
    data: HeteroData,
    node_type: NodeType,
    index: np.ndarray,
    *,
    batch_size: int = 0,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Deterministic embeddings ``[len(index), hidden]`` of ``node_type`` nodes.

    ``batch_size == 0``: one pass over the whole graph. Otherwise batches of ``batch_size``
    seeds with their full ``L``-hop neighbourhoods (sampler fan-outs ``-1``): the same values.
    """
    import torch

    from varkg.gnn.sampler import NeighborSampler

    device = device or torch.device("cpu")
    model.eval()
    index = np.asarray(index, dtype=np.int64)
    with torch.no_grad():
        if batch_size <= 0:
            d = data if device.type == "cpu" else data.clone().to(device)
            h = model.embed(d)[node_type]
            return h[torch.as_tensor(index, device=device)].cpu()
        sampler = NeighborSampler(data, fanouts=[-1] * model.config.layers)
        outs = []
        for b in sampler.batches(node_type, index, batch_size=batch_size):
            b = b.to(device)
            h = model.embed(b)[node_type]
            outs.append(h[: b[node_type].batch_size].cpu())
        return torch.cat(outs) if outs else torch.zeros(0, model.config.hidden)


def infer_logits(
    model: EAHGT, data: HeteroData, index: np.ndarray, *, batch_size: int = 0, device: torch.device | None = None
) -> np.ndarray:
    """Variant-effect logits of ``index`` (see :func:`infer_embeddings`)."""
    import torch

    h = infer_embeddings(model, data, model.config.target, index, batch_size=batch_size, device=device)
    with torch.no_grad():
        return model.effect_head.eval()(h.to(next(model.parameters()).device)).squeeze(-1).cpu().numpy().astype(np.float64)


def label_index(
    export: GraphExport, keys: list[str], y: np.ndarray, *, node_type: NodeType = "Variant"
) -> tuple[np.ndarray, np.ndarray]:
    """Global indices of labelled keys present in the export, and their labels."""
    idx = export.index_of(node_type, keys, missing=-1)
    ok = idx >= 0
    if not ok.any():
        raise AnalysisError(f"none of the {len(keys)} labelled {node_type} keys is in the exported graph")
    return idx[ok], np.asarray(y)[ok]


def train_variant_effect(
    export: GraphExport,
    index: np.ndarray,
    y: np.ndarray,
    *,
    config: TrainConfig | None = None,
    out_dir: str | Path | None = None,
    quiet: bool = True,
) -> TrainResult:
    """Train, calibrate and evaluate the variant-effect model (module docstring).

    Args:
        export: the exported graph (features fitted, ``Variant`` nodes present).
        index: global ``Variant`` indices of the labelled variants.
        y: their labels (1 pathogenic, 0 benign).
        config: training options.
        out_dir: where ``model.pt``, ``baselines.pkl``, ``metrics.json`` and
            ``reliability.png`` go (nothing is written when ``None``).
        quiet: no progress bar.
    """
    import torch

    cfg = config or TrainConfig()
    target = cfg.model.target
    if len(cfg.fanouts) != cfg.model.layers:
        raise ModelError(
            f"'fanouts' has {len(cfg.fanouts)} hops (got {cfg.fanouts}); the model has {cfg.model.layers} layers: give one per "
            "layer"
        )
    seed_everything(cfg.seed)
    device = resolve_device(cfg.device)
    index = np.asarray(index, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    chrom_col = (
        export.node_tables[target].column("chrom").to_pylist() if "chrom" in export.node_tables[target].column_names else None
    )
    chrom = np.asarray(chrom_col, dtype=object)[index] if chrom_col is not None else None
    genes = first_gene(export.data, export.keys["Gene"])[index] if "Gene" in export.keys else None
    split = split_nodes(
        index,
        mode=cfg.split,
        seed=cfg.seed,
        val_fraction=cfg.val_fraction,
        test_fraction=cfg.test_fraction,
        chrom=chrom,
        genes=genes,
        val_chroms=cfg.val_chroms,
        test_chroms=cfg.test_chroms,
    )
    label_of = dict(zip(index.tolist(), y.tolist(), strict=False))
    y_of = lambda idx: np.array([label_of[i] for i in idx.tolist()], dtype=np.int64)  # noqa: E731
    drop_nodes = np.concatenate([split.val, split.test]) if cfg.label_edges == "heldout" else index
    data, removed = remove_label_edges(export.data, drop_nodes, node_type=target, edge_types=LABEL_EDGE_TYPES)
    y_full = torch.full((int(data[target].num_nodes),), -1.0)
    y_full[torch.from_numpy(split.train)] = torch.from_numpy(y_of(split.train)).float()
    data[target].y = y_full

    in_dims = {t: int(data[t].x.size(1)) for t in data.node_types}
    model = EAHGT(in_dims, data.metadata(), cfg.model).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    y_train = y_of(split.train)
    pos = max(1, int(y_train.sum()))
    pos_weight = torch.tensor((y_train.size - pos) / pos, device=device)
    from varkg.gnn.sampler import NeighborSampler

    sampler = NeighborSampler(data, fanouts=cfg.fanouts, seed=cfg.seed)
    y_val = y_of(split.val)
    best: tuple[float, float] = (-1.0, -np.inf)
    best_state: dict[str, torch.Tensor] | None = None
    history: list[dict[str, float]] = []
    stale = 0
    from tqdm.auto import tqdm

    bar = tqdm(range(cfg.epochs), desc="train", disable=quiet)
    for epoch in bar:
        model.train()
        losses = []
        for batch in sampler.batches(target, split.train, batch_size=cfg.batch_size, shuffle=True):
            batch = batch.to(device)
            n = batch[target].batch_size
            h = model.embed(batch)
            logits = model.effect_logits(h)[:n]
            yy = batch[target].y[:n]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yy, pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(float(loss.detach()))
        val_logits = infer_logits(model, data, split.val, batch_size=cfg.inference_batch_size, device=device)
        vm = binary_metrics(y_val, val_logits, probability=False)
        val_auc = vm["auroc"] if vm["auroc"] is not None else 0.0
        val_loss = float(
            torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(val_logits), torch.from_numpy(y_val).double())
        )
        history.append(
            {
                "epoch": epoch,
                "train_loss": float(np.mean(losses)) if losses else float("nan"),
                "val_auroc": val_auc,
                "val_loss": val_loss,
            }
        )
        bar.set_postfix(loss=f"{history[-1]['train_loss']:.3f}", val_auroc=f"{val_auc:.3f}")
        if (val_auc, -val_loss) > best:
            best = (val_auc, -val_loss)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            stale = 0
        else:
            stale += 1
            if stale >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    val_logits = infer_logits(model, data, split.val, batch_size=cfg.inference_batch_size, device=device)
    calibrator = fit_calibrator(cfg.calibration, val_logits, y_val)
    test_logits = infer_logits(model, data, split.test, batch_size=cfg.inference_batch_size, device=device)
    y_test = y_of(split.test)
    p_test = calibrator(test_logits)
    metrics: dict[str, Any] = {
        "model": binary_metrics(y_test, p_test),
        "val_model": binary_metrics(y_val, calibrator(val_logits)),
    }
    cal: dict[str, Any] = {"method": cfg.calibration, "fitted_on": "validation"}
    for kind in ("platt", "isotonic"):
        m = binary_metrics(y_test, fit_calibrator(kind, val_logits, y_val)(test_logits))
        cal[kind] = {"ece": m.get("ece"), "brier": m.get("brier")}
    raw = binary_metrics(y_test, 1.0 / (1.0 + np.exp(-test_logits)))
    cal["uncalibrated"] = {"ece": raw.get("ece"), "brier": raw.get("brier")}
    metrics["calibration"] = cal
    metrics["graph_gate"] = round(model.graph_gate(), 4) if model.skip is not None else None

    X = data[target].x.numpy()
    baselines = GraphFreeBaselines.fit(X[split.train], y_train, seed=cfg.seed)
    for name, s in baselines.score(X[split.test]).items():
        metrics[name] = binary_metrics(y_test, s)
    for name, s in score_baselines(export.node_tables[target], split.test).items():
        metrics[name] = binary_metrics(y_test, s, probability=False)
    metrics["split"] = split.describe()
    metrics["epochs_run"] = len(history)
    metrics["label_edges_removed"] = removed

    ckpt_path = None
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        reliability_plot(
            y_test, p_test, out / "reliability.png", title=f"EAHGT variant effect (test, {cfg.calibration} on validation)"
        )
        with open(out / "baselines.pkl", "wb") as fh:
            pickle.dump(baselines, fh)
        ckpt_path = save_checkpoint(
            out / "model.pt",
            model=model,
            config=cfg,
            encoder=export.encoder,
            calibrator=calibrator,
            schema_hash=export.schema_hash,
            release_id=export.release_id,
            metrics=metrics,
            baselines_sha256=sha256_file(out / "baselines.pkl"),
        )
        (out / "metrics.json").write_text(json.dumps(metrics | {"checkpoint_sha256": sha256_file(ckpt_path)}, indent=1))
    return TrainResult(
        model=model,
        calibrator=calibrator,
        split=split,
        metrics=metrics,
        history=history,
        checkpoint=ckpt_path,
        baselines=baselines,
    )


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(
    path: str | Path,
    *,
    model: EAHGT,
    config: TrainConfig,
    encoder: FeatureEncoder,
    calibrator: Calibrator,
    schema_hash: str,
    release_id: str,
    metrics: dict[str, Any],
    baselines_sha256: str = "",
) -> Path:
    """Write a checkpoint readable with ``torch.load(path, weights_only=True)``."""
    import torch

    payload = {
        "format": CHECKPOINT_FORMAT,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "config": json.dumps(config.to_dict()),
        "in_dims": json.dumps(model.in_dims),
        "metadata": json.dumps([model.metadata[0], [list(e) for e in model.metadata[1]]]),
        "encoder": json.dumps(encoder.describe()),
        "calibration": json.dumps(asdict(calibrator)),
        "schema_hash": schema_hash,
        "release_id": release_id,
        "metrics": json.dumps(metrics, default=str),
        "baselines_sha256": baselines_sha256,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = Path(path)
    torch.save(payload, path)
    return path


@dataclass
class Checkpoint:
    """A loaded checkpoint (model in eval mode)."""

    model: EAHGT
    config: TrainConfig
    encoder: FeatureEncoder
    calibrator: Calibrator
    schema_hash: str
    release_id: str
    metrics: dict[str, Any]
    sha256: str
    path: Path
    baselines: GraphFreeBaselines | None = None

    def conform(self, data: HeteroData) -> HeteroData:
        return conform(data, self.model.in_dims, self.model.metadata)


def load_checkpoint(path: str | Path, *, device: str = "cpu") -> Checkpoint:
    """Load ``model.pt`` (and ``baselines.pkl`` next to it when its hash matches)."""
    import torch

    path = Path(path)
    if path.is_dir():
        path = path / "model.pt"
    if not path.exists():
        raise ModelError(f"checkpoint {path} does not exist")
    payload = torch.load(path, map_location=device, weights_only=True)
    if payload.get("format") != CHECKPOINT_FORMAT:
        raise ModelError(f"{path}: format {payload.get('format')!r}, expected {CHECKPOINT_FORMAT!r}")
    cfg = TrainConfig.from_dict(json.loads(payload["config"]))
    nodes, edges = json.loads(payload["metadata"])
    model = EAHGT(json.loads(payload["in_dims"]), (nodes, [as_edge_type(e) for e in edges]), cfg.model)
    model.load_state_dict(payload["state_dict"])
    model.eval()
    baselines = None
    bpath = path.with_name("baselines.pkl")
    if bpath.exists() and payload.get("baselines_sha256") == sha256_file(bpath):
        with open(bpath, "rb") as fh:
            baselines = pickle.load(fh)  # noqa: S301 - our own file, hash checked against the checkpoint
    return Checkpoint(
        model=model,
        config=cfg,
        encoder=FeatureEncoder.from_description(json.loads(payload["encoder"])),
        calibrator=calibrator_from_dict(json.loads(payload["calibration"])),
        schema_hash=payload["schema_hash"],
        release_id=payload["release_id"],
        metrics=json.loads(payload["metrics"]),
        sha256=sha256_file(path),
        path=path,
        baselines=baselines,
    )


def predict_variants(ckpt: Checkpoint, export: GraphExport, index: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Scores of ``index`` (default: every target node): ``key``, ``logit``, ``probability``, ``rank``.

    Label-restating edges of the predicted nodes are removed first (test-time conditions), and
    inference is the deterministic full-neighbourhood pass.
    """
    target = ckpt.config.model.target
    n = int(export.data[target].num_nodes) if target in export.data.node_types else 0
    index = np.arange(n, dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
    data, _ = remove_label_edges(export.data, index, node_type=target, edge_types=LABEL_EDGE_TYPES)
    data = ckpt.conform(data)
    logits = infer_logits(ckpt.model, data, index, batch_size=ckpt.config.inference_batch_size)
    prob = ckpt.calibrator(logits)
    order = np.lexsort((np.arange(index.size), -prob))
    rank = np.empty(index.size, dtype=np.int64)
    rank[order] = np.arange(1, index.size + 1)
    return {"key": export.keys[target][index], "index": index, "logit": logits, "probability": prob, "rank": rank}
