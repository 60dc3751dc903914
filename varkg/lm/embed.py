"""Sequence embeddings from a DNA language model, and their write-back to graph nodes.

Two poolings of the encoder's last hidden layer (``(batch, tokens, hidden)``):

- ``mean``: the mean over all real (non-padding) tokens, ``[CLS]``/``[SEP]`` included;
- ``cls``: the ``[CLS]`` (first) token.

Windows (all 0-based half-open on the FASTA's coordinates):

- gene promoter: ``[tss - upstream, tss + downstream)`` on ``+`` genes; on ``-`` genes the
  mirror image ``[tss - downstream + 1, tss + upstream + 1)``, reverse-complemented so the
  sequence always reads 5'→3' on the gene's strand (``tss`` is the 0-based TSS base);
- regulatory element: ``[start, stop)``, centre-cropped to ``max_bp``;
- variant: ``flank`` bp each side of REF (see :func:`varkg.lm.score.variant_window`); the
  node's ``seq_embedding`` is ``mean(alt window) - mean(ref window)``.

Write-back goes through ``store.upsert_nodes(label, table, dataset=...)`` with the
schema's ``seq_embedding`` (a float32 vector of the schema's ``dim``) and ``lm_model_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from varkg.dna import reverse_complement
from varkg.errors import InputError, ModelError
from varkg.lm.data import FastaReader
from varkg.lm.score import Variant, variant_window

Pooling = Literal["mean", "cls"]


@dataclass(frozen=True)
class Embeddings:
    """Mean-pooled and CLS embeddings, each ``(n_sequences, hidden)`` float32."""

    mean: np.ndarray
    cls: np.ndarray

    def get(self, pooling: Pooling) -> np.ndarray:
        return self.mean if pooling == "mean" else self.cls


def _encoder(model: Any) -> Any:
    base = getattr(model, "base_model", None)
    return base if base is not None and base is not model else model


def embed_sequences(
    model: Any,
    tokenizer: Any,
    sequences: Sequence[str],
    *,
    batch_size: int = 64,
    max_tokens: int | None = None,
    quiet: bool = True,
) -> Embeddings:
    """Embed sequences (batched, length-sorted; order of the input kept).

    Args:
        model: a masked-LM or encoder model (varkg or Hugging Face), eval mode.
        tokenizer: its tokenizer.
        sequences: DNA strings.
        batch_size: sequences per forward pass.
        max_tokens: truncate longer tokenisations (``None``: no truncation).
        quiet: no progress bar.
    """
    import torch
    from tqdm.auto import tqdm

    enc = _encoder(model)
    dev = next(model.parameters()).device
    n = len(sequences)
    order = sorted(range(n), key=lambda i: len(sequences[i]))
    hidden = None
    mean_out: np.ndarray | None = None
    cls_out: np.ndarray | None = None
    with torch.inference_mode():
        for s in tqdm(range(0, n, batch_size), disable=quiet, desc="embed", unit="batch"):
            idx = order[s : s + batch_size]
            batch = tokenizer(
                [sequences[i] for i in idx],
                padding=True,
                truncation=max_tokens is not None,
                max_length=max_tokens,
                return_tensors="pt",
            )
            mask = batch["attention_mask"].to(dev)
            h = enc(input_ids=batch["input_ids"].to(dev), attention_mask=mask).last_hidden_state.float()
            if hidden is None:
                hidden = h.shape[-1]
                mean_out = np.zeros((n, hidden), dtype=np.float32)
                cls_out = np.zeros((n, hidden), dtype=np.float32)
            m = mask.unsqueeze(-1).to(h.dtype)
            mean = ((h * m).sum(1) / m.sum(1).clamp(min=1)).cpu().numpy()
            mean_out[idx] = mean  # type: ignore[index]
            cls_out[idx] = h[:, 0].cpu().numpy()  # type: ignore[index]
    if mean_out is None or cls_out is None:
        width = int(getattr(model.config, "hidden_size", 0))
        return Embeddings(np.zeros((0, width), np.float32), np.zeros((0, width), np.float32))
    return Embeddings(mean_out, cls_out)


def promoter_window(
    fasta: FastaReader, *, chrom: str, tss: int, strand: str, upstream: int = 1000, downstream: int = 200
) -> str:
    """The promoter sequence of a gene, 5'→3' on its strand (see the module docstring).

    Raises:
        InputError: an unknown strand or a window off the chromosome end.
    """
    if strand == "+":
        return fasta.fetch(chrom, tss - upstream, tss + downstream)
    if strand == "-":
        return reverse_complement(fasta.fetch(chrom, tss - downstream + 1, tss + upstream + 1))
    raise InputError(f"gene strand {strand!r} at {chrom}:{tss} is not '+' or '-'")


def element_window(fasta: FastaReader, *, chrom: str, start: int, stop: int, max_bp: int = 2000) -> str:
    """An element's sequence ``[start, stop)``, centre-cropped to ``max_bp``."""
    if stop - start > max_bp:
        mid = (start + stop) // 2
        start, stop = mid - max_bp // 2, mid - max_bp // 2 + max_bp
    return fasta.fetch(chrom, start, stop)


