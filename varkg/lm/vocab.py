"""GROVER-style vocabulary selection: pick the BPE merge count by next-k-mer prediction.

For each merge count in a sweep (e.g. 50..2000):

1. train a BPE tokenizer on reference windows (:func:`varkg.lm.tokenizer.train_bpe_tokenizer`);
2. pretrain a small masked LM with it, briefly (:func:`varkg.lm.pretrain.pretrain`);
3. fine-tune that model to predict the next k-mer (one head per k, ``4**k`` classes, k = 2..6)
   that follows a fixed-length context of ``context_bp`` bases;
4. measure next-k-mer accuracy on held-out windows.

Training contexts come from the first ``1 - holdout_fraction`` of every FASTA record, held-out
contexts from the rest, so no evaluation window overlaps a training window. The vocabulary
with the best mean accuracy over k is chosen (GROVER, Sanabria et al. 2024, chose its
vocabulary the same way). Coordinates are 0-based half-open.
"""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from varkg.dna import BASE_INDEX
from varkg.errors import InputError
from varkg.lm.data import FastaReader


@dataclass
class VocabSweepConfig:
    """Settings of the sweep.

    Attributes:
        merges: BPE merge counts to try.
        kmers: the k of the next-k-mer tasks.
        context_bp: bases of context before the k-mer.
        tokenizer_windows: windows used to train each BPE tokenizer.
        tokenizer_window_bp: their length in bp.
        size: model size preset for the brief pretraining.
        pretrain_steps, pretrain_batch: brief masked-LM pretraining.
        probe_steps, probe_batch, probe_lr: next-k-mer fine-tuning.
        probe_train, probe_test: numbers of training and held-out contexts.
        holdout_fraction: tail fraction of every record kept for held-out contexts.
        seed: seed for windows, pretraining and fine-tuning.
    """

    merges: Sequence[int] = (50, 200, 500, 1000, 2000)
    kmers: Sequence[int] = (2, 3, 4, 5, 6)
    context_bp: int = 96
    tokenizer_windows: int = 2000
    tokenizer_window_bp: int = 500
    size: str = "mini"
    pretrain_steps: int = 80
    pretrain_batch: int = 32
    probe_steps: int = 120
    probe_batch: int = 64
    probe_lr: float = 1e-3
    probe_train: int = 6000
    probe_test: int = 2000
    holdout_fraction: float = 0.2
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VocabSweepResult:
    """The sweep table (one row per merge count), the chosen merge count and where it was saved."""

    rows: list[dict[str, Any]]
    chosen_merges: int
    tokenizer_dir: Path


def kmer_class(kmer: str) -> int:
    """Index of an ACGT k-mer in ``0 .. 4**k - 1`` (lexicographic, A < C < G < T).

    >>> kmer_class("AA"), kmer_class("AC"), kmer_class("TT")
    (0, 1, 15)
    """
    v = 0
    for b in kmer:
        v = v * 4 + BASE_INDEX[b]
    return v


def _region_windows(fasta: FastaReader, *, length: int, n: int, rng: np.random.Generator, part: str, holdout: float) -> list[str]:
    recs = [(k, v) for k, v in fasta.lengths.items() if v * holdout > length]
    if not recs:
        raise InputError(f"no record of {str(fasta.path)!r} is long enough for {length}-bp windows")
    out: list[str] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise InputError(f"too few N-free {length}-bp windows in {str(fasta.path)!r}")
        name, size = recs[int(rng.integers(len(recs)))]
        cut = int(size * (1 - holdout))
        lo, hi = (0, cut - length) if part == "train" else (cut, size - length)
        start = int(rng.integers(lo, hi))
        seq = fasta.fetch(name, start, start + length)
        if "N" not in seq:
            out.append(seq)
    return out


class _KmerProbe:
    """Encoder + one linear head per k over [mean-pooled; last real token]."""

    def __init__(self, encoder: Any, hidden: int, kmers: Sequence[int]) -> None:
        import torch

        self.encoder = encoder
        self.heads = torch.nn.ModuleList([torch.nn.Linear(2 * hidden, 4**k) for k in kmers])

    def parameters(self):
        return itertools.chain(self.encoder.parameters(), self.heads.parameters())

    def logits(self, ids: Any, mask: Any) -> list[Any]:
        import torch

        h = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        mean = (h * m).sum(1) / m.sum(1)
        last = h[torch.arange(h.shape[0]), mask.sum(1) - 2]  # the token before [SEP]
        z = torch.cat([mean, last], dim=-1)
        return [head(z) for head in self.heads]


