"""Attribution: in-silico mutagenesis (ISM), gradient x input and integrated gradients.

**ISM of the masked LM** (:func:`ism_lm`). For a sequence ``s`` of length ``L`` the result is an
``(L, 4)`` matrix (columns A, C, G, T) with, for every position ``i`` and alternative base ``b``,
the GPN-style score of the substitution with the whole sequence as context::

    ISM[i, b] = 1/2 * sum_strand [ log P(b | s, i masked) - log P(s_i | s, i masked) ]

(the reverse strand on the reverse complement, alleles complemented), so ``ISM[i, s_i] = 0``.
With the single-nucleotide tokenizer one masked input per position and strand gives all three
alternatives (``2 L`` inputs, batched); with BPE the ``3 L`` substitutions are scored as
:func:`varkg.lm.score.score_windows` would (token-span method). Either way it equals
``score_windows(model, tok, [s], [i], [s_i], [b])`` entry by entry.

**ISM of a fine-tuned classifier** (:func:`ism_classifier`): ``ISM[i, b] = f(s with b at i) -
f(s)``, ``f`` the logit of class ``target`` (``3 L`` mutant sequences, batched).

**Gradient x input** and **integrated gradients** (captum, :func:`gradient_attribution`) on the
classifier's token embeddings ``e``: ``GxI = e * df/de`` and ``IG = (e - e') * ∫_0^1
df/de(e' + a (e - e')) da`` (``e'``: the embedding of an all-``N`` sequence; Riemann/Gauss-
Legendre with ``n_steps``), summed over the hidden dimension: one value per token. IG is
complete: ``sum IG = f(e) - f(e')`` up to the reported ``delta``.

**eQTL support** (:func:`eqtl_support`): an eQTL variant is a *supporting* driver when the sign
of its eQTL slope (effect of the alt allele on expression) agrees with the sign of its ISM
score (alt vs ref), *non-supporting* when they disagree; ``|ISM| < min_abs`` is
``uninformative``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from varkg.dna import reverse_complement
from varkg.errors import InputError

BASES = "ACGT"
_COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def _check_seq(seq: str) -> str:
    s = seq.upper()
    bad = set(s) - set(BASES)
    if bad:
        raise InputError(f"ISM needs A/C/G/T bases; the sequence has {sorted(bad)}")
    return s


def _base_ids(tokenizer: Any) -> list[int]:
    return [tokenizer.convert_tokens_to_ids(b) for b in BASES]


def ism_lm(model: Any, tokenizer: Any, seq: str, *, batch_size: int = 64, quiet: bool = True) -> np.ndarray:
    """``(L, 4)`` ISM matrix (nats) of a masked LM on ``seq`` (see the module docstring)."""
    from varkg.lm.tokenizer import is_single_nucleotide

    s = _check_seq(seq)
    L = len(s)
    if not is_single_nucleotide(tokenizer):
        from varkg.lm.score import score_windows

        pos, refs, alts = [], [], []
        for i, r in enumerate(s):
            for b in BASES:
                if b != r:
                    pos.append(i)
                    refs.append(r)
                    alts.append(b)
        sc = score_windows(model, tokenizer, [s] * len(pos), pos, refs, alts, batch_size=batch_size, quiet=quiet)
        out = np.zeros((L, 4))
        for i, a, v in zip(pos, alts, sc, strict=True):
            out[i, BASES.index(a)] = v.llr
        return out
    return masked_logprobs_to_ism(s, masked_base_logprobs(model, tokenizer, s, batch_size=batch_size, quiet=quiet))


def masked_base_logprobs(model: Any, tokenizer: Any, seq: str, *, batch_size: int = 64, quiet: bool = True) -> np.ndarray:
    """``(2, L, 4)`` log P(base | position masked) on the forward strand and on the reverse
    complement (strand 1 indexed in reverse-complement coordinates), single-nucleotide tokenizer."""
    import torch
    from tqdm.auto import tqdm

    s = _check_seq(seq)
    L = len(s)
    ids_base = _base_ids(tokenizer)
    dev = next(model.parameters()).device
    out = np.zeros((2, L, 4))
    with torch.inference_mode():
        for strand, x in enumerate((s, reverse_complement(s))):
            ids = torch.tensor(tokenizer(x)["input_ids"], dtype=torch.long)  # [CLS] bases [SEP]
            for a in tqdm(range(0, L, batch_size), disable=quiet, desc=f"ism strand {strand}", unit="batch"):
                pos = torch.arange(a, min(a + batch_size, L))
                batch = ids.repeat(len(pos), 1)
                batch[torch.arange(len(pos)), pos + 1] = tokenizer.mask_token_id
                logits = model(input_ids=batch.to(dev), attention_mask=torch.ones_like(batch).to(dev)).logits
                logp = torch.log_softmax(logits.float(), dim=-1)[torch.arange(len(pos)), pos + 1]
                out[strand, a : a + len(pos)] = logp[:, ids_base].cpu().numpy()
    return out


def masked_logprobs_to_ism(seq: str, logp: np.ndarray) -> np.ndarray:
    """Combine per-strand masked log-probabilities into the strand-averaged ISM matrix."""
    s = _check_seq(seq)
    L = len(s)
    fwd = logp[0]
    rev = logp[1][::-1][:, ::-1]  # reverse-complement position i -> forward L-1-i; A<->T, C<->G (ACGT reversed)
    ref_idx = np.array([BASES.index(c) for c in s])
    rows = np.arange(L)
    out = 0.5 * ((fwd - fwd[rows, ref_idx][:, None]) + (rev - rev[rows, ref_idx][:, None]))
    out[rows, ref_idx] = 0.0
    return out


def ism_classifier(model: Any, tokenizer: Any, seq: str, *, target: int = 1, batch_size: int = 128) -> np.ndarray:
    """``(L, 4)`` ISM of a sequence classifier: change of the ``target`` logit per substitution."""
    import torch

    s = _check_seq(seq)
    L = len(s)
    muts = [s]
    where = []
    for i, r in enumerate(s):
        for b in BASES:
            if b != r:
                muts.append(s[:i] + b + s[i + 1 :])
                where.append((i, BASES.index(b)))
    dev = next(model.parameters()).device
    vals = []
    with torch.inference_mode():
        for a in range(0, len(muts), batch_size):
            enc = tokenizer(muts[a : a + batch_size], return_tensors="pt", padding=True)
            logits = model(input_ids=enc["input_ids"].to(dev), attention_mask=enc["attention_mask"].to(dev)).logits
            vals.append(logits[:, target].float().cpu().numpy())
    v = np.concatenate(vals)
    out = np.zeros((L, 4))
    for (i, j), x in zip(where, v[1:], strict=True):
        out[i, j] = x - v[0]
    return out


@dataclass(frozen=True)
class Attribution:
    """Per-token attributions of one sequence (special tokens dropped) and IG's completeness gap."""

    values: np.ndarray
    method: str
    delta: float | None = None