@dataclass(frozen=True)
class VariantEmbeddings:
    """Embeddings of ref and alt windows and their difference ``alt - ref``, ``(n, hidden)``."""

    ref: Embeddings
    alt: Embeddings

    def diff(self, pooling: Pooling = "mean") -> np.ndarray:
        return self.alt.get(pooling) - self.ref.get(pooling)


def embed_variants(
    model: Any,
    tokenizer: Any,
    fasta: FastaReader,
    variants: Sequence[Variant],
    *,
    flank: int = 64,
    batch_size: int = 64,
    quiet: bool = True,
) -> VariantEmbeddings:
    """Embed the ref and alt windows (``flank`` bp each side) of each variant.

    Raises:
        InputError: a bad allele, a window off the chromosome end, or a REF mismatch.
    """
    refs, alts = [], []
    for i, v in enumerate(variants):
        w, o = variant_window(fasta, v, flank=flank, source=f"variant {i + 1} ({v.chrom}:{v.pos})")
        refs.append(w)
        alts.append(w[:o] + v.alt.upper() + w[o + len(v.ref) :])
    both = embed_sequences(model, tokenizer, refs + alts, batch_size=batch_size, quiet=quiet)
    n = len(variants)
    return VariantEmbeddings(
        Embeddings(both.mean[:n], both.cls[:n]), Embeddings(both.mean[n:], both.cls[n:])
    )


def schema_embedding_dim(label: str, prop: str = "seq_embedding") -> int:
    """The vector dimension the schema declares for ``label.prop``.

    Raises:
        ModelError: the schema has no such vector property.
    """
    from varkg.schema import load_schema

    spec = load_schema().node(label)
    p = spec.properties.get(prop)
    if p is None or p.kind != "vector" or p.dim is None:
        raise ModelError(f"schema node {label!r} has no vector property {prop!r}")
    return int(p.dim)


def embeddings_table(label: str, ids: Sequence[str], vectors: np.ndarray, *, model_id: str) -> Any:
    """A pyarrow table ``id, seq_embedding, lm_model_id`` for ``store.upsert_nodes(label, ...)``.

    Raises:
        ModelError: the vectors' width differs from the schema's ``seq_embedding`` dim.
    """
    import pyarrow as pa

    dim = schema_embedding_dim(label)
    if vectors.ndim != 2 or vectors.shape[1] != dim:
        raise ModelError(
            f"{label}.seq_embedding needs vectors of width {dim} (schema), got shape {tuple(vectors.shape)}; "
            f"use a model with hidden_size {dim} (size 'small')"
        )
    if len(ids) != len(vectors):
        raise ModelError(f"{len(ids)} ids but {len(vectors)} vectors")
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel(), pa.float32())
    return pa.table(
        {
            "id": pa.array(list(ids), pa.string()),
            "seq_embedding": pa.FixedSizeListArray.from_arrays(flat, dim),
            "lm_model_id": pa.array([model_id] * len(ids), pa.string()),
        }
    )
