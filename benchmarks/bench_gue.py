"""GUE benchmark: our DNA LM (pretrained here, fine-tuned) vs a k-mer TF-IDF + logistic regression.

Usage::

    python benchmarks/bench_gue.py --data ../shared/data/gue --tasks prom_prom_core_tata,tf_0

DIR holds one folder per task with ``train.csv``, ``dev.csv``, ``test.csv`` (``sequence,label``).
Prints one JSON line per task and model::

    {"task": ..., "model": "varkg" | "kmer-tfidf-lr", "mcc": <test MCC x 100>, "train_s": ...,
     "dnabert2_published": <MCC x 100 or null>, ...}

The varkg model is pretrained once (masked LM on the reference FASTA windows plus the training
sequences of the tasks named in --tasks), cached under --cache keyed by its settings and inputs,
and reused by every task of the run and by later runs (``"pretrain_cached": true`` says so).
Published DNABERT-2 numbers are read from the GUE README table (DIR/README.md or DIR/../README.md).

Settings measured best here (docs/lm.md, "Measured here"): pretrain once with
``--pretrain-tasks <all tasks> --pretrain-window 128 --pretrain-steps 100000 --pretrain-seconds 480``;
TF-binding tasks ``--pooling meanmax --rc --lr 1e-3``; TSS-anchored promoter windows
``--pooling bins --lr 1e-3`` without ``--rc`` (the reverse complement moves the TSS).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import sys
import time
from pathlib import Path

SHARED = Path(os.environ.get("VARKG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def published_numbers(data: Path) -> dict[str, float]:
    """Task → published DNABERT-2 MCC×100 from a markdown table row ``| task (...) | n | 74.17 | ...``."""
    out: dict[str, float] = {}
    for readme in (data / "README.md", data.parent / "README.md"):
        if not readme.exists():
            continue
        in_gue = readme.parent == data
        for line in readme.read_text().splitlines():
            if line.startswith("## "):
                in_gue = "gue" in line.lower()
            if not in_gue or not line.startswith("|"):
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) < 3:
                continue
            name = cells[0].split()[0] if cells[0] else ""
            try:
                out.setdefault(name, float(cells[2]))
            except ValueError:
                continue
    return out


def kmer_baseline(train, dev, test, *, seed: int) -> tuple[float, float, dict]:
    """k-mer (3..6) TF-IDF + logistic regression; C chosen on dev. Returns (test MCC, seconds, params)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import matthews_corrcoef

    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, lowercase=False)
    xtr = vec.fit_transform(train.sequences)
    xdv, xte = vec.transform(dev.sequences), vec.transform(test.sequences)
    best = (-2.0, None, None)
    for c in (0.1, 1.0, 10.0):
        clf = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(xtr, train.labels)
        m = matthews_corrcoef(dev.labels, clf.predict(xdv))
        if m > best[0]:
            best = (m, c, clf)
    mcc = matthews_corrcoef(test.labels, best[2].predict(xte))
    return 100 * mcc, time.perf_counter() - t0, {"C": best[1], "k": "3-6", "n_features": xtr.shape[1]}