def gradient_attribution(
    model: Any,
    tokenizer: Any,
    seq: str,
    *,
    method: Literal["gradient_x_input", "integrated_gradients"] = "integrated_gradients",
    target: int = 1,
    n_steps: int = 64,
) -> Attribution:
    """Gradient x input or integrated gradients (captum) of the ``target`` logit w.r.t. the token
    embeddings, summed over the hidden dimension; baseline: the embedding of all-``N`` input."""
    import torch
    from captum.attr import InputXGradient, IntegratedGradients  # type: ignore[import-untyped]

    enc = tokenizer(seq, return_tensors="pt", return_special_tokens_mask=True)
    dev = next(model.parameters()).device
    ids, mask = enc["input_ids"].to(dev), enc["attention_mask"].to(dev)
    emb_layer = model.get_input_embeddings()
    x = emb_layer(ids).detach()
    n_id = tokenizer.convert_tokens_to_ids("N")
    special = enc["special_tokens_mask"][0].bool()
    base_ids = ids.clone()
    base_ids[0, ~special.to(dev)] = n_id
    baseline = emb_layer(base_ids).detach()

    def f(e: torch.Tensor) -> torch.Tensor:
        return model(inputs_embeds=e, attention_mask=mask.expand(e.shape[0], -1)).logits[:, target]

    model.eval()
    delta = None
    if method == "gradient_x_input":
        attr = InputXGradient(f).attribute(x)
    elif method == "integrated_gradients":
        attr, d = IntegratedGradients(f).attribute(x, baselines=baseline, n_steps=n_steps, return_convergence_delta=True)
        delta = float(d.abs().max())
    else:
        raise InputError(f"attribution method {method!r} is not one of 'gradient_x_input', 'integrated_gradients'")
    per_token = attr.sum(-1)[0].detach().cpu().numpy()
    return Attribution(per_token[~special.numpy()], method, delta)


def eqtl_support(table: pd.DataFrame, *, min_abs: float = 0.0) -> pd.DataFrame:
    """Classify eQTL variants by sign agreement of ``slope`` and ``ism_score``.

    Args:
        table: columns ``variant``, ``slope`` (alt-allele effect on expression), ``ism_score``.
        min_abs: ``|ism_score|`` below this is ``uninformative``.

    Returns:
        ``table`` with ``support`` in {``supporting``, ``non-supporting``, ``uninformative``}.

    >>> t = pd.DataFrame({"variant": ["a", "b", "c"], "slope": [0.5, -0.2, 0.1], "ism_score": [1.0, 0.3, 0.0]})
    >>> eqtl_support(t)["support"].tolist()
    ['supporting', 'non-supporting', 'uninformative']
    """
    for need in ("variant", "slope", "ism_score"):
        if need not in table.columns:
            raise InputError(f"eQTL support needs column {need!r}; got {list(table.columns)}")
    out = table.copy()
    agree = np.sign(out["slope"].to_numpy(float)) == np.sign(out["ism_score"].to_numpy(float))
    small = (np.abs(out["ism_score"].to_numpy(float)) <= min_abs) | (out["slope"].to_numpy(float) == 0)
    out["support"] = np.where(small, "uninformative", np.where(agree, "supporting", "non-supporting"))
    return out


def eqtl_variants(store: Any, *, qtl_kind: str = "eQTL") -> pd.DataFrame:
    """QTL rows of the graph (``EQTL_OF`` with ``qtl_kind``): ``variant chrom pos ref alt gene
    slope tissue`` (``pos`` 1-based)."""
    t = store.query(
        "MATCH (v:Variant)-[e:EQTL_OF]->(g:Gene) WHERE e.qtl_kind = $kind "
        "RETURN v.id AS variant, v.chrom AS chrom, v.pos AS pos, v.ref AS ref, v.alt AS alt, g.id AS gene, "
        "e.slope AS slope, e.tissue AS tissue",
        {"kind": qtl_kind},
    )
    return t.to_pandas()


def ism_scores_for_variants(
    model: Any, tokenizer: Any, fasta: Any, variants: Sequence[Any], *, flank: int = 64, batch_size: int = 64
) -> np.ndarray:
    """The ISM entry (LLR alt vs ref, strand-averaged) of each SNV against the reference."""
    from varkg.lm.score import score_variants

    return np.array([s.llr for s in score_variants(model, tokenizer, fasta, list(variants), flank=flank, batch_size=batch_size)])
