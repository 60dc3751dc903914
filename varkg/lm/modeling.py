"""The varkg DNA language model: a BERT-style encoder with ALiBi attention.

``VarkgDnaConfig`` (``model_type = "varkg-dnabert"``) and the models
``VarkgDnaModel``, ``VarkgDnaForMaskedLM`` and ``VarkgDnaForSequenceClassification``
follow the Hugging Face conventions: importing this module registers them with
``AutoConfig``, ``AutoModel``, ``AutoModelForMaskedLM`` and
``AutoModelForSequenceClassification`` (in :func:`register_auto_classes`, the one
place), so ``AutoModelForMaskedLM.from_pretrained(dir)`` just works.

Positions are ALiBi linear biases (as DNABERT-2): no position embeddings, so a
model runs on sequences longer than it was trained on. Blocks are pre-LayerNorm
with a GELU MLP; attention uses :func:`torch.nn.functional.scaled_dot_product_attention`.

Shapes: ``input_ids`` and ``attention_mask`` are ``(batch, tokens)``; hidden states
``(batch, tokens, hidden_size)``; masked-LM logits ``(batch, tokens, vocab_size)``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForMaskedLM,
    AutoModelForSequenceClassification,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.modeling_outputs import BaseModelOutput, MaskedLMOutput, SequenceClassifierOutput

from varkg.errors import ModelError

MODEL_TYPE = "varkg-dnabert"

SizeName = Literal["tiny", "mini", "small", "medium", "base"]
Pooling = Literal["cls", "mean", "max", "meanmax", "bins"]
POOLINGS: tuple[str, ...] = ("cls", "mean", "max", "meanmax", "bins")

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64},
    "mini": {"hidden_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 512},
    "small": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024},
    "medium": {"hidden_size": 512, "num_hidden_layers": 8, "num_attention_heads": 8, "intermediate_size": 2048},
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072},
}
"""Preset sizes, from ``tiny`` (tests; ~40 k parameters) to ``base`` (DNABERT-2 sized; ~86 M + embeddings)."""


class VarkgDnaConfig(PretrainedConfig):
    """Configuration of the varkg DNA encoder.

    Args:
        vocab_size: number of tokens (the tokenizer's ``len``).
        hidden_size: width of token representations.
        num_hidden_layers: number of transformer blocks.
        num_attention_heads: attention heads per block; must divide ``hidden_size``.
        intermediate_size: width of the MLP inside each block.
        hidden_dropout_prob: dropout on embeddings and block outputs.
        attention_probs_dropout_prob: dropout on attention weights.
        max_position_embeddings: the window length (tokens) used in training; informative
            only, since ALiBi needs no position table and longer inputs work.
        layer_norm_eps: LayerNorm epsilon.
        initializer_range: standard deviation of the normal weight initialisation.
        classifier_pooling: ``"cls"`` (first token), ``"mean"`` (mean over non-padding
            tokens), ``"max"`` (per-feature maximum over non-padding tokens: "is the feature
            anywhere", as a motif scanner asks), ``"meanmax"`` (both, concatenated) or ``"bins"``
            (mean and max within each of ``classifier_bins`` consecutive stretches of the sequence,
            concatenated: "is the feature *there*", for windows anchored on a landmark such as a
            TSS, where ALiBi states alone carry no absolute position) for sequence classification.
        classifier_bins: number of stretches for ``"bins"`` pooling.
        classifier_dropout: dropout before the classification layer.
        pad_token_id: id of ``[PAD]`` (0 in varkg tokenizers).
        mask_token_id: id of ``[MASK]`` (4 in varkg tokenizers).
        tie_word_embeddings: share the input embedding with the masked-LM decoder.
        conv_kernel_size: width (tokens) of a residual 1-D convolution over the token embeddings
            (0 disables it). ALiBi biases depend only on |i - j|, so attention alone cannot tell
            left from right neighbours; the convolution gives each token an ordered view of its
            neighbourhood (as GPN's convolutions do), which per-base DNA models need.
    """

    model_type = MODEL_TYPE

    def __init__(
        self,
        vocab_size: int = 10,
        hidden_size: int = 128,
        num_hidden_layers: int = 4,
        num_attention_heads: int = 4,
        intermediate_size: int = 512,
        hidden_dropout_prob: float = 0.1,
        attention_probs_dropout_prob: float = 0.0,
        max_position_embeddings: int = 512,
        layer_norm_eps: float = 1e-6,
        initializer_range: float = 0.02,
        classifier_pooling: Pooling = "mean",
        classifier_bins: int = 6,
        classifier_dropout: float = 0.1,
        pad_token_id: int = 0,
        mask_token_id: int = 4,
        tie_word_embeddings: bool = True,
        conv_kernel_size: int = 9,
        **kwargs: Any,
    ) -> None:
        if hidden_size % num_attention_heads:
            raise ModelError(
                f"'hidden_size' (got {hidden_size}) must be divisible by the number of heads (got {num_attention_heads})"
            )
        if classifier_pooling not in POOLINGS:
            raise ModelError(f"'classifier_pooling' (got {classifier_pooling!r}) must be one of {list(POOLINGS)}")
        if classifier_bins < 1:
            raise ModelError(f"'classifier_bins' (got {classifier_bins}) must be at least 1")
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.intermediate_size = intermediate_size
        self.hidden_dropout_prob = hidden_dropout_prob
        self.attention_probs_dropout_prob = attention_probs_dropout_prob
        self.max_position_embeddings = max_position_embeddings
        self.layer_norm_eps = layer_norm_eps
        self.initializer_range = initializer_range
        self.classifier_pooling = classifier_pooling
        self.classifier_bins = classifier_bins
        self.classifier_dropout = classifier_dropout
        self.mask_token_id = mask_token_id
        if conv_kernel_size < 0 or (conv_kernel_size and conv_kernel_size % 2 == 0):
            raise ModelError(f"'conv_kernel_size' (got {conv_kernel_size}) must be 0 or an odd positive number")
        self.conv_kernel_size = conv_kernel_size
        super().__init__(pad_token_id=pad_token_id, tie_word_embeddings=tie_word_embeddings, **kwargs)  # type: ignore[call-arg]  # accepted at runtime, absent from transformers' annotations

    @classmethod
    def from_size(cls, size: SizeName, *, vocab_size: int, **kwargs: Any) -> VarkgDnaConfig:
        """A config from a preset size name (see :data:`SIZES`).

        Raises:
            ModelError: unknown size name (the valid names are listed).
        """
        if size not in SIZES:
            raise ModelError(f"model size {size!r} is not one of {sorted(SIZES)}")
        return cls(vocab_size=vocab_size, **{**SIZES[size], **kwargs})


def alibi_slopes(num_heads: int) -> torch.Tensor:
    """ALiBi head slopes (Press et al. 2022): a geometric sequence 2^(-8/n)...; shape ``(num_heads,)``."""

    def pow2(n: int) -> list[float]:
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(num_heads).is_integer():
        slopes = pow2(num_heads)
    else:
        closest = 2 ** math.floor(math.log2(num_heads))
        slopes = pow2(closest) + pow2(2 * closest)[0::2][: num_heads - closest]
    return torch.tensor(slopes, dtype=torch.float32)


def _prefix_kv(past_key_values: Any, layer: int) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Per-layer prefix keys/values (peft prefix tuning): a transformers Cache or a legacy tuple."""
    if past_key_values is None:
        return None
    layers = getattr(past_key_values, "layers", None)
    if layers is not None:
        if layer >= len(layers) or getattr(layers[layer], "keys", None) is None:
            return None
        return layers[layer].keys, layers[layer].values
    k, v = past_key_values[layer]
    return k, v


class _Attention(nn.Module):
    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.out = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = config.attention_probs_dropout_prob

    def forward(self, x: torch.Tensor, bias: torch.Tensor, prefix: tuple[torch.Tensor, torch.Tensor] | None) -> torch.Tensor:
        b, t, _ = x.shape

        def split(z: torch.Tensor) -> torch.Tensor:
            return z.view(b, t, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        if prefix is not None:
            k = torch.cat([prefix[0].to(k.dtype), k], dim=2)
            v = torch.cat([prefix[1].to(v.dtype), v], dim=2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype), dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(b, t, -1))


class _Block(nn.Module):
    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = _Attention(config)
        self.norm2 = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.mlp_in = nn.Linear(config.hidden_size, config.intermediate_size)
        self.mlp_out = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, prefix: Any) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.norm1(x), bias, prefix))
        return x + self.dropout(self.mlp_out(F.gelu(self.mlp_in(self.norm2(x)))))


