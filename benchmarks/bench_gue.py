"""GUE benchmark: our DNA LM (pretrained here, fine-tuned) vs a k-mer TF-IDF + logistic regression.

Usage::

    python benchmarks/bench_gue.py --data ../shared/data/gue --tasks prom_prom_core_tata,tf_0 --protocol

DIR holds one folder per task with ``train.csv``, ``dev.csv``, ``test.csv`` (``sequence,label``).

Protocol (the same for every task; ``varkg.lm.protocol`` holds the statistics):

1. **Pretraining.** By default the shipped checkpoint ``models/lm-mini-char`` (``make
   lm-checkpoint``: mini size, char tokens, 128 bp windows of both references plus the training
   sequences of the five GUE tasks here, 10,000 steps, about 75 min on this 2-core CPU) is
   fine-tuned and counts as cached pretraining (``"pretrain_source": "shipped (make
   lm-checkpoint)"``). With ``--checkpoint none`` (or a --tokenizer/--size the shipped one does not
   have) a masked LM is pretrained once per settings on the reference FASTA windows plus the
   training sequences of the tasks named in --pretrain-tasks (default --tasks), cached under --cache
   keyed by its settings, inputs and code, and reused by every task, seed and later run
   (``"pretrain_cached": true`` says a run did not pretrain; a given --checkpoint counts as cached).
2. **Selection on dev only, one rule.** Every point of the fixed --grid (default
   ``meanmax+rc,bins,probe``: full fine-tuning with mean‖max pooling, reverse-complement
   augmentation and strand-averaged predictions; full fine-tuning with 6-bin positional pooling
   without; the frozen-encoder probe of ``varkg.lm.probe``, every layer mean+max pooled under an
   MLP head, both strands) is run with the first seed, fine-tuning points at the same --lr,
   --epochs and time cap; the point with the highest dev MCC wins (ties: the earlier point).
   Within a fine-tuning run the checkpoint kept is also the best on dev (the probe keeps its last
   epoch: cosine learning rate to zero, chosen on tf_0/tf_1 dev). Test scores play no part.
3. **Seeds.** The chosen point is fine-tuned with every seed in --seeds (default 0,1,2; the first
   seed's run from step 2 is reused); the row is the mean test MCC × 100 ± standard error
   (sample SD / √n). The k-mer baseline (3–6-mers, TF-IDF, L2 logistic regression with lbfgs; C
   from {0.1, 1, 10} by dev MCC) is deterministic, so it runs once and its SE is 0.
4. **Verdict.** The model beats the baseline on a task when the difference of the means exceeds
   --n-se (default 2) standard errors of the difference, √(SE_lm² + SE_kmer²). --protocol prints a
   summary line with the count, hardware and times.

Budget: the runs of a task (3 grid points + 2 more seeds) share --task-budget-seconds (20 min).
The probe runs first; without --finetune-seconds each fine-tuning run is then capped at (0.9 ×
budget − 60 s for the k-mer baseline − pretraining when it is not cached − the probe's first run)
/ 4 / 1.1 (dev evaluations overrun a cap by up to ~10 %; 4 = the fine-tuning runs if a
fine-tuning point wins), that is 232 s from the shipped checkpoint before the probe's time and
164 s when 300 s of pretraining is built first (``gue_finetune_budget`` prints it before the
probe, the ``varkg`` row the task's cap); ``within_budget`` in the protocol line checks the result. The
caps are wall time, so a slower or loaded machine gets fewer steps (the rows report them).

Output, one JSON line each: ``gue_pretrain``; per fine-tuning run ``gue_run``; per task and model
``{"task", "model": "varkg" | "kmer-tfidf-lr" | "varkg+kmer", "mcc": {"mean", "se", "n"}, "per_seed",
...}``; with --protocol a final ``gue_protocol`` line. ``varkg+kmer`` is a separate model: the
equal-weight mean of the two models' class probabilities for each varkg run (no weights tuned; it
costs no extra training); the protocol verdict (``n_beaten``) is the pure LM's, the ensemble's
is reported beside it (``ensemble_varkg+kmer``). Published DNABERT-2 numbers are read from the GUE
README table (DIR/README.md or DIR/../README.md).
"""

from __future__ import annotations

