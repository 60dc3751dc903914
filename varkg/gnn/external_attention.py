"""External attention: attention of every node to a small learnable memory shared by all nodes.

Guo et al., "Beyond Self-attention: External Attention using Two Linear Layers for Visual Tasks"
(2021) replace self-attention's ``N x N`` map with two linear layers, a key memory ``M_k`` and a
value memory ``M_v`` of ``S`` units each: ``A = norm(Q M_k^T)``, ``out = A M_v``. The memories are
parameters, so they are shared across all nodes, all node types and all graphs (GEAET,
"Graph External Attention Enhanced Transformer", Liang et al. 2024, uses them to carry
information between graphs). Cost is ``O(N S d)``.

Normalisation, the one design choice that matters for inference:

* ``"batch"`` is GEAET's double normalisation: softmax over the *nodes of the batch* for each
  memory unit, then an l1 normalisation over the units of each node. A node's output then
  depends on which other nodes are in the batch, so predictions change with batching.
* ``"node"`` (default) normalises each node over the memory units only (a softmax over ``S``,
  scaled by ``1/sqrt(d_head)``; GEAET's second, l1 step is then the identity). Every output row
  is a function of that node's input row alone, so inference is deterministic and independent of
  batch composition and node order, and training uses exactly the same function (no train/test
  mismatch, no running statistics). :class:`~varkg.gnn.model.EAHGT` uses ``"node"`` unless told
  otherwise; ``"batch"`` is kept for comparison with GEAET.

Example:
    >>> import torch
    >>> ea = ExternalAttention(8, memory_units=4, heads=2).eval()
    >>> x = torch.randn(5, 8)
    >>> torch.allclose(ea(x)[:2], ea(x[:2]))  # batch-independent
    True
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from varkg.errors import ModelError

Normalization = Literal["node", "batch"]


class ExternalAttention(nn.Module):
    """Multi-head external attention with memories shared across heads.

    Args:
        dim: input and output width (``dim % heads == 0``).
        memory_units: number ``S`` of key/value memory units.
        heads: attention heads; each head attends with a ``dim / heads`` slice.
        normalization: ``"node"`` (batch-independent) or ``"batch"`` (GEAET double normalisation).
        dropout: dropout on the attention map.

    Shapes: ``x`` is ``[N, dim]``, the output ``[N, dim]``.
    """

    def __init__(
        self,
        dim: int,
        *,
        memory_units: int = 32,
        heads: int = 4,
        normalization: Normalization = "node",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if dim % heads:
            raise ModelError(f"'dim' (got {dim}) must be divisible by the number of heads (got {heads})")
        if normalization not in ("node", "batch"):
            raise ModelError(f"normalization must be 'node' or 'batch', got {normalization!r}")
        self.dim, self.heads, self.memory_units = dim, heads, memory_units
        self.head_dim = dim // heads
        self.normalization: Normalization = normalization
        self.query = nn.Linear(dim, dim)
        self.memory_key = nn.Linear(self.head_dim, memory_units, bias=False)
        self.memory_value = nn.Linear(memory_units, self.head_dim, bias=False)
        self.out = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        n = x.size(0)
        q = self.query(x).view(n, self.heads, self.head_dim)
        logits = self.memory_key(q)  # [N, H, S]
        if self.normalization == "node":
            attn = torch.softmax(logits / math.sqrt(self.head_dim), dim=-1)
        else:
            attn = torch.softmax(logits, dim=0)
            attn = attn / (attn.sum(dim=-1, keepdim=True) + 1e-9)
        attn = self.dropout(attn)
        return self.out(self.memory_value(attn).reshape(n, self.dim))