class _Embeddings(nn.Module):
    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        k = config.conv_kernel_size
        self.conv = nn.Conv1d(config.hidden_size, config.hidden_size, k, padding=k // 2) if k else None
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.word_embeddings(input_ids)

    def mix(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Residual convolution over real tokens (padding zeroed first); ``x`` is ``(batch, tokens, hidden)``."""
        if self.conv is None:
            return x
        x = x * mask[:, -x.shape[1] :, None].to(x.dtype)
        return x + F.gelu(self.conv(x.transpose(1, 2)).transpose(1, 2))


class VarkgDnaPreTrainedModel(PreTrainedModel):
    """Base class: config class, weight initialisation, attention-backend flags."""

    config_class = VarkgDnaConfig
    config: VarkgDnaConfig
    base_model_prefix = "model"
    supports_gradient_checkpointing = False
    _supports_sdpa = True
    _no_split_modules = ["_Block"]


class VarkgDnaModel(VarkgDnaPreTrainedModel):
    """The encoder: token embeddings, ALiBi transformer blocks, final LayerNorm."""

    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__(config)
        self.embeddings = _Embeddings(config)
        self.layers = nn.ModuleList([_Block(config) for _ in range(config.num_hidden_layers)])
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:  # type: ignore[override]  # only an Embedding fits here
        self.embeddings.word_embeddings = value

    def _bias(self, attention_mask: torch.Tensor, t: int, prefix_len: int, dtype: torch.dtype) -> torch.Tensor:
        """ALiBi bias plus key padding, shape ``(batch, heads, t, prefix_len + t)``."""
        device = attention_mask.device
        pos = torch.arange(t, device=device)
        dist = (pos[None, :] - pos[:, None]).abs().to(torch.float32)  # (t, t)
        slopes = alibi_slopes(self.config.num_attention_heads).to(device)
        bias = -slopes[:, None, None] * dist[None]  # (heads, t, t)
        if prefix_len:
            bias = torch.cat([torch.zeros(bias.shape[0], t, prefix_len, device=device), bias], dim=2)
        keep = attention_mask.to(torch.bool)[:, None, None, :]  # (batch, 1, 1, keys)
        neg = torch.finfo(torch.float32).min
        return torch.where(keep, bias[None], torch.tensor(neg, device=device)).to(dtype)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_key_values: Any = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache: Any = None,
        **kwargs: Any,
    ) -> BaseModelOutput:
        """Encode tokens.

        Args:
            input_ids: ``(batch, tokens)`` token ids.
            attention_mask: ``(batch, keys)`` 1 for real tokens, 0 for padding; ``keys`` may
                exceed ``tokens`` by the number of prefix (peft prefix-tuning) tokens.
            inputs_embeds: ``(batch, tokens, hidden)`` instead of ``input_ids`` (prompt tuning).
            past_key_values: prefix keys/values per layer (peft prefix tuning), no caching.
            output_hidden_states: also return every layer's hidden states.
            cache: the same as ``past_key_values`` under its newer name (transformers >= 5.24,
                which peft >= 0.22 passes); give one or the other.
        """
        if cache is not None and past_key_values is not None:
            raise ModelError("give at most one of 'cache' and 'past_key_values' (the same prefix keys/values)")
        past_key_values = cache if cache is not None else past_key_values
        if (input_ids is None) == (inputs_embeds is None):
            raise ModelError("give exactly one of 'input_ids' and 'inputs_embeds'")
        x = self.embeddings(input_ids) if inputs_embeds is None else inputs_embeds
        b, t, _ = x.shape
        first = _prefix_kv(past_key_values, 0)
        prefix_len = 0 if first is None else first[0].shape[2]
        if attention_mask is None:
            attention_mask = torch.ones(b, prefix_len + t, dtype=torch.long, device=x.device)
        elif attention_mask.shape[1] == t and prefix_len:
            attention_mask = torch.cat(
                [torch.ones(b, prefix_len, dtype=attention_mask.dtype, device=x.device), attention_mask], dim=1
            )
        x = self.embeddings.dropout(self.embeddings.mix(x, attention_mask))
        bias = self._bias(attention_mask, t, prefix_len, x.dtype)
        hidden: list[torch.Tensor] = []
        for i, layer in enumerate(self.layers):
            if output_hidden_states:
                hidden.append(x)
            x = layer(x, bias, _prefix_kv(past_key_values, i))
        x = self.norm(x)
        if output_hidden_states:
            hidden.append(x)
        return BaseModelOutput(last_hidden_state=x, hidden_states=tuple(hidden) if output_hidden_states else None)


class _LMHead(nn.Module):
    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.norm(F.gelu(self.dense(x))))


class VarkgDnaForMaskedLM(VarkgDnaPreTrainedModel):
    """Encoder plus masked-LM head; ``labels`` use -100 for positions that are not scored."""

    _tied_weights_keys = {"lm_head.decoder.weight": "model.embeddings.word_embeddings.weight"}

    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__(config)
        self.model = VarkgDnaModel(config)
        self.lm_head = _LMHead(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embeddings.word_embeddings

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head.decoder

    def set_output_embeddings(self, new: nn.Linear) -> None:
        self.lm_head.decoder = new

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> MaskedLMOutput:
        """Logits ``(batch, tokens, vocab)``; cross-entropy loss over positions with ``labels != -100``."""
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            output_hidden_states=output_hidden_states,
        )
        logits = self.lm_head(out.last_hidden_state)
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]).float(), labels.view(-1), ignore_index=-100)
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=out.hidden_states)


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: Pooling, *, bins: int = 6) -> torch.Tensor:
    """Pool ``(batch, tokens, hidden)`` to ``(batch, pooled_width(how, hidden, bins))``.

    ``cls``: the first token; ``mean``: mean over real tokens; ``max``: per-feature maximum over
    real tokens; ``meanmax``: mean and max concatenated; ``bins``: the real tokens of each
    sequence are split in order into ``bins`` stretches of (nearly) equal length and the mean and
    max of each stretch are concatenated, first stretch first (``bins=1`` is ``meanmax``). Means
    and maxima exclude padding but include ``[CLS]``/``[SEP]``.
    """
    if how == "cls":
        return hidden[:, 0]
    m = attention_mask[:, -hidden.shape[1] :].to(hidden.dtype).unsqueeze(-1)
    if how == "bins":
        real = m.squeeze(-1)
        n = real.sum(1, keepdim=True).clamp(min=1.0)
        rank = real.cumsum(1) - 1.0
        which = torch.div(rank * bins, n, rounding_mode="floor").clamp(0, bins - 1).long()
        onehot = F.one_hot(which, bins).to(hidden.dtype) * real.unsqueeze(-1)  # (batch, tokens, bins)
        counts = onehot.sum(1).unsqueeze(-1)  # (batch, bins, 1)
        means = torch.einsum("btk,bth->bkh", onehot, hidden) / counts.clamp(min=1.0)
        low = torch.finfo(hidden.dtype).min
        maxes = hidden.unsqueeze(2).masked_fill(onehot.unsqueeze(-1) == 0, low).amax(1)  # (batch, bins, hidden)
        maxes = maxes.masked_fill(counts == 0, 0.0)  # an empty stretch (input shorter than `bins`)
        return torch.cat([means, maxes], dim=-1).flatten(1)
    mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
    if how == "mean":
        return mean
    mx = hidden.masked_fill(m == 0, torch.finfo(hidden.dtype).min).amax(1)
    if how == "max":
        return mx
    if how == "meanmax":
        return torch.cat([mean, mx], dim=-1)
    raise ModelError(f"pooling {how!r} is not one of {list(POOLINGS)}")


def pooled_width(how: Pooling, hidden_size: int, bins: int = 6) -> int:
    """Width of :func:`pool`'s output."""
    return {"meanmax": 2 * hidden_size, "bins": 2 * bins * hidden_size}.get(how, hidden_size)


class VarkgDnaForSequenceClassification(VarkgDnaPreTrainedModel):
    """Encoder, pooling (``config.classifier_pooling``), dropout, linear classifier."""

    def __init__(self, config: VarkgDnaConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.model = VarkgDnaModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        width = pooled_width(config.classifier_pooling, config.hidden_size, config.classifier_bins)
        self.classifier = nn.Linear(width, config.num_labels)  # type: ignore[arg-type]  # num_labels is always set (default 2)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.model.embeddings.word_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        past_key_values: Any = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache: Any = None,
        **kwargs: Any,
    ) -> SequenceClassifierOutput:
        """Logits ``(batch, num_labels)``; cross-entropy loss when integer ``labels`` are given."""
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            inputs_embeds=inputs_embeds,
            past_key_values=past_key_values,
            cache=cache,
            output_hidden_states=output_hidden_states,
        )
        h = out.last_hidden_state
        mask = attention_mask if attention_mask is not None else torch.ones(h.shape[:2], device=h.device)
        pooled = pool(h, mask, self.config.classifier_pooling, bins=self.config.classifier_bins)
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.float(), labels.view(-1).long())
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=out.hidden_states)


_REGISTERED = False


def register_auto_classes() -> None:
    """Register the varkg model with the transformers Auto classes (idempotent; the one place)."""
    global _REGISTERED
    if _REGISTERED:
        return
    AutoConfig.register(MODEL_TYPE, VarkgDnaConfig, exist_ok=True)
    AutoModel.register(VarkgDnaConfig, VarkgDnaModel, exist_ok=True)
    AutoModelForMaskedLM.register(VarkgDnaConfig, VarkgDnaForMaskedLM, exist_ok=True)
    AutoModelForSequenceClassification.register(VarkgDnaConfig, VarkgDnaForSequenceClassification, exist_ok=True)
    _REGISTERED = True


register_auto_classes()
