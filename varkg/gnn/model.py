"""EAHGT: an external-attention enhanced heterogeneous graph transformer.

Architecture (hidden width ``d``, ``L`` layers)::

    x[type] --Linear->LayerNorm->GELU--> h[type]                      per-type input encoders
    for each layer:
        m = HGTConv(h)            local heterogeneous message passing (type-specific attention
                                  over the incoming edges of each relation; Hu et al. 2020)
        h = LayerNorm_t(h + Dropout(m))
        e = ExternalAttention(h)  one module for all node types: its key/value memory units are
                                  shared across all nodes and all graphs (Guo et al. 2021; GEAET)
        h = LayerNorm_t(h + Dropout(e))
        h = LayerNorm_t(h + Dropout(FFN(h)))

Skip path (``ModelConfig.skip``, on by default): the target nodes' own features also go through
a graph-free MLP, and the graph embedding is added through a per-dimension gate that starts at
zero::

    z = A x[target] + MLP(x[target]) + g * h_graph[target]     g = 0 at initialisation
    logit = w . z + MLP(z)

The skip is ``A x + MLP(x)`` and the head ``w . z + MLP(z)``, so logistic regression on the
variant's own features is nested in the model. At initialisation the model *is* the graph-free
model on the variant's own features; the gate opens only as far as the neighbourhood lowers the
training loss, and with no useful neighbours (or none at all) it stays graph-free. This is a
guarantee about the model class and the starting point, not about test AUROC: the ablations in
``benchmarks/bench_gnn.py`` measure what the graph adds out of sample. The learnt ``|g|`` is reported (:meth:`EAHGT.graph_gate`).

Heads: ``effect_logits`` (variant-effect classification on ``Variant`` nodes, one logit),
``link_scores`` (element -> gene link prediction, a DistMult score per pair), ``expression``
(per-``Gene`` regression).

Determinism and batch independence at inference: every operation is per node or per incoming
edge (HGT's softmax runs over a node's incoming edges, LayerNorm normalises a node's own
features, and external attention normalises each node over the memory units: the ``"node"``
normalisation of :mod:`varkg.gnn.external_attention`). There is no BatchNorm and no statistic
over the batch, so a node's output depends only on its ``L``-hop neighbourhood: a full-graph
pass, a full-neighbourhood mini-batch (sampler fan-outs ``-1``) and any permutation of the nodes
give the same values (up to float summation order), and ``eval()`` removes all randomness.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import Tensor, nn

from varkg.errors import ModelError
from varkg.gnn.external_attention import ExternalAttention, Normalization
from varkg.typing import EdgeType, NodeType, as_edge_type


@dataclass
class ModelConfig:
    """Hyperparameters of :class:`EAHGT`.

    Attributes:
        hidden: hidden width ``d`` (divisible by ``heads`` and ``ea_heads``).
        layers: number ``L`` of (message passing + external attention) layers; the model's
            receptive field is ``L`` hops.
        heads: HGT attention heads.
        memory_units: external-attention memory units ``S``.
        ea_heads: external-attention heads.
        dropout: dropout after each block and in the encoders.
        normalization: external-attention normalisation (``"node"``: batch-independent).
        target: node type of the variant-effect head.
        skip: add the gated skip path (module docstring): the target's own features through an
            MLP, the graph embedding gated in from zero.
        external_attention: use the external-attention block in each layer (off: HGT + FFN only,
            for the ablation).
        link: ``(element type, gene type)`` of the link head.
        expression: node type of the expression head.
    """

    hidden: int = 64
    layers: int = 2
    heads: int = 2
    memory_units: int = 32
    ea_heads: int = 4
    dropout: float = 0.2
    normalization: Normalization = "node"
    target: NodeType = "Variant"
    skip: bool = True
    external_attention: bool = True
    link: tuple[NodeType, NodeType] = ("RegulatoryElement", "Gene")
    expression: NodeType = "Gene"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Layer(nn.Module):
    def __init__(self, metadata: tuple[list[NodeType], list[EdgeType]], cfg: ModelConfig, ea: ExternalAttention) -> None:
        super().__init__()
        from torch_geometric.nn import HGTConv

        self.conv = HGTConv(cfg.hidden, cfg.hidden, metadata, heads=cfg.heads)
        self.ea = ea if cfg.external_attention else None
        types = metadata[0]
        self.norm1 = nn.ModuleDict({t: nn.LayerNorm(cfg.hidden) for t in types})
        self.norm2 = nn.ModuleDict({t: nn.LayerNorm(cfg.hidden) for t in types})
        self.norm3 = nn.ModuleDict({t: nn.LayerNorm(cfg.hidden) for t in types})
        self.ffn = nn.Sequential(nn.Linear(cfg.hidden, 2 * cfg.hidden), nn.GELU(), nn.Linear(2 * cfg.hidden, cfg.hidden))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, h: dict[NodeType, Tensor], edge_index: dict[EdgeType, Tensor]) -> dict[NodeType, Tensor]:
        # HGTConv concatenates the sources of its edge types and fails on none at all: a model
        # without edge types has no messages to pass (EAHGT.forward gives every known type).
        m = self.conv(h, edge_index) if edge_index else {}
        out = {}
        for t, x in h.items():
            msg = m.get(t)
            out[t] = self.norm1[t](x + self.drop(msg)) if msg is not None else self.norm1[t](x)
        types = list(out)
        if self.ea is not None:
            sizes = [out[t].size(0) for t in types]
            e = torch.split(self.ea(torch.cat([out[t] for t in types], dim=0)), sizes, dim=0)
            for t, et in zip(types, e, strict=False):
                out[t] = self.norm2[t](out[t] + self.drop(et))
        for t in types:
            x = out[t]
            out[t] = self.norm3[t](x + self.drop(self.ffn(x)))
        return out


class _Skip(nn.Module):
    """``A x + MLP(x)``: a linear map of the target's own features plus a small MLP."""

    def __init__(self, in_dim: int, d: int, dropout: float) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, d)
        self.mlp = nn.Sequential(nn.Linear(in_dim, d), nn.LayerNorm(d), nn.GELU(), nn.Dropout(dropout), nn.Linear(d, d))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x) + self.mlp(x)


