"""Sequence classification on top of a pretrained DNA LM: full fine-tuning or peft.

Methods (``FinetuneConfig.method``):

- ``full``: every weight is trained;
- ``lora``: LoRA adapters on the attention projections (``query``, ``key``, ``value``) plus the
  classifier (peft ``LoraConfig``);
- ``prefix``: trainable per-layer key/value prefixes (peft ``PrefixTuningConfig``; the varkg
  encoder reads them from ``past_key_values``);
- ``prompt``: trainable virtual input tokens (peft ``PromptTuningConfig``).

Pooling is ``cls``, ``mean``, ``max``, ``meanmax`` or ``bins`` (``VarkgDnaConfig.classifier_pooling``).
With ``rc_test`` the class probabilities of a sequence are averaged with those of its reverse
complement (a DNA feature reads the same on either strand). The dev split picks the best
evaluation point (by MCC); the test split is scored once, with those weights.
Metrics: MCC, macro F1, accuracy and AUROC (one-vs-rest macro for more than two classes).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from varkg.dna import reverse_complement
from varkg.errors import ModelError
from varkg.lm.data import LabelledSequences
from varkg.lm.runtime import flushes_denormals

if TYPE_CHECKING:
    from varkg.lm.modeling import Pooling

FinetuneMethod = Literal["full", "lora", "prefix", "prompt"]


@dataclass
class FinetuneConfig:
    """Fine-tuning settings.

    Attributes:
        method: ``full``, ``lora``, ``prefix`` or ``prompt``.
        pooling: ``mean``, ``cls``, ``max``, ``meanmax`` or ``bins`` (varkg models; others use their own
            head). ``bins`` keeps where along the window a feature is; do not combine it with
            ``rc_augment`` on windows anchored on a landmark (a TSS), which flips that order.
        bins: stretches for ``bins`` pooling.
        epochs: passes over the training set (fractions allowed).
        batch_size: sequences per step.
        lr: peak AdamW learning rate (linear warm-up over ``warmup_frac``, linear decay).
        weight_decay: AdamW weight decay.
        warmup_frac: fraction of steps used for warm-up.
        evals_per_epoch: dev evaluations per epoch (best dev MCC is kept).
        max_seconds: stop training after this many seconds (``None``: no limit); the learning
            rate then decays to zero by this time even if the epochs are not done (runs capped by
            time are therefore not bit-for-bit reproducible).
        rc_augment: reverse-complement training sequences with probability 0.5.
        rc_test: average each dev/test prediction with that of the reverse complement.
        max_tokens: truncate tokenisations to this many tokens (``None``: no truncation).
        classifier_dropout: dropout before the classifier.
        lora_r, lora_alpha: LoRA rank and scale.
        virtual_tokens: number of prefix / prompt tokens.
        seed: seed for initialisation and batch order.
        bf16: run the training forward pass under bfloat16 autocast (matrix products in bf16;
            weights, optimiser state and dev/test scoring stay float32). Faster only on hardware
            with bf16 arithmetic (AVX-512 BF16 / AMX CPUs, recent GPUs); off by default.
    """

    method: FinetuneMethod = "full"
    pooling: Pooling = "mean"
    bins: int = 6
    epochs: float = 3.0
    batch_size: int = 32
    lr: float = 5e-4
    weight_decay: float = 0.01
    warmup_frac: float = 0.06
    evals_per_epoch: int = 2
    max_seconds: float | None = None
    rc_augment: bool = False
    rc_test: bool = False
    max_tokens: int | None = None
    classifier_dropout: float = 0.1
    lora_r: int = 8
    lora_alpha: int = 16
    virtual_tokens: int = 10
    seed: int = 0
    bf16: bool = False


@dataclass(frozen=True)
class FinetuneResult:
    """Metrics of the best dev checkpoint on dev and test, and run facts."""

    dev: dict[str, float]
    test: dict[str, float]
    seconds: float
    steps: int
    n_parameters: int
    n_trainable: int
    test_probs: np.ndarray | None = None  # (n_test, classes) at the best dev checkpoint


def classification_metrics(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """MCC, macro F1, accuracy and AUROC from integer labels and ``(n, classes)`` probabilities."""
    from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef, roc_auc_score

    pred = probs.argmax(1)
    out = {
        "mcc": float(matthews_corrcoef(labels, pred)),
        "f1": float(f1_score(labels, pred, average="macro")),
        "accuracy": float(accuracy_score(labels, pred)),
    }
    try:
        if probs.shape[1] == 2:
            out["auroc"] = float(roc_auc_score(labels, probs[:, 1]))
        else:
            out["auroc"] = float(roc_auc_score(labels, probs, multi_class="ovr", average="macro"))
    except ValueError:
        out["auroc"] = float("nan")
    return out


def load_classifier(model_dir: str | Path, *, num_labels: int, cfg: FinetuneConfig) -> Any:
    """A sequence classifier initialised from a (masked-LM) checkpoint, wrapped by peft if asked."""
    from transformers import AutoConfig, AutoModelForSequenceClassification

    import varkg.lm.modeling  # noqa: F401
    from varkg.lm.modeling import MODEL_TYPE
    from varkg.lm.runtime import quiet_transformers

    quiet_transformers()
    conf = AutoConfig.from_pretrained(str(model_dir), local_files_only=True)
    extra: dict[str, Any] = {"num_labels": num_labels}
    if conf.model_type == MODEL_TYPE:
        extra |= {"classifier_pooling": cfg.pooling, "classifier_bins": cfg.bins, "classifier_dropout": cfg.classifier_dropout}
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=True, **extra)
    if cfg.method == "full":
        return model
    import peft

    hidden = model.config.hidden_size
    if cfg.method == "lora":
        target = ["query", "key", "value"] if conf.model_type == MODEL_TYPE else None
        pc: Any = peft.LoraConfig(task_type=peft.TaskType.SEQ_CLS, r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules=target)
    elif cfg.method == "prefix":
        pc = peft.PrefixTuningConfig(
            task_type=peft.TaskType.SEQ_CLS,
            num_virtual_tokens=cfg.virtual_tokens,
            token_dim=hidden,
            num_layers=model.config.num_hidden_layers,
            num_attention_heads=model.config.num_attention_heads,
        )
    elif cfg.method == "prompt":
        pc = peft.PromptTuningConfig(task_type=peft.TaskType.SEQ_CLS, num_virtual_tokens=cfg.virtual_tokens, token_dim=hidden)
    else:
        raise ModelError(f"fine-tuning method {cfg.method!r} is not one of ['full', 'lora', 'prefix', 'prompt']")
    return peft.get_peft_model(model, pc)


def _tokenise(tokenizer: Any, seqs: list[str], max_tokens: int | None) -> list[list[int]]:
    enc = tokenizer(seqs, truncation=max_tokens is not None, max_length=max_tokens)
    return enc["input_ids"]


def _collate(rows: list[list[int]], pad: int) -> tuple[Any, Any]:
    import torch

    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def predict_proba(
    model: Any,
    tokenizer: Any,
    seqs: list[str],
    *,
    batch_size: int = 128,
    max_tokens: int | None = None,
    rc_average: bool = False,
) -> np.ndarray:
    """Class probabilities ``(n, classes)`` for ``seqs``; with ``rc_average`` the mean of the
    probabilities of each sequence and of its reverse complement."""
    import torch

    if rc_average:
        fwd = predict_proba(model, tokenizer, seqs, batch_size=batch_size, max_tokens=max_tokens)
        rev = predict_proba(model, tokenizer, [reverse_complement(s) for s in seqs], batch_size=batch_size, max_tokens=max_tokens)
        return (fwd + rev) / 2

    rows = _tokenise(tokenizer, seqs, max_tokens)
    dev = next(model.parameters()).device
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out: np.ndarray | None = None
    was = model.training
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            ids, mask = _collate([rows[i] for i in idx], tokenizer.pad_token_id)
            p = torch.softmax(model(input_ids=ids.to(dev), attention_mask=mask.to(dev)).logits.float(), -1)
            if out is None:
                out = np.zeros((len(rows), p.shape[1]), dtype=np.float32)
            out[idx] = p.cpu().numpy()
    model.train(was)
    return out if out is not None else np.zeros((0, 2), np.float32)


@flushes_denormals
def finetune(
    model_dir: str | Path,
    tokenizer: Any,
    *,
    train: LabelledSequences,
    dev: LabelledSequences,
    test: LabelledSequences | None = None,
    cfg: FinetuneConfig | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    quiet: bool = False,
) -> FinetuneResult:
    """Fine-tune a classifier from ``model_dir`` and report dev/test metrics.

    Args:
        model_dir: a pretrained checkpoint directory (varkg or Hugging Face masked LM).
        tokenizer: the checkpoint's tokenizer.
        train, dev, test: labelled sequences; labels are 0..K-1.
        cfg: settings (defaults: full fine-tuning, mean pooling).
        out: where to save the fine-tuned model (or adapter), tokenizer and ``metrics.json``.
        device: ``auto``, ``cpu`` or ``cuda``.
        quiet: no progress bar.

    Raises:
        ModelError: labels outside 0..K-1 in dev/test, or an unknown method.
    """
    import torch
    from tqdm.auto import tqdm

    from varkg.lm.runtime import pick_device, set_seed

    cfg = cfg or FinetuneConfig()
    set_seed(cfg.seed)
    k = int(train.labels.max()) + 1
    for split in (dev, test):
        if split is not None and len(split) and (split.labels.min() < 0 or split.labels.max() >= k):
            raise ModelError(f"labels of {split.path!r} fall outside 0..{k - 1} seen in training")
    dev_t = pick_device(device)  # type: ignore[arg-type]
    model = load_classifier(model_dir, num_labels=k, cfg=cfg).to(dev_t)
    n_params = sum(p.numel() for p in model.parameters())
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    rows = _tokenise(tokenizer, train.sequences, cfg.max_tokens)
    rc_rows = _tokenise(tokenizer, [reverse_complement(s) for s in train.sequences], cfg.max_tokens) if cfg.rc_augment else None
    y = torch.as_tensor(train.labels)
    steps_per_epoch = math.ceil(len(rows) / cfg.batch_size)
    total = max(1, int(round(cfg.epochs * steps_per_epoch)))
    warm = max(1, int(cfg.warmup_frac * total))
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr, weight_decay=cfg.weight_decay)
    t0 = time.perf_counter()

    def lr_factor(s: int) -> float:
        """Linear warm-up, then linear decay to 0 at the end of the run: the last step or, with
        ``max_seconds``, the time limit, whichever comes first (so a time-capped run still anneals)."""
        if s < warm:
            return (s + 1) / warm
        done = (s - warm) / max(1, total - warm)
        if cfg.max_seconds:
            done = max(done, (time.perf_counter() - t0) / cfg.max_seconds)
        return max(0.0, 1.0 - done)

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    eval_every = max(1, steps_per_epoch // max(1, cfg.evals_per_epoch))
    rng = np.random.default_rng(cfg.seed)
    best: tuple[float, int, dict[str, Any] | None] = (-2.0, 0, None)
    dev_metrics: dict[str, float] = {}
    step = 0
    bar = tqdm(total=total, disable=quiet, desc=f"finetune ({cfg.method})", unit="step")
    model.train()
    order = rng.permutation(len(rows))
    pos = 0
    while step < total:
        if pos >= len(order):
            order, pos = rng.permutation(len(rows)), 0
        idx = order[pos : pos + cfg.batch_size]
        pos += cfg.batch_size
        if rc_rows is not None:
            flip = rng.random(len(idx)) < 0.5
            batch = [rc_rows[i] if f else rows[i] for i, f in zip(idx, flip, strict=True)]
        else:
            batch = [rows[i] for i in idx]
        ids, mask = _collate(batch, tokenizer.pad_token_id)
        with torch.autocast(device_type=dev_t.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = model(input_ids=ids.to(dev_t), attention_mask=mask.to(dev_t), labels=y[idx].to(dev_t)).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        bar.update(1)
        timed_out = cfg.max_seconds is not None and time.perf_counter() - t0 > cfg.max_seconds
        if step % eval_every == 0 or step == total or timed_out:
            m = classification_metrics(
                dev.labels,
                predict_proba(model, tokenizer, dev.sequences, max_tokens=cfg.max_tokens, rc_average=cfg.rc_test),
            )
            if m["mcc"] > best[0]:
                state = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
                best = (m["mcc"], step, state)
                dev_metrics = m
            bar.set_postfix(dev_mcc=f"{m['mcc']:.3f}", loss=f"{float(loss.detach()):.3f}")
        if timed_out:
            break
    bar.close()
    seconds = time.perf_counter() - t0
    if best[2] is not None:
        with torch.no_grad():
            params = dict(model.named_parameters())
            for n, v in best[2].items():
                params[n].copy_(v)
    test_metrics: dict[str, float] = {}
    test_probs = None
    if test is not None and len(test):
        test_probs = predict_proba(model, tokenizer, test.sequences, max_tokens=cfg.max_tokens, rc_average=cfg.rc_test)
        test_metrics = classification_metrics(test.labels, test_probs)
    result = FinetuneResult(dev_metrics, test_metrics, seconds, step, n_params, n_train, test_probs)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        (out / "metrics.json").write_text(
            json.dumps(
                {
                    "dev": dev_metrics,
                    "test": test_metrics,
                    "seconds": seconds,
                    "steps": step,
                    "best_step": best[1],
                    "n_parameters": n_params,
                    "n_trainable": n_train,
                    "config": asdict(cfg),
                    "base_model": str(model_dir),
                },
                indent=2,
            )
        )
    return result


__all__ = ["FinetuneConfig", "FinetuneResult", "classification_metrics", "finetune", "load_classifier", "predict_proba"]
