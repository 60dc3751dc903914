"""DNA tokenizers: byte-pair encoding (DNABERT-2 style) and single-nucleotide.

Both are Hugging Face ``tokenizers`` pipelines wrapped as a
:class:`transformers.PreTrainedTokenizerFast`, so ``save_pretrained(dir)`` and
``AutoTokenizer.from_pretrained(dir)`` round-trip them. Every encoding is
``[CLS] tokens... [SEP]``; offsets map tokens back to 0-based half-open base
ranges of the input string, which :mod:`varkg.lm.score` uses to find the
token(s) covering a variant.

Input is upper-cased by the normaliser. N runs are split out by the
pre-tokeniser, so no BPE token ever mixes N with A/C/G/T.

Example:
    >>> tok = single_nucleotide_tokenizer()
    >>> tok("ACGN")["input_ids"]
    [2, 5, 6, 7, 9, 3]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from varkg.errors import ModelError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
"""Special tokens, with ids 0..4 in this order in every varkg tokenizer."""
BASES = ["A", "C", "G", "T", "N"]
"""The base alphabet; these follow the special tokens (ids 5..9, order fixed only for ``char``)."""

TokenizerKind = Literal["bpe", "char"]


def _pipeline_parts():
    from tokenizers import Regex, normalizers, pre_tokenizers, processors

    norm = normalizers.Sequence([normalizers.Replace(c.lower(), c) for c in BASES])
    # N runs become their own pre-tokens, so merges never cross an N boundary.
    pre = pre_tokenizers.Split(Regex("N+"), behavior="isolated")
    post = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return norm, pre, post


def _wrap(tok, *, model_max_length: int) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=model_max_length,
        padding_side="right",
    )


def single_nucleotide_tokenizer(*, model_max_length: int = 100_000) -> PreTrainedTokenizerFast:
    """One token per base (A, C, G, T, N): exact per-base variant scores need it."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers

    vocab = {t: i for i, t in enumerate(SPECIAL_TOKENS + BASES)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    norm, _pre, post = _pipeline_parts()
    tok.normalizer = norm
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.post_processor = post
    return _wrap(tok, model_max_length=model_max_length)


def train_bpe_tokenizer(sequences: Iterable[str], *, merges: int, model_max_length: int = 100_000) -> PreTrainedTokenizerFast:
    """Train a DNA BPE tokenizer with (at most) ``merges`` merges.

    The vocabulary is the 5 special tokens, the 5 bases and one token per merge
    (fewer if the training text runs out of pairs to merge).

    Args:
        sequences: training sequences (windows), any case; N runs are split out.
        merges: number of BPE merges, e.g. 50..4096.
        model_max_length: the length (tokens) the wrapper reports as its maximum.

    Raises:
        ModelError: ``merges`` is negative.
    """
    from tokenizers import Tokenizer, decoders, models, trainers

    if merges < 0:
        raise ModelError(f"'merges' (got {merges}) must be >= 0")
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    norm, pre, post = _pipeline_parts()
    tok.normalizer = norm
    tok.pre_tokenizer = pre
    tok.decoder = decoders.Fuse()
    trainer = trainers.BpeTrainer(
        vocab_size=len(SPECIAL_TOKENS) + len(BASES) + merges,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=BASES,
        limit_alphabet=len(BASES),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator((s.upper() for s in sequences), trainer=trainer)
    tok.post_processor = post
    wrapped = _wrap(tok, model_max_length=model_max_length)
    _check_layout(wrapped)
    return wrapped


def make_tokenizer(kind: TokenizerKind, *, sequences: Iterable[str] | None = None, merges: int = 512) -> PreTrainedTokenizerFast:
    """Build a tokenizer by kind: ``"char"`` (single nucleotide) or ``"bpe"`` (trained on ``sequences``)."""
    if kind == "char":
        return single_nucleotide_tokenizer()
    if kind == "bpe":
        if sequences is None:
            raise ModelError("a BPE tokenizer needs training 'sequences'")
        return train_bpe_tokenizer(sequences, merges=merges)
    raise ModelError(f"tokenizer kind {kind!r} is not one of ['bpe', 'char']")


def load_tokenizer(path: str) -> PreTrainedTokenizerFast:
    """Load a tokenizer saved with ``save_pretrained`` (local directory only).

    Raises:
        ModelError: the directory has no tokenizer files.
    """
    from pathlib import Path

    from transformers import AutoTokenizer

    if not (Path(path) / "tokenizer.json").exists() and not (Path(path) / "vocab.txt").exists():
        raise ModelError(f"no tokenizer (tokenizer.json or vocab.txt) in {str(path)!r}")
    return AutoTokenizer.from_pretrained(str(path), local_files_only=True)  # type: ignore[return-value]  # the files above load as a fast tokenizer


def is_single_nucleotide(tokenizer) -> bool:
    """Whether every non-special token of ``tokenizer`` is exactly one base."""
    vocab = tokenizer.get_vocab()
    return all(len(t) == 1 for t in vocab if t not in set(tokenizer.all_special_tokens))


def _check_layout(tokenizer) -> None:
    vocab = tokenizer.get_vocab()
    for i, t in enumerate(SPECIAL_TOKENS):
        if vocab.get(t) != i:
            raise ModelError(f"tokenizer layout: {t!r} has id {vocab.get(t)}, expected {i}")