class _EffectHead(nn.Module):
    """``w . z + MLP(z)``: with the linear skip, logistic regression on the variant's own
    features is one setting of the model (the MLP parts at zero, the gate closed)."""

    def __init__(self, d: int, dropout: float) -> None:
        super().__init__()
        self.linear = nn.Linear(d, 1)
        self.mlp = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Dropout(dropout), nn.Linear(d, 1))

    def forward(self, z: Tensor) -> Tensor:
        return self.linear(z) + self.mlp(z)


class EAHGT(nn.Module):
    """External-attention enhanced heterogeneous graph transformer.

    Args:
        in_dims: feature width per node type (``data[t].x.size(1)``).
        metadata: ``(node_types, edge_types)`` of the graph (``HeteroData.metadata()``).
        config: hyperparameters.
    """

    def __init__(
        self, in_dims: dict[NodeType, int], metadata: tuple[list[NodeType], list[EdgeType]], config: ModelConfig
    ) -> None:
        super().__init__()
        for dim_name, heads in (("heads", config.heads), ("ea_heads", config.ea_heads)):
            if config.hidden % heads:
                raise ModelError(f"'hidden' (got {config.hidden}) must be divisible by {dim_name} (got {heads})")
        self.config = config
        self.in_dims = dict(in_dims)
        self.metadata = (list(metadata[0]), [as_edge_type(e) for e in metadata[1]])
        missing = [t for t in self.metadata[0] if t not in in_dims]
        if missing:
            raise ModelError(f"no input width for node types {missing}")
        d = config.hidden
        self.encoders = nn.ModuleDict(
            {
                t: nn.Sequential(nn.Linear(in_dims[t], d), nn.LayerNorm(d), nn.GELU(), nn.Dropout(config.dropout))
                for t in self.metadata[0]
            }
        )
        ea = ExternalAttention(
            d, memory_units=config.memory_units, heads=config.ea_heads, normalization=config.normalization, dropout=config.dropout
        )
        self.external_attention = ea if config.external_attention else None
        self.layers = nn.ModuleList([_Layer(self.metadata, config, ea) for _ in range(config.layers)])
        tgt = config.target
        self.skip: nn.Module | None = None
        if config.skip and tgt in in_dims:
            self.skip = _Skip(in_dims[tgt], d, config.dropout)
            self.gate = nn.Parameter(torch.zeros(d))
        self.effect_head = _EffectHead(d, config.dropout)
        self.link_relation = nn.Parameter(torch.ones(d))
        self.link_proj = nn.Linear(d, d)
        self.expression_head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 1))

    def forward(self, x: dict[NodeType, Tensor], edge_index: dict[EdgeType, Tensor]) -> dict[NodeType, Tensor]:
        """Node embeddings ``[num_nodes, hidden]`` for every node type of the model.

        Any graph is valid input: node types with zero nodes, edge types with zero edges, node or
        edge types left out (they count as present and empty, so a node's output is the same
        whether a graph declares an empty type or omits it), and types the model does not know
        (ignored). A model without edge types sends no messages.
        """
        ref = self.link_relation
        h = {t: self.encoders[t](x[t]) if t in x else ref.new_zeros(0, self.config.hidden) for t in self.metadata[0]}
        ei = {
            et: edge_index[et] if et in edge_index else torch.zeros(2, 0, dtype=torch.long, device=ref.device)
            for et in self.metadata[1]
        }
        for layer in self.layers:
            h = layer(h, ei)
        tgt = self.config.target
        if self.skip is not None:
            xt = x[tgt] if tgt in x else ref.new_zeros(0, self.in_dims[tgt])
            h[tgt] = self.skip(xt) + self.gate * h[tgt]
        return h

    def graph_gate(self) -> float:
        """Mean ``|g|`` of the skip path's gate (0: the graph is not used; ``nan`` without skip)."""
        return float(self.gate.detach().abs().mean()) if self.skip is not None else float("nan")

    def embed(self, data: Any) -> dict[NodeType, Tensor]:
        """:meth:`forward` on a ``HeteroData`` (a full graph or a mini-batch), also one without
        any edge type (PyG's ``data.edge_index_dict`` raises ``KeyError`` on such a graph)."""
        return self(data.collect("x", allow_empty=True), edge_index_dict(data))

    def effect_logits(self, h: dict[NodeType, Tensor]) -> Tensor:
        """Variant-effect logits ``[num_target_nodes]``."""
        return self.effect_head(h[self.config.target]).squeeze(-1)

    def link_scores(self, h: dict[NodeType, Tensor], pairs: Tensor) -> Tensor:
        """Scores of element->gene pairs (``pairs`` is ``int64[2, P]`` of element and gene indices)."""
        src_t, dst_t = self.config.link
        a = self.link_proj(h[src_t])[pairs[0]]
        b = self.link_proj(h[dst_t])[pairs[1]]
        return (a * self.link_relation * b).sum(-1)

    def expression(self, h: dict[NodeType, Tensor]) -> Tensor:
        """Predicted expression per gene ``[num_genes]`` (the scale of the training target)."""
        return self.expression_head(h[self.config.expression]).squeeze(-1)


