"""Leakage-safe train/validation/test splits of labelled nodes, and label-edge removal.

Two kinds of leakage are handled:

1. *Neighbourhood leakage between splits.* Variants close on the genome share genes, LD and
   regulatory elements, so a random split lets a model memorise a gene's label rate. The default
   split is therefore by chromosome (whole chromosomes go to validation or test); ``"gene"``
   keeps all variants of a gene in one split; ``"random"`` is there for comparison.
2. *Labels that are also edges.* A ClinVar significance is both the label and, when ClinVar was
   loaded, an ``ASSOCIATED_WITH`` edge from the variant to a phenotype (with
   ``clinical_significance`` on the edge). :func:`remove_label_edges` deletes such edges of the
   validation and test nodes (both directions) from the message-passing graph.
   Label-derived node properties are never features (:data:`varkg.gnn.features.LABEL_PROPERTIES`).

All splits are deterministic functions of the inputs and ``seed``.

Example:
    >>> import numpy as np
    >>> s = split_nodes(np.arange(6), mode="chromosome", chrom=np.array(["1", "1", "2", "2", "3", "3"]),
    ...                 test_chroms=["3"], val_chroms=["2"])
    >>> s.train.tolist(), s.val.tolist(), s.test.tolist()
    ([0, 1], [2, 3], [4, 5])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from varkg.errors import AnalysisError
from varkg.typing import EdgeType, NodeType, as_edge_type

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

SplitMode = Literal["chromosome", "gene", "random"]

LABEL_EDGE_TYPES: tuple[EdgeType, ...] = (
    ("Variant", "ASSOCIATED_WITH", "Phenotype"),
    ("Variant", "CAUSAL_FOR", "Phenotype"),
    ("Variant", "CAUSAL_FOR", "Gene"),
)
"""Edge types that may restate a variant's label (ClinVar significance, written-back claims)."""


@dataclass
class Split:
    """Global node indices of each part, and how they were chosen."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    mode: SplitMode = "chromosome"
    seed: int = 0
    groups: dict[str, list[str]] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seed": self.seed,
            "sizes": [int(self.train.size), int(self.val.size), int(self.test.size)],
            "groups": self.groups,
        }


def split_nodes(
    index: np.ndarray,
    *,
    mode: SplitMode = "chromosome",
    seed: int = 0,
    val_fraction: float = 0.15,
    test_fraction: float = 0.15,
    chrom: np.ndarray | None = None,
    genes: np.ndarray | None = None,
    val_chroms: Sequence[str] | None = None,
    test_chroms: Sequence[str] | None = None,
) -> Split:
    """Split labelled node indices into train/val/test.

    Args:
        index: global indices of the labelled nodes.
        mode: ``"chromosome"`` (groups = chromosomes), ``"gene"`` (groups = gene keys; nodes
            without a gene form their own group) or ``"random"``.
        seed: seed of the shuffle.
        val_fraction, test_fraction: target fractions of nodes (groups are assigned whole, in
            seeded random order, until each part reaches its target).
        chrom: chromosome per node (``mode="chromosome"``).
        genes: group key per node (``mode="gene"``).
        val_chroms, test_chroms: fixed chromosomes for validation/test (override the fractions).
    """
    index = np.asarray(index, dtype=np.int64)
    rng = np.random.default_rng(seed)
    n = index.size
    if n < 3:
        raise AnalysisError(f"need at least 3 labelled nodes to split, got {n}")
    if mode == "random":
        perm = rng.permutation(n)
        n_test = max(1, round(test_fraction * n))
        n_val = max(1, round(val_fraction * n))
        return Split(index[perm[n_test + n_val :]], index[perm[n_test : n_test + n_val]], index[perm[:n_test]], mode, seed)
    if mode == "chromosome":
        if chrom is None:
            raise AnalysisError("mode='chromosome' needs the chromosome of every labelled node (got chrom=None)")
        group = np.asarray(chrom, dtype=object).astype(str)
    elif mode == "gene":
        if genes is None:
            raise AnalysisError("mode='gene' needs a gene per labelled node (got genes=None)")
        group = np.array([g if g else f"__node{i}" for i, g in enumerate(np.asarray(genes, dtype=object))], dtype=object).astype(
            str
        )
    else:
        raise AnalysisError(f"unknown split mode {mode!r}; expected one of: chromosome, gene, random")
    if len(group) != n:
        raise AnalysisError(f"got {len(group)} group labels for {n} nodes")
    names, inverse, sizes = np.unique(group, return_inverse=True, return_counts=True)
    part = np.zeros(names.size, dtype=np.int64)  # 0 train, 1 val, 2 test
    if val_chroms is not None or test_chroms is not None:
        part[np.isin(names, list(val_chroms or []))] = 1
        part[np.isin(names, list(test_chroms or []))] = 2
    else:
        order = rng.permutation(names.size)
        filled = {1: 0, 2: 0}
        target = {1: val_fraction * n, 2: test_fraction * n}
        for g in order:
            for p in (2, 1):
                if filled[p] < target[p] and filled[p] + sizes[g] <= 1.5 * target[p] + 1:
                    part[g] = p
                    filled[p] += sizes[g]
                    break
    node_part = part[inverse]
    groups = {k: sorted(names[part == i].tolist()) for i, k in ((1, "val"), (2, "test"))}
    split = Split(index[node_part == 0], index[node_part == 1], index[node_part == 2], mode, seed, groups)
    if min(split.train.size, split.val.size, split.test.size) == 0:
        raise AnalysisError(f"split {mode!r} left a part empty (sizes {split.describe()['sizes']}); adjust fractions or groups")
    return split


def first_gene(
    data: HeteroData, keys: np.ndarray, *, node_type: NodeType = "Variant", edge: EdgeType = ("Variant", "AFFECTS", "Gene")
) -> np.ndarray:
    """The key of the lowest-index gene each node affects (``None`` for nodes without one)."""
    out = np.full(int(data[node_type].num_nodes), None, dtype=object)
    if edge not in data.edge_types:
        return out
    ei = data[edge].edge_index.numpy()
    order = np.lexsort((ei[1], ei[0]))
    src, dst = ei[0][order], ei[1][order]
    first = np.ones(src.size, dtype=bool)
    first[1:] = src[1:] != src[:-1]
    out[src[first]] = keys[dst[first]]
    return out


def remove_label_edges(
    data: HeteroData,
    nodes: np.ndarray,
    *,
    node_type: NodeType = "Variant",
    edge_types: Sequence[EdgeType] = LABEL_EDGE_TYPES,
) -> tuple[HeteroData, int]:
    """A copy of ``data`` without the label-restating edges that touch ``nodes`` (both directions).

    Returns the new graph and the number of edges removed (forward and reverse counted).
    """
    import torch

    from varkg.gnn.export import reverse_edge_type

    out = data.clone()
    drop = np.zeros(int(data[node_type].num_nodes), dtype=bool)
    drop[np.asarray(nodes, dtype=np.int64)] = True
    mask_t = torch.from_numpy(drop)
    removed = 0
    for et in edge_types:
        for e, side in ((as_edge_type(et), 0), (reverse_edge_type(as_edge_type(et)), 1)):
            if e not in out.edge_types or e[side * 2] != node_type:
                continue
            ei = out[e].edge_index
            keep = ~mask_t[ei[side]]
            removed += int((~keep).sum())
            out[e].edge_index = ei[:, keep]
    return out, removed