import argparse
import functools
import glob
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Literal, cast, get_args

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VARKG_SHARED_DATA", REPO.parent / "shared" / "data"))
SHIPPED = REPO / "models" / "lm-mini-char"  # `make lm-checkpoint`: mini, char tokens, 128 bp, 10k steps


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


def resolve_checkpoint(choice: str, *, tokenizer: str, size: str) -> Path | None:
    """The checkpoint --checkpoint names: a directory, the shipped one for 'auto' when it fits, or None."""
    if choice == "none":
        return None
    if choice != "auto":
        path = Path(choice)
        if not (path / "pretrain_args.json").exists():
            raise SystemExit(f"--checkpoint {choice!r}: no pretrain_args.json there (build one with `varkg lm pretrain`)")
        return path
    try:
        info = json.loads((SHIPPED / "pretrain_args.json").read_text())
    except (OSError, ValueError):
        return None
    return SHIPPED if tokenizer == "char" and info.get("size") == size else None


def _pretrain_data(ckpt: Path) -> str:
    """What a checkpoint built by ``varkg lm pretrain`` (e.g. ``make lm-checkpoint``) was trained on."""
    try:
        info = json.loads((ckpt / "pretrain_args.json").read_text())
    except (OSError, ValueError):
        return "unknown"
    fasta = [Path(p).name for p in info.get("fasta_paths", [])]
    csv = [f"{Path(p).parent.name}/{Path(p).name}" for p in info.get("csv_paths", [])]
    return f"{len(fasta)} reference FASTA ({', '.join(fasta)}) + {', '.join(csv) or 'no CSV'}"


def kmer_baseline(train, dev, test) -> tuple[float, float, float, dict, Any]:
    """k-mer (3..6) TF-IDF + logistic regression (lbfgs: deterministic); C chosen on dev.

    Returns (test MCC × 100, dev MCC × 100, seconds, params, test class probabilities)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import matthews_corrcoef

    t0 = time.perf_counter()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(3, 6), sublinear_tf=True, lowercase=False)
    xtr = vec.fit_transform(train.sequences)
    xdv, xte = vec.transform(dev.sequences), vec.transform(test.sequences)
    best: tuple[float, float, Any] = (-2.0, 0.0, None)
    for c in (0.1, 1.0, 10.0):
        clf = LogisticRegression(C=c, max_iter=2000, random_state=0).fit(xtr, train.labels)
        m = matthews_corrcoef(dev.labels, clf.predict(xdv))
        if m > best[0]:
            best = (m, c, clf)
    mcc = matthews_corrcoef(test.labels, best[2].predict(xte))
    params = {"C": best[1], "k": "3-6", "n_features": xtr.shape[1]}
    return 100 * mcc, 100 * best[0], time.perf_counter() - t0, params, best[2].predict_proba(xte)


Pooling = Literal["mean", "cls", "max", "meanmax", "bins"]
GRID_POOLINGS: tuple[str, ...] = get_args(Pooling)


PROBE = "probe"  # grid point: frozen encoder, every layer pooled, MLP head (varkg.lm.probe), strand-averaged


def parse_grid(spec: str) -> dict[str, tuple[str, bool]]:
    """``"meanmax+rc,bins,probe"`` → ``{"meanmax+rc": ("meanmax", True), "bins": ("bins", False),
    "probe": ("probe", True)}`` (order kept; the probe always reads both strands)."""
    out: dict[str, tuple[str, bool]] = {}
    for point in (p.strip() for p in spec.split(",") if p.strip()):
        if point == PROBE:
            out[point] = (PROBE, True)
            continue
        pooling, _, flag = point.partition("+")
        if pooling not in GRID_POOLINGS or flag not in ("", "rc"):
            raise SystemExit(f"--grid: {point!r} is not {PROBE!r}, POOLING or POOLING+rc with POOLING in {GRID_POOLINGS}")
        out[point] = (pooling, flag == "rc")
    if not out:
        raise SystemExit("--grid: no settings given")
    return out


def parse_seeds(spec: str) -> list[int]:
    """``"0,1,2"`` → ``[0, 1, 2]`` (distinct integers)."""
    try:
        seeds = [int(p) for p in spec.split(",") if p.strip()]
    except ValueError:
        raise SystemExit(f"--seeds: {spec!r} is not comma-separated integers") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise SystemExit(f"--seeds: {spec!r} must name at least one seed, each once")
    return seeds


def hardware_info(torch) -> dict:
    """CPU model, threads, GPU, niceness and load average: what the times were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "nice": os.nice(0),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