def parse_epochs(spec: str):
    """``"2"`` or ``"tf_0=2,mouse_0=10,4"`` → a function task → epochs (bare number = default, else 4)."""
    default, per = 4.0, {}
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        name, _, value = part.rpartition("=")
        try:
            number = float(value)
        except ValueError:
            raise SystemExit(f"--epochs: {part!r} is not a number or task=number") from None
        if name:
            per[name] = number
        else:
            default = number
    return lambda task: per.get(task, default)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--tasks", required=True, help="comma-separated task folder names")
    ap.add_argument("--reference", default=str(SHARED / "reference" / "*.fa*"), help="FASTA glob")
    ap.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("VARKG_CACHE", "~/.cache/varkg")).expanduser() / "bench_gue"
    )
    ap.add_argument("--models", default="varkg,kmer-tfidf-lr")
    ap.add_argument("--checkpoint", type=Path, help="reuse this pretrained checkpoint instead of the cached one")
    ap.add_argument("--tokenizer", choices=["char", "bpe"], default="char")
    ap.add_argument("--merges", type=int, default=500, help="BPE merges (with --tokenizer bpe)")
    ap.add_argument("--size", default="mini")
    ap.add_argument("--pretrain-steps", type=int, default=600)
    ap.add_argument("--pretrain-seconds", type=float, default=300.0)
    ap.add_argument("--pretrain-batch", type=int, default=32)
    ap.add_argument(
        "--pretrain-window",
        type=int,
        default=None,
        help="pretraining window in tokens' bp (default: the longest training sequence, at most 512; "
        "ALiBi lets the model run on longer sequences than it was pretrained on)",
    )
    ap.add_argument("--finetune-seconds", type=float, default=720.0)
    ap.add_argument(
        "--epochs",
        default="4",
        help="fine-tuning epochs: a number for every task, or per task as 'tf_0=2,mouse_0=10,4' "
        "(the bare number is the default for the others)",
    )
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--method", default="full", choices=["full", "lora", "prefix", "prompt"])
    ap.add_argument("--pooling", default="mean", choices=["mean", "cls", "max", "meanmax", "bins"])
    ap.add_argument("--bins", type=int, default=6, help="stretches per window for --pooling bins")
    ap.add_argument("--rc", action="store_true", help="reverse-complement augmentation + strand-averaged predictions")
    ap.add_argument(
        "--pretrain-tasks",
        default=None,
        help="comma-separated tasks whose training sequences join pretraining (default: --tasks); "
        "name all tasks to build one checkpoint shared by runs of single tasks",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    import torch

    from varkg.lm.data import read_sequence_csv
    from varkg.lm.finetune import FinetuneConfig, finetune
    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.tokenizer import single_nucleotide_tokenizer, train_bpe_tokenizer

    torch.set_num_threads(args.threads)
    tasks = [t for t in args.tasks.split(",") if t]
    epochs = parse_epochs(args.epochs)
    pre_tasks = [t for t in (args.pretrain_tasks or args.tasks).split(",") if t]
    published = published_numbers(args.data)
    models = set(args.models.split(","))
    splits = {
        t: {s: read_sequence_csv(args.data / t / f"{s}.csv") for s in ("train", "dev", "test")}
        for t in dict.fromkeys(tasks + pre_tasks)
    }
    hardware = f"{torch.get_num_threads()} CPU threads" + (
        f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ", no GPU"
    )

    ckpt = None
    pre_info: dict = {}
    if "varkg" in models:
        refs = sorted(p for p in glob.glob(args.reference) if not p.endswith((".fai", ".gzi")))
        window = args.pretrain_window or min(512, max(max(len(s) for s in splits[t]["train"].sequences) for t in pre_tasks))
        cfg = PretrainConfig(
            size=args.size,
            window_bp=window,
            steps=args.pretrain_steps,
            batch_size=args.pretrain_batch,
            seed=args.seed,
            max_seconds=args.pretrain_seconds,
            save_every=100,
            lr=1e-3,
            csv_fraction=0.5,
        )
        import varkg.lm.modeling as modeling
        import varkg.lm.pretrain as pretrain_mod

        code = hashlib.sha256(Path(modeling.__file__).read_bytes() + Path(pretrain_mod.__file__).read_bytes()).hexdigest()
        key = json.dumps(
            {
                "refs": [(Path(p).name, os.path.getsize(p)) for p in refs],
                "tasks": sorted(pre_tasks),
                "code": code,
                "cfg": cfg.__dict__,
                "tok": args.tokenizer,
                "merges": args.merges,
            },
            sort_keys=True,
            default=str,
        )
        ckpt = args.checkpoint or args.cache / hashlib.sha256(key.encode()).hexdigest()[:16]
        cached = (ckpt / "pretrain_args.json").exists()
        seqs = [s for t in pre_tasks for s in splits[t]["train"].sequences]
        if not cached:
            if args.tokenizer == "char":
                tok = single_nucleotide_tokenizer()
            else:
                tok = train_bpe_tokenizer(seqs, merges=args.merges)
            res = pretrain(out=ckpt, tokenizer=tok, cfg=cfg, fasta_paths=refs, sequences=seqs, quiet=args.quiet)
            pre_s, n_params, steps = res.seconds, res.n_parameters, res.steps
        else:
            info = json.loads((ckpt / "pretrain_args.json").read_text())
            pre_s, n_params, steps = info["seconds"], info["n_parameters"], info["steps_done"]
        data_file = ckpt / "bench_pretrain_data.txt"
        if not cached:
            data_file.write_text(f"{len(refs)} reference FASTA + train sequences of {','.join(sorted(pre_tasks))}")
        pre_info = {
            "pretrain_cached": cached,
            "pretrain_s": round(pre_s, 1),
            "pretrain_steps": steps,
            "pretrain_data": data_file.read_text() if data_file.exists() else "unknown",
            "params": n_params,
            "size": args.size,
            "tokenizer": args.tokenizer,
            "checkpoint": str(ckpt),
        }
        print(json.dumps({"name": "gue_pretrain", **pre_info}), flush=True)

    for t in tasks:
        sp = splits[t]
        pub = published.get(t)
        if "kmer-tfidf-lr" in models:
            mcc, secs, params = kmer_baseline(sp["train"], sp["dev"], sp["test"], seed=args.seed)
            print(
                json.dumps(
                    {
                        "task": t,
                        "model": "kmer-tfidf-lr",
                        "mcc": round(mcc, 2),
                        "train_s": round(secs, 1),
                        "dnabert2_published": pub,
                        "params": params,
                        "hardware": hardware,
                    }
                ),
                flush=True,
            )
        if "varkg" in models:
            from varkg.lm.tokenizer import load_tokenizer

            tok = load_tokenizer(str(ckpt))
            fcfg = FinetuneConfig(
                method=args.method,
                pooling=args.pooling,
                bins=args.bins,
                epochs=epochs(t),
                lr=args.lr,
                rc_augment=args.rc,
                rc_test=args.rc,
                max_seconds=args.finetune_seconds,
                seed=args.seed,
                evals_per_epoch=2,
            )
            r = finetune(ckpt, tok, train=sp["train"], dev=sp["dev"], test=sp["test"], cfg=fcfg, quiet=args.quiet)
            print(
                json.dumps(
                    {
                        "task": t,
                        "model": "varkg",
                        "mcc": round(100 * r.test["mcc"], 2),
                        "train_s": round(r.seconds + (0.0 if pre_info["pretrain_cached"] else pre_info["pretrain_s"]), 1),
                        "finetune_s": round(r.seconds, 1),
                        "dnabert2_published": pub,
                        "test": {k: round(v, 4) for k, v in r.test.items()},
                        "dev_mcc": round(100 * r.dev["mcc"], 2),
                        "finetune_steps": r.steps,
                        "method": args.method,
                        "pooling": args.pooling,
                        "bins": args.bins if args.pooling == "bins" else None,
                        "rc": args.rc,
                        "epochs": epochs(t),
                        "lr": args.lr,
                        "n_trainable": r.n_trainable,
                        "hardware": hardware,
                        **pre_info,
                    }
                ),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
