"""Shared runtime helpers for the DNA LM: device, seeds, threads, quiet transformers, loading.

A *model id* names a checkpoint for lineage: ``{directory name}@{first 12 hex of the
SHA-256 of its weights file}``, so two different checkpoints never share an id.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from varkg.errors import ModelError

if TYPE_CHECKING:
    import torch

DeviceName = Literal["auto", "cpu", "cuda"]
F = TypeVar("F", bound="Callable[..., Any]")


def quiet_transformers() -> None:
    """Silence transformers' load reports and progress bars (varkg shows its own progress)."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def pick_device(device: DeviceName = "auto") -> torch.device:
    """``cuda`` when available (or asked for), else ``cpu``.

    Raises:
        ModelError: ``cuda`` was asked for but no CUDA device is present.
    """
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' was requested but torch sees no CUDA device")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def set_seed(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and CUDA)."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@contextlib.contextmanager
def denormals_flushed() -> Iterator[None]:
    """Flush denormal floats to zero on CPU inside the block; restored (off) on exit.

    Training drives some weights, gradients and Adam second moments into the denormal range,
    where x86 arithmetic is many times slower; flushing them costs no accuracy that matters.
    The setting is process-wide processor state, so it is switched off again afterwards (other
    code, e.g. hypothesis, relies on IEEE-754 subnormals).
    """
    import torch

    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def flushes_denormals(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`denormals_flushed` (training entry points)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with denormals_flushed():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def set_threads(n: int | None) -> None:
    """Limit torch's intra-op threads (``None``: leave as is; env ``VARKG_THREADS`` overrides)."""
    import torch

    env = os.environ.get("VARKG_THREADS")
    if env:
        n = int(env)
    if n:
        torch.set_num_threads(n)


def model_id(path: str | Path) -> str:
    """Lineage id of a saved checkpoint directory: ``name@sha256[:12]`` of its weights."""
    p = Path(path)
    weights = sorted(p.glob("*.safetensors")) or sorted(p.glob("*.bin"))
    if not weights:
        raise ModelError(f"no weights (*.safetensors or *.bin) in checkpoint directory {str(p)!r}")
    h = hashlib.sha256()
    for w in weights:
        with open(w, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return f"{p.resolve().name}@{h.hexdigest()[:12]}"


def load_masked_lm(path: str | Path, *, device: DeviceName = "auto") -> tuple[Any, Any, str]:
    """Load ``(model, tokenizer, model_id)`` from a local masked-LM checkpoint directory.

    Works for varkg checkpoints and for any local Hugging Face masked-LM checkpoint
    that ``AutoModelForMaskedLM`` knows (BERT, RoBERTa, ESM, ModernBERT, ...) with its
    tokenizer saved alongside. Never downloads.

    Raises:
        ModelError: the directory is missing, has no config/weights, or no tokenizer.
    """
    from transformers import AutoModelForMaskedLM

    import varkg.lm.modeling  # noqa: F401  (registers the varkg model type)
    from varkg.lm.tokenizer import load_tokenizer

    p = Path(path)
    if not (p / "config.json").exists():
        raise ModelError(f"{str(p)!r} is not a model checkpoint directory (no config.json)")
    quiet_transformers()
    try:
        model = AutoModelForMaskedLM.from_pretrained(str(p), local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot load a masked-LM model from {str(p)!r}: {exc}") from exc
    tok = load_tokenizer(str(p))
    if tok.mask_token_id is None:
        raise ModelError(f"the tokenizer in {str(p)!r} has no mask token; a masked LM needs one")
    model.to(pick_device(device)).eval()
    return model, tok, model_id(p)
