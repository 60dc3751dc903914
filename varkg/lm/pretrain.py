"""Masked-language-model pretraining on DNA windows.

Batches are random windows of the reference FASTA(s) and random (cropped)
sequences from CSV files, drawn by a generator seeded with ``(seed, step)``: the
data of step *k* is the same whether the run was resumed or not, and with the
saved torch RNG state a resumed run continues exactly.

Masking is whole-token (BPE tokens are masked as units, never split): 15 % of
the non-special, non-N tokens are chosen; 80 % of those become ``[MASK]``, 10 %
a random base token, 10 % stay. Each sequence is reverse-complemented with
probability ``rc_prob``. Windows with more than ``max_n_fraction`` N are redrawn;
N tokens are never prediction targets.

Output directory layout::

    out/config.json, model.safetensors, tokenizer.json ...   final model (from_pretrained-able)
    out/checkpoint/                                          last checkpoint + trainer_state.pt
    out/loss.csv, out/loss.png                               the loss curve
    out/pretrain_args.json                                   the settings of the run
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from varkg.dna import reverse_complement
from varkg.errors import InputError, ModelError
from varkg.lm.data import FastaReader, check_dna, random_windows, read_sequence_csv
from varkg.lm.runtime import flushes_denormals


@dataclass
class PretrainConfig:
    """Settings of a pretraining run.

    Attributes:
        size: model size preset (``tiny``, ``mini``, ``small``, ``medium``, ``base``).
        window_bp: length of FASTA windows in bp; CSV sequences longer than this are cropped.
        csv_fraction: fraction of each batch drawn from CSV sequences (when CSVs are given).
        steps: optimiser steps.
        batch_size: sequences per step.
        lr: peak AdamW learning rate (linear warm-up, cosine decay to 10 %).
        warmup_steps: warm-up steps.
        weight_decay: AdamW weight decay.
        mask_prob: fraction of eligible tokens chosen as targets.
        rc_prob: probability of reverse-complementing a sequence.
        max_n_fraction: windows with more N than this fraction are redrawn.
        seed: seed for data, masking and initialisation.
        save_every: write a resumable checkpoint every this many steps.
        max_seconds: stop early after this many seconds of training (``None``: no limit).
        dropout: hidden dropout of the model.
        model_overrides: extra :class:`VarkgDnaConfig` fields.
        bf16: run the forward pass under bfloat16 autocast (weights and optimiser state stay
            float32). Faster only on hardware with bf16 arithmetic (AVX-512 BF16 / AMX CPUs,
            recent GPUs); a speed setting, so a run may resume with it changed. Off by default.
    """

    size: str = "mini"
    window_bp: int = 200
    csv_fraction: float = 0.5
    steps: int = 1000
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 50
    weight_decay: float = 0.01
    mask_prob: float = 0.15
    rc_prob: float = 0.5
    max_n_fraction: float = 0.1
    seed: int = 0
    save_every: int = 200
    max_seconds: float | None = None
    dropout: float = 0.0
    model_overrides: dict[str, Any] = field(default_factory=dict)
    bf16: bool = False


RESUME_MAY_CHANGE = ("steps", "max_seconds", "bf16")  # length and speed settings; the rest must match on resume


def _fixed_settings(cfg: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cfg.items() if k not in RESUME_MAY_CHANGE}


@dataclass(frozen=True)
class PretrainResult:
    """What a pretraining run produced."""

    model_dir: Path
    steps: int
    final_loss: float
    seconds: float
    n_parameters: int


class SequenceSampler:
    """Draws training sequences from FASTA windows and CSV sequences, deterministically per step."""

    def __init__(
        self,
        *,
        fasta_paths: Sequence[str | Path] = (),
        csv_paths: Sequence[str | Path] = (),
        sequences: Sequence[str] = (),
        window_bp: int,
        csv_fraction: float,
        max_n_fraction: float,
        seed: int,
    ) -> None:
        self.fastas = [FastaReader(p) for p in fasta_paths]
        pool: list[str] = [check_dna(s, source="sequences") for s in sequences]
        for p in csv_paths:
            pool.extend(read_sequence_csv(p, label_field=None).sequences)
        self.pool = pool
        if not self.fastas and not self.pool:
            raise InputError("pretraining needs at least one FASTA file or sequence CSV")
        self.window_bp = window_bp
        self.csv_fraction = csv_fraction if self.fastas else 1.0
        if not self.pool:
            self.csv_fraction = 0.0
        self.max_n_fraction = max_n_fraction
        self.seed = seed

    def batch(self, step: int, size: int, *, rc_prob: float) -> list[str]:
        """The ``size`` sequences of step ``step`` (same for a given seed and step)."""
        rng = np.random.default_rng([self.seed, step])
        n_csv = int(rng.binomial(size, self.csv_fraction)) if 0 < self.csv_fraction < 1 else int(size * self.csv_fraction)
        out: list[str] = []
        for _ in range(n_csv):
            s = self.pool[int(rng.integers(len(self.pool)))]
            if len(s) > self.window_bp:
                a = int(rng.integers(0, len(s) - self.window_bp + 1))
                s = s[a : a + self.window_bp]
            out.append(s)
        n_fa = size - n_csv
        if n_fa:
            per = np.bincount(rng.integers(len(self.fastas), size=n_fa), minlength=len(self.fastas))
            for fa, k in zip(self.fastas, per, strict=True):
                if k:
                    out.extend(random_windows(fa, length=self.window_bp, n=int(k), rng=rng, max_n_fraction=self.max_n_fraction))
        flips = rng.random(len(out)) < rc_prob
        return [reverse_complement(s) if f else s for s, f in zip(out, flips, strict=True)]


def mask_tokens(
    input_ids: Any,
    *,
    special_mask: Any,
    no_target_ids: Sequence[int],
    mask_token_id: int,
    random_token_ids: Sequence[int],
    mask_prob: float,
    generator: Any,
) -> tuple[Any, Any]:
    """Whole-token BERT masking.

    Args:
        input_ids: ``(batch, tokens)`` long tensor.
        special_mask: ``(batch, tokens)`` 1 where the token is special or padding.
        no_target_ids: token ids never chosen as targets (e.g. N tokens).
        mask_token_id: id of ``[MASK]``.
        random_token_ids: ids used for the 10 % random replacements.
        mask_prob: fraction of eligible tokens chosen.
        generator: a :class:`torch.Generator` (determinism).

    Returns:
        ``(masked_input_ids, labels)``; labels are -100 where nothing is predicted.
    """
    import torch

    eligible = ~special_mask.bool()
    for t in no_target_ids:
        eligible &= input_ids != t
    probs = torch.rand(input_ids.shape, generator=generator)
    chosen = (probs < mask_prob) & eligible
    # make sure every sequence with an eligible token has at least one target
    none = ~chosen.any(1) & eligible.any(1)
    if none.any():
        scores = torch.where(eligible, probs, torch.full_like(probs, 2.0))
        first = scores.argmin(1)
        rows = torch.nonzero(none).squeeze(1)
        chosen[rows, first[rows]] = True
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    r = torch.rand(input_ids.shape, generator=generator)
    masked = input_ids.clone()
    masked[chosen & (r < 0.8)] = mask_token_id
    rand_sel = chosen & (r >= 0.8) & (r < 0.9)
    if rand_sel.any():
        choices = torch.tensor(list(random_token_ids), dtype=input_ids.dtype)
        idx = torch.randint(len(choices), (int(rand_sel.sum()),), generator=generator)
        masked[rand_sel] = choices[idx]
    return masked, labels


def n_token_ids(tokenizer: Any) -> list[int]:
    """Ids of tokens made only of N (never prediction targets)."""
    return sorted(i for t, i in tokenizer.get_vocab().items() if t and set(t) == {"N"})


def base_token_ids(tokenizer: Any) -> list[int]:
    """Ids of ordinary tokens (A/C/G/T only), used for random replacement."""
    return sorted(i for t, i in tokenizer.get_vocab().items() if t and set(t) <= set("ACGT"))


def encode(tokenizer: Any, seqs: Sequence[str], *, max_tokens: int | None = None) -> dict[str, Any]:
    """Tokenise a batch to padded tensors (with ``special_tokens_mask``)."""
    return tokenizer(
        list(seqs),
        padding=True,
        truncation=max_tokens is not None,
        max_length=max_tokens,
        return_tensors="pt",
        return_special_tokens_mask=True,
    )


def _lr_lambda(cfg: PretrainConfig, total: int):
    def f(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / max(1, cfg.warmup_steps)
        frac = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))

    return f


@flushes_denormals
def pretrain(
    *,
    out: str | Path,
    tokenizer: Any,
    cfg: PretrainConfig,
    fasta_paths: Sequence[str | Path] = (),
    csv_paths: Sequence[str | Path] = (),
    sequences: Sequence[str] = (),
    resume: bool = True,
    device: str = "auto",
    quiet: bool = False,
) -> PretrainResult:
    """Pretrain a varkg masked LM and save it (with its tokenizer) to ``out``.

    Args:
        out: output directory (created).
        tokenizer: a varkg tokenizer (see :mod:`varkg.lm.tokenizer`).
        cfg: run settings.
        fasta_paths: reference FASTA files (plain, gzip or bgzip).
        csv_paths: CSV files with a ``sequence`` column.
        sequences: extra in-memory sequences (treated like CSV sequences).
        resume: continue from ``out/checkpoint`` when it exists.
        device: ``auto`` (GPU when present), ``cpu`` or ``cuda``.
        quiet: no progress bar.

    Raises:
        InputError: no usable input.
        ModelError: a checkpoint in ``out`` does not match the settings.
    """
    import torch

    from varkg.lm.modeling import VarkgDnaConfig, VarkgDnaForMaskedLM
    from varkg.lm.runtime import pick_device, quiet_transformers, set_seed

    quiet_transformers()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    dev = pick_device(device)  # type: ignore[arg-type]
    set_seed(cfg.seed)
    sampler = SequenceSampler(
        fasta_paths=fasta_paths,
        csv_paths=csv_paths,
        sequences=sequences,
        window_bp=cfg.window_bp,
        csv_fraction=cfg.csv_fraction,
        max_n_fraction=cfg.max_n_fraction,
        seed=cfg.seed,
    )
    ckpt = out / "checkpoint"
    state_file = ckpt / "trainer_state.pt"
    start_step = 0
    losses: list[tuple[int, float]] = []
    if resume and state_file.exists():
        model = VarkgDnaForMaskedLM.from_pretrained(str(ckpt))
        state = torch.load(state_file, weights_only=False)
        if _fixed_settings(state["cfg"]) != _fixed_settings(asdict(cfg)):
            raise ModelError(f"checkpoint {str(ckpt)!r} was written with different settings; use a new --out or --no-resume")
        start_step = int(state["step"])
        losses = [tuple(x) for x in state["losses"]]
    else:
        config = VarkgDnaConfig.from_size(
            cfg.size,  # type: ignore[arg-type]
            vocab_size=len(tokenizer),
            max_position_embeddings=cfg.window_bp + 2,
            hidden_dropout_prob=cfg.dropout,
            **cfg.model_overrides,
        )
        model = VarkgDnaForMaskedLM(config)
        state = None
    model.to(dev).train()  # type: ignore[arg-type]  # transformers' decorator annotates .to() for models only
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(cfg, cfg.steps))
    gen = torch.Generator().manual_seed(cfg.seed)
    if state is not None:
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        gen.set_state(state["mask_rng"])
        torch.set_rng_state(state["torch_rng"])
    no_target = n_token_ids(tokenizer)
    rand_ids = base_token_ids(tokenizer)
    max_tokens = cfg.window_bp + 2
    n_params = sum(p.numel() for p in model.parameters())

    def save_checkpoint(step: int) -> None:
        ckpt.mkdir(exist_ok=True)
        model.save_pretrained(str(ckpt))
        tokenizer.save_pretrained(str(ckpt))
        torch.save(
            {
                "step": step,
                "cfg": asdict(cfg),
                "optimizer": opt.state_dict(),
                "scheduler": sched.state_dict(),
                "mask_rng": gen.get_state(),
                "torch_rng": torch.get_rng_state(),
                "losses": losses,
            },
            state_file,
        )

    from tqdm.auto import tqdm

    t0 = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=start_step, disable=quiet, desc="pretrain", unit="step")
    step = start_step
    for step in range(start_step, cfg.steps):
        seqs = sampler.batch(step, cfg.batch_size, rc_prob=cfg.rc_prob)
        enc = encode(tokenizer, seqs, max_tokens=max_tokens)
        ids, labels = mask_tokens(
            enc["input_ids"],
            special_mask=enc["special_tokens_mask"],
            no_target_ids=no_target,
            mask_token_id=tokenizer.mask_token_id,
            random_token_ids=rand_ids,
            mask_prob=cfg.mask_prob,
            generator=gen,
        )
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = model(input_ids=ids.to(dev), attention_mask=enc["attention_mask"].to(dev), labels=labels.to(dev)).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append((step + 1, float(loss.detach())))
        bar.update(1)
        if not quiet and (step + 1) % 10 == 0:
            bar.set_postfix(loss=f"{np.mean([x[1] for x in losses[-20:]]):.3f}")
        if (step + 1) % cfg.save_every == 0:
            save_checkpoint(step + 1)
        if cfg.max_seconds is not None and time.perf_counter() - t0 > cfg.max_seconds:
            step += 1
            break
    else:
        step = cfg.steps
    bar.close()
    seconds = time.perf_counter() - t0
    save_checkpoint(step)
    model.eval()
    model.config.max_position_embeddings = max_tokens
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    (out / "pretrain_args.json").write_text(
        json.dumps(
            asdict(cfg)
            | {"steps_done": step, "seconds": seconds, "n_parameters": n_params}
            # lineage: what the model saw (file names as given, and the count of in-memory sequences)
            | {"fasta_paths": [str(p) for p in fasta_paths], "csv_paths": [str(p) for p in csv_paths]}
            | {"n_extra_sequences": len(sequences)},
            indent=2,
        )
    )
    write_loss_curve(losses, out)
    final = float(np.mean([x[1] for x in losses[-20:]])) if losses else float("nan")
    return PretrainResult(out, step, final, seconds, n_params)


def write_loss_curve(losses: Sequence[tuple[int, float]], out: Path) -> None:
    """Write ``loss.csv`` and ``loss.png`` (raw and smoothed masked-LM loss per step)."""
    with open(out / "loss.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["step", "loss"])
        w.writerows(losses)
    if not losses:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.array([x[0] for x in losses])
    vals = np.array([x[1] for x in losses])
    k = max(1, len(vals) // 50)
    smooth = np.convolve(vals, np.ones(k) / k, mode="valid")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(steps, vals, alpha=0.3, lw=0.8, label="loss")
    ax.plot(steps[k - 1 :], smooth, lw=1.5, label=f"mean of {k}")
    ax.set_xlabel("step")
    ax.set_ylabel("masked-LM cross-entropy (nats)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "loss.png", dpi=100)
    plt.close(fig)
