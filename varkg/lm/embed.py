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

:func:`embed_nodes` embeds rows of graph nodes of one type (:func:`node_rows` picks them from a
node table) with the window of their type.

Write-back goes through ``store.upsert_nodes(label, table, dataset=...)`` with the
schema's ``seq_embedding`` (a float32 vector of the schema's ``dim``) and ``lm_model_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from varkg.dna import reverse_complement
from varkg.errors import InputError, ModelError
from varkg.lm.data import FastaReader
from varkg.lm.score import Variant, variant_windows

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


def promoter_window(fasta: FastaReader, *, chrom: str, tss: int, strand: str, upstream: int = 1000, downstream: int = 200) -> str:
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
    refs, offsets = variant_windows(fasta, variants, flank=flank)
    alts = [w[:o] + v.alt.upper() + w[o + len(v.ref) :] for w, o, v in zip(refs, offsets, variants, strict=True)]
    both = embed_sequences(model, tokenizer, refs + alts, batch_size=batch_size, quiet=quiet)
    n = len(variants)
    return VariantEmbeddings(Embeddings(both.mean[:n], both.cls[:n]), Embeddings(both.mean[n:], both.cls[n:]))


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


NODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Gene": ("id", "chrom", "tss", "strand"),
    "RegulatoryElement": ("id", "chrom", "start", "stop"),
    "Variant": ("chrom", "pos", "ref", "alt"),
}
"""The columns :func:`embed_nodes` needs per node type (Variant ``id`` is optional)."""


def node_rows(node_type: str, table: Any, *, source: str = "nodes") -> list[dict]:
    """The rows of ``table`` (a ``pyarrow.Table`` of nodes) that have every column
    :data:`NODE_COLUMNS` lists for ``node_type``; rows with a null in one of them are left out.

    Raises:
        InputError: ``node_type`` is not embeddable or ``table`` lacks a needed column.
    """
    need = NODE_COLUMNS.get(node_type)
    if need is None:
        raise InputError(f"{source}: cannot embed {node_type!r} nodes; expected one of {sorted(NODE_COLUMNS)}")
    missing = [c for c in need if c not in table.column_names]
    if missing:
        raise InputError(f"{source}: {node_type} nodes lack {missing}; have {table.column_names}")
    return [r for r in table.to_pylist() if all(r.get(c) is not None for c in need)]


def embed_nodes(
    model: Any,
    tokenizer: Any,
    fasta: FastaReader,
    node_type: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    assembly: str,
    pooling: Pooling = "mean",
    upstream: int = 1000,
    downstream: int = 200,
    flank: int = 64,
    batch_size: int = 64,
    quiet: bool = True,
) -> tuple[list[str], np.ndarray]:
    """Embed nodes of one type from their rows (:func:`node_rows`): gene promoters (``id, chrom,
    tss, strand``; ``tss`` 0-based), regulatory elements (``id, chrom, start, stop``, 0-based
    half-open) or variants (``chrom, pos, ref, alt``, ``pos`` 1-based; alt − ref embeddings).

    Returns:
        The node keys (Variant keys built with ``assembly``) and ``float32[n, hidden]`` vectors.
    """
    if node_type == "Variant":
        vs = [Variant(str(r["chrom"]), int(r["pos"]), str(r["ref"]), str(r["alt"]), r.get("id")) for r in rows]
        emb = embed_variants(model, tokenizer, fasta, vs, flank=flank, batch_size=batch_size, quiet=quiet)
        return [v.key(assembly) for v in vs], emb.diff(pooling)
    if node_type == "Gene":
        seqs = [
            promoter_window(
                fasta, chrom=str(r["chrom"]), tss=int(r["tss"]), strand=str(r["strand"]), upstream=upstream, downstream=downstream
            )
            for r in rows
        ]
    elif node_type == "RegulatoryElement":
        seqs = [element_window(fasta, chrom=str(r["chrom"]), start=int(r["start"]), stop=int(r["stop"])) for r in rows]
    else:
        raise InputError(f"cannot embed {node_type!r} nodes; expected one of {sorted(NODE_COLUMNS)}")
    return [str(r["id"]) for r in rows], embed_sequences(model, tokenizer, seqs, batch_size=batch_size, quiet=quiet).get(pooling)