KMER_RESERVE_S = 60.0  # the k-mer baseline per task (11-13 s measured on the 32k TF sequences) plus margin
OVERRUN = 1.1  # dev evaluations run past a fine-tuning time cap by up to ~10 %


def finetune_budget(*, task_budget_s: float, n_runs: int, pretrain_s: float, spent_s: float = 0.0) -> float:
    """Seconds per fine-tuning run when the runs share what the task budget leaves.

    The budget keeps a 10 % margin and reserves ``KMER_RESERVE_S``; ``pretrain_s`` is the
    pretraining every task pays for when it is not cached (0 for the shipped checkpoint),
    ``spent_s`` what the task has already spent on other grid points (the probe, run first); the
    rest is split over ``n_runs`` (fine-tuning grid points plus the further seeds, as if a
    fine-tuning point wins), each allowed ``OVERRUN``.
    """
    left = 0.9 * task_budget_s - KMER_RESERVE_S - pretrain_s - spent_s
    if n_runs < 1 or left <= 0:
        raise SystemExit(
            f"--task-budget-seconds {task_budget_s:g}: nothing left for {n_runs} fine-tuning runs after "
            f"{pretrain_s:.0f} s of pretraining and {spent_s:.0f} s of probing; pass --finetune-seconds or a larger budget"
        )
    return round(left / n_runs / OVERRUN, 1)


def ensemble_mcc(labels: Any, lm_probs: Any, kmer_probs: Any) -> float:
    """Test MCC x 100 of the varkg+kmer ensemble (equal-weight mean of class probabilities)."""
    from sklearn.metrics import matthews_corrcoef

    from varkg.lm.protocol import ensemble_probabilities

    ens = ensemble_probabilities({"varkg": lm_probs, "kmer-tfidf-lr": kmer_probs})
    return round(100 * float(matthews_corrcoef(labels, ens.argmax(1))), 2)


def probe_run(
    *,
    ckpt: Path,
    task: str,
    splits: dict,
    seed: int,
    args: argparse.Namespace,
    features: dict,
    kmer_test_probs: Any = None,
) -> dict:
    """One probe run (frozen encoder, MLP head) with ``seed``; encoder features are computed on the
    first call and kept in ``features`` for the next seeds. Prints and returns its ``gue_run`` row."""
    from varkg.lm.probe import ProbeConfig, probe

    cfg = ProbeConfig(seed=seed, bf16=args.bf16, epochs=args.probe_epochs)
    r = probe(
        ckpt,
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        cfg=cfg,
        features=features or None,
        quiet=args.quiet,
    )
    features.update(r.features)
    row = {
        "name": "gue_run",
        "task": task,
        "setting": PROBE,
        "seed": seed,
        "dev_mcc": round(100 * r.dev["mcc"], 2),
        "test_mcc": round(100 * r.test["mcc"], 2),
        "finetune_s": round(r.seconds + r.feature_seconds, 1),
        "probe_feature_s": round(r.feature_seconds, 1),
        "probe_head_s": round(r.seconds, 1),
        "probe_kept_epoch": r.best_epoch,
        "probe_epochs": r.epochs,
        "probe_heads": cfg.heads,
        "probe_schedule": cfg.schedule,
        "probe_keep": cfg.keep,
    }
    if kmer_test_probs is not None and r.test_probs is not None:
        row["ensemble_test_mcc"] = ensemble_mcc(splits["test"].labels, r.test_probs, kmer_test_probs)
    print(json.dumps(row), flush=True)
    return {**row, "seconds": r.seconds + r.feature_seconds}