def next_kmer_accuracy(
    model_dir: Path, tokenizer: Any, train: list[str], test: list[str], cfg: VocabSweepConfig
) -> dict[int, float]:
    """Fine-tune the pretrained model in ``model_dir`` on next-k-mer prediction; held-out accuracy per k."""
    import torch

    from varkg.lm.modeling import VarkgDnaForMaskedLM

    lm = VarkgDnaForMaskedLM.from_pretrained(str(model_dir))
    probe = _KmerProbe(lm.model, lm.config.hidden_size, cfg.kmers)
    kmax = max(cfg.kmers)

    def encode(windows: list[str]) -> tuple[Any, Any, Any]:
        ctx = [w[: cfg.context_bp] for w in windows]
        enc = tokenizer(ctx, padding=True, return_tensors="pt")
        y = torch.tensor([[kmer_class(w[cfg.context_bp : cfg.context_bp + k]) for k in cfg.kmers] for w in windows])
        return enc["input_ids"], enc["attention_mask"], y

    for w in train[:1] + test[:1]:
        assert len(w) >= cfg.context_bp + kmax
    xtr, mtr, ytr = encode(train)
    xte, mte, yte = encode(test)
    opt = torch.optim.AdamW(probe.parameters(), lr=cfg.probe_lr, weight_decay=0.01)
    gen = torch.Generator().manual_seed(cfg.seed)
    lm.train()
    for _step in range(cfg.probe_steps):
        idx = torch.randint(len(train), (cfg.probe_batch,), generator=gen)
        outs = probe.logits(xtr[idx], mtr[idx])
        loss: torch.Tensor = sum(torch.nn.functional.cross_entropy(o, ytr[idx, j]) for j, o in enumerate(outs))  # type: ignore[assignment]  # outs is non-empty
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(probe.parameters()), 1.0)
        opt.step()
    lm.eval()
    correct = np.zeros(len(cfg.kmers))
    with torch.inference_mode():
        for s in range(0, len(test), 256):
            outs = probe.logits(xte[s : s + 256], mte[s : s + 256])
            for j, o in enumerate(outs):
                correct[j] += float((o.argmax(-1) == yte[s : s + 256, j]).sum())
    return {k: correct[j] / len(test) for j, k in enumerate(cfg.kmers)}


def select_vocab(
    *, fasta_paths: Sequence[str | Path], out: str | Path, cfg: VocabSweepConfig | None = None, quiet: bool = False
) -> VocabSweepResult:
    """Run the sweep; write ``sweep.csv``, ``sweep.png`` and the chosen ``tokenizer/`` under ``out``.

    Raises:
        InputError: no FASTA given or too little sequence for the windows.
    """
    import torch
    from tqdm.auto import tqdm

    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.runtime import quiet_transformers, set_seed
    from varkg.lm.tokenizer import train_bpe_tokenizer

    cfg = cfg or VocabSweepConfig()
    if not fasta_paths:
        raise InputError("select-vocab needs at least one FASTA file")
    quiet_transformers()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fastas = [FastaReader(p) for p in fasta_paths]
    rng = np.random.default_rng(cfg.seed)
    span = cfg.context_bp + max(cfg.kmers)

    def draw(n: int, length: int, part: str) -> list[str]:
        per = np.bincount(rng.integers(len(fastas), size=n), minlength=len(fastas))
        return [
            w
            for fa, k in zip(fastas, per, strict=True)
            for w in _region_windows(fa, length=length, n=int(k), rng=rng, part=part, holdout=cfg.holdout_fraction)
        ]

    tok_windows = draw(cfg.tokenizer_windows, cfg.tokenizer_window_bp, "train")
    probe_train = draw(cfg.probe_train, span, "train")
    probe_test = draw(cfg.probe_test, span, "test")
    rows: list[dict[str, Any]] = []
    for merges in tqdm(list(cfg.merges), disable=quiet, desc="select-vocab", unit="vocab"):
        t0 = time.perf_counter()
        set_seed(cfg.seed)
        tok = train_bpe_tokenizer(tok_windows, merges=merges)
        sample = tok(probe_test[:500], add_special_tokens=False)["input_ids"]
        bp_per_token = span * len(sample) / max(1, sum(len(s) for s in sample))
        run_dir = out / "runs" / f"merges_{merges}"
        res = pretrain(
            out=run_dir,
            tokenizer=tok,
            cfg=PretrainConfig(
                size=cfg.size,
                window_bp=2 * span,
                steps=cfg.pretrain_steps,
                batch_size=cfg.pretrain_batch,
                seed=cfg.seed,
                save_every=10**9,
                warmup_steps=max(1, cfg.pretrain_steps // 10),
            ),
            fasta_paths=fasta_paths,
            resume=False,
            quiet=True,
        )
        torch.manual_seed(cfg.seed)
        acc = next_kmer_accuracy(run_dir, tok, probe_train, probe_test, cfg)
        row: dict[str, Any] = {"merges": merges, "vocab_size": len(tok), "bp_per_token": round(bp_per_token, 3)}
        row |= {f"acc_k{k}": round(a, 4) for k, a in acc.items()}
        row["mean_acc"] = round(float(np.mean(list(acc.values()))), 4)
        row["pretrain_loss"] = round(res.final_loss, 4)
        row["seconds"] = round(time.perf_counter() - t0, 1)
        rows.append(row)
    best = max(rows, key=lambda r: r["mean_acc"])
    with open(out / "sweep.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _plot(rows, cfg, out / "sweep.png", best["merges"])
    tok = train_bpe_tokenizer(tok_windows, merges=best["merges"])
    tok.save_pretrained(str(out / "tokenizer"))
    return VocabSweepResult(rows, int(best["merges"]), out / "tokenizer")


def _plot(rows: list[dict[str, Any]], cfg: VocabSweepConfig, path: Path, chosen: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["merges"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for k in cfg.kmers:
        ax.plot(x, [r[f"acc_k{k}"] / 4.0**-k for r in rows], marker="o", label=f"k={k}")
    ax.axvline(chosen, color="grey", ls="--", lw=1, label=f"chosen: {chosen} merges")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("BPE merges")
    ax.set_ylabel("next-k-mer accuracy / chance (held-out)")
    ax.set_title("Vocabulary selection by next-k-mer prediction")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