def edge_index_dict(data: Any) -> dict[EdgeType, Tensor]:
    """``{edge type: edge_index}`` of a ``HeteroData``; empty (not ``KeyError``) when it has no edges."""
    return data.collect("edge_index", allow_empty=True)


def conform(data: Any, in_dims: dict[NodeType, int], metadata: tuple[list[NodeType], list[EdgeType]]) -> Any:
    """Make a (new) graph fit a trained model: node types the model lacks are dropped, missing
    ones are added empty, edge types the model lacks are dropped, missing ones added empty.
    Feature widths must match (same :class:`~varkg.gnn.features.FeatureEncoder`)."""
    from torch_geometric.data import HeteroData

    out = HeteroData()
    for t in metadata[0]:
        if t in data.node_types:
            x = data[t].x
            if x.size(1) != in_dims[t]:
                raise ModelError(
                    f"{t} features have {x.size(1)} columns, the model expects {in_dims[t]}: encode with the checkpoint's encoder"
                )
            for k, v in data[t].items():
                out[t][k] = v
        else:
            out[t].x = torch.zeros(0, in_dims[t])
            out[t].num_nodes = 0
    for et in metadata[1]:
        et = as_edge_type(et)
        out[et].edge_index = data[et].edge_index if et in data.edge_types else torch.zeros(2, 0, dtype=torch.long)
    return out