def finetune_run(
    *,
    ckpt: Path,
    tok: Any,
    task: str,
    splits: dict,
    point: str,
    grid: dict,
    seed: int,
    args: argparse.Namespace,
    finetune_seconds: float | None,
    kmer_test_probs: Any = None,
) -> dict:
    """One fine-tuning run of grid ``point`` with ``seed``, capped at ``finetune_seconds``; prints and returns its ``gue_run`` row
    (with ``ensemble_test_mcc``, the varkg+kmer ensemble, when ``kmer_test_probs`` is given)."""
    from varkg.lm.finetune import FinetuneConfig, finetune

    pooling, rc = grid[point]
    fcfg = FinetuneConfig(
        method=args.method,
        pooling=cast(Pooling, pooling),
        bins=args.bins,
        epochs=args.epochs,
        lr=args.lr,
        rc_augment=rc,
        rc_test=rc,
        max_seconds=finetune_seconds,
        seed=seed,
        evals_per_epoch=2,
        bf16=args.bf16,
    )
    r = finetune(ckpt, tok, train=splits["train"], dev=splits["dev"], test=splits["test"], cfg=fcfg, quiet=args.quiet)
    row = {
        "name": "gue_run",
        "task": task,
        "setting": point,
        "seed": seed,
        "dev_mcc": round(100 * r.dev["mcc"], 2),
        "test_mcc": round(100 * r.test["mcc"], 2),
        "finetune_s": round(r.seconds, 1),
        "finetune_steps": r.steps,
    }
    if kmer_test_probs is not None and r.test_probs is not None:
        row["ensemble_test_mcc"] = ensemble_mcc(splits["test"].labels, r.test_probs, kmer_test_probs)
    print(json.dumps(row), flush=True)
    return {**row, "seconds": r.seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--tasks", required=True, help="comma-separated task folder names")
    ap.add_argument("--reference", default=str(SHARED / "reference" / "*.fa*"), help="FASTA glob")
    ap.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("VARKG_CACHE", "~/.cache/varkg")).expanduser() / "bench_gue"
    )
    ap.add_argument("--models", default="varkg,kmer-tfidf-lr")
    ap.add_argument(
        "--checkpoint",
        default="auto",
        help="pretrained checkpoint to fine-tune: a directory, 'auto' (default: the shipped "
        f"{SHIPPED.relative_to(REPO)} built by `make lm-checkpoint` when it exists and --tokenizer/--size match it, "
        "else pretrain now or reuse the cache) or 'none' (always the cache or pretraining now)",
    )
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
    ap.add_argument("--pretrain-seed", type=int, default=0, help="seed of the (cached) pretraining")
    ap.add_argument(
        "--pretrain-tasks",
        default=None,
        help="comma-separated tasks whose training sequences join pretraining (default: --tasks); "
        "name all tasks to build one checkpoint shared by runs of single tasks",
    )
    ap.add_argument(
        "--finetune-seconds",
        type=float,
        default=None,
        help="time cap of each fine-tuning run (dev evaluations run past it: about 10 %% on a loaded machine); "
        "default: the task budget shared by the runs (see finetune_budget)",
    )
    ap.add_argument("--epochs", type=float, default=20.0, help="epochs per run (the time cap usually ends it first)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--method", default="full", choices=["full", "lora", "prefix", "prompt"])
    ap.add_argument(
        "--grid",
        default="meanmax+rc,bins,probe",
        help="settings tried on dev with the first seed, in order (ties: the earlier): POOLING or POOLING+rc "
        f"(full fine-tuning; POOLING in {', '.join(GRID_POOLINGS)}; +rc = reverse-complement augmentation and strand "
        "averaging) or 'probe' (frozen encoder, every layer mean+max pooled, MLP head; both strands), comma-separated",
    )
    ap.add_argument("--bins", type=int, default=6, help="stretches per window for bins pooling")
    ap.add_argument("--probe-epochs", type=int, default=30, help="epochs of the probe's head (grid point 'probe')")
    ap.add_argument("--seeds", default="0,1,2", help="fine-tuning seeds (>= 3 for a standard error worth reading)")
    ap.add_argument("--n-se", type=float, default=2.0, help="a win needs a margin above this many SE of the difference")
    ap.add_argument("--task-budget-seconds", type=float, default=1200.0, help="per-task budget the output checks")
    ap.add_argument("--protocol", action="store_true", help="print a gue_protocol summary line at the end")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--bf16", action="store_true", help="bfloat16 autocast in fine-tuning (faster on AVX-512 BF16 / AMX CPUs; off by default)"
    )
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    import torch

    from varkg.lm.data import read_sequence_csv
    from varkg.lm.pretrain import PretrainConfig, pretrain
    from varkg.lm.protocol import compare, constant, mean_se, select_by_dev, summarize
    from varkg.lm.tokenizer import load_tokenizer, single_nucleotide_tokenizer, train_bpe_tokenizer

    t_run = time.perf_counter()
    torch.set_num_threads(args.threads)
    tasks = [t for t in args.tasks.split(",") if t]
    grid = parse_grid(args.grid)
    seeds = parse_seeds(args.seeds)
    pre_tasks = [t for t in (args.pretrain_tasks or args.tasks).split(",") if t]
    published = published_numbers(args.data)
    models = set(args.models.split(","))
    splits = {
        t: {s: read_sequence_csv(args.data / t / f"{s}.csv") for s in ("train", "dev", "test")}
        for t in dict.fromkeys(tasks + pre_tasks)
    }
    hardware = hardware_info(torch)

    ckpt = None
    pre_info: dict = {"pretrain_cached": True, "pretrain_s": 0.0}
    if "varkg" in models:
        refs = sorted(p for p in glob.glob(args.reference) if not p.endswith((".fai", ".gzi")))
        window = args.pretrain_window or min(512, max(max(len(s) for s in splits[t]["train"].sequences) for t in pre_tasks))
        cfg = PretrainConfig(
            size=args.size,
            window_bp=window,
            steps=args.pretrain_steps,
            batch_size=args.pretrain_batch,
            seed=args.pretrain_seed,
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
        given = resolve_checkpoint(args.checkpoint, tokenizer=args.tokenizer, size=args.size)
        ckpt = given or args.cache / hashlib.sha256(key.encode()).hexdigest()[:16]
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
            "pretrain_source": (
                ("shipped (make lm-checkpoint)" if given == SHIPPED else "--checkpoint")
                if given
                else ("cache" if cached else "built now")
            ),
            "pretrain_s": round(pre_s, 1),
            "pretrain_steps": steps,
            "pretrain_data": data_file.read_text() if data_file.exists() else _pretrain_data(ckpt),
            "params": n_params,
            "size": args.size,
            "tokenizer": args.tokenizer,
            "checkpoint": str(ckpt),
        }
        print(json.dumps({"name": "gue_pretrain", **pre_info}), flush=True)

    ft_points = [p for p in grid if grid[p][0] != PROBE]
    n_ft_runs = len(ft_points) + len(seeds) - 1 if ft_points else 0
    pre_cost = 0.0 if pre_info["pretrain_cached"] else float(pre_info["pretrain_s"])

    def cap_for(spent_s: float) -> float | None:
        """The fine-tuning cap of a task that has spent ``spent_s`` on its probe runs."""
        if args.finetune_seconds is not None or not n_ft_runs:
            return args.finetune_seconds
        return finetune_budget(task_budget_s=args.task_budget_seconds, n_runs=n_ft_runs, pretrain_s=pre_cost, spent_s=spent_s)

    if "varkg" in models and n_ft_runs:
        print(
            json.dumps({"name": "gue_finetune_budget", "finetune_seconds": cap_for(0.0), "before_probe": PROBE in grid}),
            flush=True,
        )
    caps: dict[str, float | None] = {}

    comparisons = []
    ens_comparisons = []  # the varkg+kmer ensemble, a separate model beside the pure LM
    task_seconds: dict[str, float] = {}
    for t in tasks:
        sp = splits[t]
        pub = published.get(t)
        # pretraining counts against every task's budget unless it was cached
        spent = 0.0 if pre_info["pretrain_cached"] else float(pre_info["pretrain_s"])
        kmer = lm = None
        kmer_probs = None
        runs: list[dict] = []
        if "kmer-tfidf-lr" in models:
            mcc, dev_mcc, secs, params, kmer_probs = kmer_baseline(sp["train"], sp["dev"], sp["test"])
            spent += secs
            kmer = constant(mcc)
            print(
                json.dumps(
                    {
                        "task": t,
                        "model": "kmer-tfidf-lr",
                        "mcc": kmer.as_dict(),
                        "per_seed": [round(mcc, 2)],
                        "deterministic": True,
                        "dev_mcc": round(dev_mcc, 2),
                        "train_s": round(secs, 1),
                        "dnabert2_published": pub,
                        "params": params,
                    }
                ),
                flush=True,
            )
        if "varkg" in models:
            assert ckpt is not None
            tok = load_tokenizer(str(ckpt))

            features: dict = {}  # the probe's encoder features, shared by its seeds
            run_probe = functools.partial(
                probe_run, ckpt=ckpt, task=t, splits=sp, args=args, features=features, kmer_test_probs=kmer_probs
            )
            t_task = time.perf_counter()
            # probe points run first (cheap), so the fine-tuning runs share what they leave of the budget
            first = {point: run_probe(seed=seeds[0]) for point in grid if grid[point][0] == PROBE}
            caps[t] = cap_for(time.perf_counter() - t_task)
            run_ft = functools.partial(
                finetune_run,
                ckpt=ckpt,
                tok=tok,
                task=t,
                splits=sp,
                grid=grid,
                args=args,
                finetune_seconds=caps[t],
                kmer_test_probs=kmer_probs,
            )
            first |= {point: run_ft(point=point, seed=seeds[0]) for point in ft_points}
            chosen = select_by_dev({p: first[p]["dev_mcc"] for p in grid})
            if grid[chosen][0] == PROBE:
                runs = [first[chosen]] + [run_probe(seed=s) for s in seeds[1:]]
            else:
                runs = [first[chosen]] + [run_ft(point=chosen, seed=s) for s in seeds[1:]]
            spent += time.perf_counter() - t_task
            lm = mean_se([r["test_mcc"] for r in runs])
            pooling, rc = grid[chosen]
            print(
                json.dumps(
                    {
                        "task": t,
                        "model": "varkg",
                        "mcc": lm.as_dict(),
                        "per_seed": [r["test_mcc"] for r in runs],
                        "seeds": seeds,
                        "dev_mcc": mean_se([r["dev_mcc"] for r in runs]).as_dict(),
                        "selected": chosen,
                        "grid_dev_mcc": {p: first[p]["dev_mcc"] for p in grid},
                        "finetune_s_per_run": round(sum(r["seconds"] for r in runs) / len(runs), 1),
                        "finetune_seconds_cap": caps[t],
                        "dnabert2_published": pub,
                        "method": "probe (frozen encoder)" if pooling == PROBE else args.method,
                        "pooling": "every layer mean+max, MLP head" if pooling == PROBE else pooling,
                        "bins": args.bins if pooling == "bins" else None,
                        "rc": rc,
                        "epochs": args.epochs,
                        "lr": args.lr,
                        **pre_info,
                    }
                ),
                flush=True,
            )
        task_seconds[t] = round(spent, 1)
        if lm is not None and kmer is not None:
            comparisons.append(compare(task=t, model=lm, baseline=kmer, n_se=args.n_se))
            ens = mean_se([r["ensemble_test_mcc"] for r in runs])
            print(
                json.dumps(
                    {
                        "task": t,
                        "model": "varkg+kmer",
                        "mcc": ens.as_dict(),
                        "per_seed": [r["ensemble_test_mcc"] for r in runs],
                        "seeds": seeds,
                        "members": ["varkg", "kmer-tfidf-lr"],
                        "rule": "mean of the two models' class probabilities (fixed equal weights)",
                    }
                ),
                flush=True,
            )
            ens_comparisons.append(compare(task=t, model=ens, baseline=kmer, n_se=args.n_se))

    if args.protocol:
        summary = summarize(comparisons) if comparisons else {"n_tasks": 0, "n_beaten": 0}
        print(
            json.dumps(
                {
                    "name": "gue_protocol",
                    "model": "varkg",
                    "baseline": "kmer-tfidf-lr",
                    **summary,
                    "seeds": seeds,
                    "grid": list(grid),
                    "rule": "grid point with best dev MCC at the first seed (ties: earlier); mean test MCC x 100 "
                    f"over seeds +- SE; win = margin > {args.n_se:g} SE of the difference",
                    "ensemble_varkg+kmer": summarize(ens_comparisons) if ens_comparisons else None,
                    "pretrain_cached": pre_info["pretrain_cached"],
                    "pretrain_s": pre_info["pretrain_s"],
                    "pretrain_steps": pre_info.get("pretrain_steps"),
                    "finetune_seconds_cap": caps,
                    "finetune_bf16": args.bf16,
                    "task_seconds": task_seconds,
                    "task_budget_seconds": args.task_budget_seconds,
                    "within_budget": all(s <= args.task_budget_seconds for s in task_seconds.values()),
                    "wall_s": round(time.perf_counter() - t_run, 1),
                    "hardware": {**hardware, "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
