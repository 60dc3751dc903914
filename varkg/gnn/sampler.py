"""Seed-based heterogeneous neighbourhood sampling on CSR arrays (numpy, vectorised).

PyG's ``NeighborLoader`` needs ``pyg-lib`` or ``torch-sparse`` to sample; neither installs from a
wheel here, so this sampler does the same job in numpy: :func:`neighbor_loader` uses PyG's loader
when ``pyg_lib`` is importable and :class:`NeighborSampler` otherwise.

Semantics (those of PyG's ``NeighborLoader``): messages flow ``src -> dst``. Starting from the seed
nodes (hop 0), for each hop ``h < len(fanouts)`` and each edge type ``(s, r, d)``, every node of
type ``d`` first reached at hop ``h`` draws at most ``fanouts[h]`` of its incoming ``s``
neighbours without replacement (``-1``: all of them); the drawn edges enter the subgraph and the
neighbours not seen before form hop ``h + 1``. With all fan-outs ``-1`` the subgraph holds exactly
the ``k``-hop in-neighbourhood of the seeds and every edge into a node closer than ``k`` hops, so
a ``k``-layer model computes the same seed outputs on it as on the whole graph.

The mini-batch is a ``HeteroData`` whose node stores carry ``x`` (rows of the full features),
``n_id`` (global indices) and, for the seed type, ``batch_size``: the seeds are the first
``batch_size`` nodes, in the order given.

Example:
    >>> import torch
    >>> from torch_geometric.data import HeteroData
    >>> d = HeteroData()
    >>> d["a"].x = torch.zeros(4, 1); d["a"].num_nodes = 4
    >>> d["a", "r", "a"].edge_index = torch.tensor([[1, 2, 3], [0, 1, 2]])
    >>> b = NeighborSampler(d, fanouts=[-1, -1]).sample({"a": [0]})
    >>> b["a"].n_id.tolist(), b["a"].batch_size
    ([0, 1, 2], 1)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from varkg.errors import SchemaError
from varkg.typing import EdgeType, NodeType, as_edge_type

if TYPE_CHECKING:
    from torch_geometric.data import HeteroData

Fanouts = Sequence[int] | Mapping[EdgeType, Sequence[int]]


@dataclass(frozen=True)
class CSR:
    """Incoming adjacency of one edge type: the sources of ``dst`` node ``v`` are
    ``indices[indptr[v]:indptr[v + 1]]`` (sorted), ``eid`` their positions in the edge index."""

    indptr: np.ndarray
    indices: np.ndarray
    eid: np.ndarray

    @staticmethod
    def from_edge_index(edge_index: np.ndarray, num_dst: int) -> CSR:
        src = np.asarray(edge_index[0], dtype=np.int64)
        dst = np.asarray(edge_index[1], dtype=np.int64)
        order = np.lexsort((src, dst))
        counts = np.bincount(dst, minlength=num_dst)
        indptr = np.zeros(num_dst + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return CSR(indptr=indptr, indices=src[order], eid=order.astype(np.int64))


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(starts[i], starts[i] + lengths[i])`` and the row of each element."""
    total = int(lengths.sum())
    row = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    pos = starts[row] + (np.arange(total, dtype=np.int64) - first[row])
    return pos, row


def sample_rows(indptr: np.ndarray, rows: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw at most ``k`` CSR positions per row without replacement (``k < 0``: all).

    Returns ``(positions, row_of_position)`` where ``row_of_position`` indexes ``rows``.
    Rows with degree ``<= k`` keep everything; degree in ``(k, 2k]`` rank random keys; larger
    degrees draw ``k`` integers and redraw duplicates (collision odds below 1/2 per draw).
    """
    starts = indptr[rows]
    deg = indptr[rows + 1] - starts
    if k < 0 or not (deg > k).any():
        return _ranges(starts, deg)
    out_pos: list[np.ndarray] = []
    out_row: list[np.ndarray] = []
    small = np.flatnonzero(deg <= k)
    if small.size:
        p, r = _ranges(starts[small], deg[small])
        out_pos.append(p)
        out_row.append(small[r])
    mid = np.flatnonzero((deg > k) & (deg <= 2 * k))
    if mid.size:
        p, r = _ranges(starts[mid], deg[mid])
        order = np.lexsort((rng.random(p.size), r))
        p, r = p[order], r[order]
        first = np.cumsum(deg[mid]) - deg[mid]
        rank = np.arange(p.size) - first[r]
        keep = rank < k
        out_pos.append(p[keep])
        out_row.append(mid[r[keep]])
    big = np.flatnonzero(deg > 2 * k)
    if big.size:
        d = deg[big][:, None]
        vals = np.sort((rng.random((big.size, k)) * d).astype(np.int64), axis=1)
        while True:
            dup = np.zeros(vals.shape, dtype=bool)
            dup[:, 1:] = vals[:, 1:] == vals[:, :-1]
            if not dup.any():
                break
            redraw = (rng.random(int(dup.sum())) * np.broadcast_to(d, vals.shape)[dup]).astype(np.int64)
            vals[dup] = redraw
            vals.sort(axis=1)
        out_pos.append((starts[big][:, None] + vals).ravel())
        out_row.append(np.repeat(big, k))
    return np.concatenate(out_pos), np.concatenate(out_row)


class NeighborSampler:
    """Heterogeneous neighbourhood sampler over the CSR form of a ``HeteroData``.

    Args:
        data: the full graph (``x`` per node type, ``edge_index`` per edge type).
        fanouts: per-hop fan-outs for every edge type (``[10, 10]``), or a mapping from edge type
            to per-hop fan-outs (edge types left out are not sampled). ``-1`` takes all neighbours.
        seed: seed of the sampler's random generator (each :meth:`sample` call may pass its own).
    """

    def __init__(self, data: HeteroData, *, fanouts: Fanouts, seed: int = 0) -> None:
        self.data = data
        self.node_types: list[NodeType] = list(data.node_types)
        self.num_nodes = {t: int(data[t].num_nodes) for t in self.node_types}
        if isinstance(fanouts, Mapping):
            self.fanouts = {as_edge_type(et): [int(k) for k in f] for et, f in fanouts.items()}
            unknown = [et for et in self.fanouts if et not in data.edge_types]
            if unknown:
                raise SchemaError(f"fan-outs name edge types not in the graph: {unknown}; graph has {data.edge_types}")
        else:
            self.fanouts = {et: [int(k) for k in fanouts] for et in data.edge_types}
        hops = {len(f) for f in self.fanouts.values()}
        if len(hops) > 1:
            raise SchemaError(f"every edge type needs the same number of hops, got {sorted(hops)}")
        self.num_hops = hops.pop() if hops else 0
        self.csr: dict[EdgeType, CSR] = {}
        for et in self.fanouts:
            ei = data[et].edge_index.numpy()
            self.csr[et] = CSR.from_edge_index(ei, self.num_nodes[et[2]])
        self._g2l = {t: np.full(self.num_nodes[t], -1, dtype=np.int64) for t in self.node_types}
        self.rng = np.random.default_rng(seed)

    def sample_indices(
        self, seeds: Mapping[NodeType, Sequence[int] | np.ndarray], *, rng: np.random.Generator | None = None
    ) -> tuple[dict[NodeType, np.ndarray], dict[EdgeType, np.ndarray]]:
        """The sampled subgraph as ``(n_id per type, local edge_index per type)``, seeds first."""
        rng = rng or self.rng
        nodes: dict[NodeType, list[np.ndarray]] = {t: [] for t in self.node_types}
        count = {t: 0 for t in self.node_types}
        frontier: dict[NodeType, np.ndarray] = {}
        for t, s in seeds.items():
            s = np.asarray(s, dtype=np.int64)
            if t not in self._g2l:
                raise SchemaError(f"seed type {t!r} is not in the graph ({self.node_types})")
            if np.unique(s).size != s.size:
                raise SchemaError(f"seeds of {t} contain duplicates")
            if s.size and (s.min() < 0 or s.max() >= self.num_nodes[t]):
                raise SchemaError(f"seed indices of {t} out of range [0, {self.num_nodes[t]})")
            self._g2l[t][s] = np.arange(s.size)
            nodes[t].append(s)
            count[t] = s.size
            frontier[t] = s
        edges: dict[EdgeType, list[np.ndarray]] = {et: [] for et in self.fanouts}
        try:
            for hop in range(self.num_hops):
                new: dict[NodeType, list[np.ndarray]] = {t: [] for t in self.node_types}
                for et, fan in self.fanouts.items():
                    src_t, _, dst_t = et
                    rows = frontier.get(dst_t)
                    if rows is None or rows.size == 0:
                        continue
                    csr = self.csr[et]
                    pos, row = sample_rows(csr.indptr, rows, fan[hop], rng)
                    if pos.size == 0:
                        continue
                    src = csr.indices[pos]
                    g2l = self._g2l[src_t]
                    unseen = np.unique(src[g2l[src] < 0])
                    if unseen.size:
                        g2l[unseen] = np.arange(count[src_t], count[src_t] + unseen.size)
                        count[src_t] += unseen.size
                        nodes[src_t].append(unseen)
                        new[src_t].append(unseen)
                    dst_local = self._g2l[dst_t][rows[row]]
                    edges[et].append(np.stack([g2l[src], dst_local]))
                frontier = {t: np.concatenate(v) for t, v in new.items() if v}
        finally:
            n_id = {t: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64)) for t, v in nodes.items()}
            for t, ids in n_id.items():
                self._g2l[t][ids] = -1
        e_out = {et: (np.concatenate(v, axis=1) if v else np.zeros((2, 0), dtype=np.int64)) for et, v in edges.items()}
        return n_id, e_out

    def sample(
        self, seeds: Mapping[NodeType, Sequence[int] | np.ndarray], *, rng: np.random.Generator | None = None
    ) -> HeteroData:
        """A mini-batch ``HeteroData`` around ``seeds`` (global indices per node type)."""
        n_id, e_idx = self.sample_indices(seeds, rng=rng)
        return subgraph(self.data, n_id, e_idx, batch_size={t: len(np.asarray(s)) for t, s in seeds.items()})

    def batches(
        self,
        node_type: NodeType,
        index: Sequence[int] | np.ndarray,
        *,
        batch_size: int,
        shuffle: bool = False,
        rng: np.random.Generator | None = None,
    ) -> Iterator[HeteroData]:
        """Mini-batches over ``index`` (global indices of ``node_type``), ``batch_size`` seeds each."""
        rng = rng or self.rng
        index = np.asarray(index, dtype=np.int64)
        if shuffle:
            index = index[rng.permutation(index.size)]
        for i in range(0, index.size, batch_size):
            yield self.sample({node_type: index[i : i + batch_size]}, rng=rng)


def subgraph(
    data: HeteroData,
    n_id: Mapping[NodeType, np.ndarray],
    edge_index: Mapping[EdgeType, np.ndarray],
    *,
    batch_size: Mapping[NodeType, int],
) -> HeteroData:
    """Assemble a mini-batch from global node ids and local edge indices."""
    import torch
    from torch_geometric.data import HeteroData

    out = HeteroData()
    for t in data.node_types:
        ids = torch.from_numpy(np.asarray(n_id.get(t, np.zeros(0, dtype=np.int64)), dtype=np.int64))
        store = out[t]
        for key, value in data[t].items():
            if isinstance(value, torch.Tensor) and value.dim() >= 1 and value.size(0) == data[t].num_nodes:
                store[key] = value[ids]
        store.n_id = ids
        store.num_nodes = int(ids.numel())
        if t in batch_size:
            store.batch_size = int(batch_size[t])
    for et, ei in edge_index.items():
        out[et].edge_index = torch.from_numpy(np.ascontiguousarray(ei, dtype=np.int64))
    return out


def neighbor_loader(
    data: HeteroData,
    node_type: NodeType,
    index: Sequence[int] | np.ndarray,
    *,
    fanouts: Fanouts,
    batch_size: int,
    shuffle: bool = False,
    seed: int = 0,
) -> Iterator[Any]:
    """Mini-batches from PyG's ``NeighborLoader`` when ``pyg_lib`` is importable, else from
    :class:`NeighborSampler` (same batch layout: seeds first, ``n_id``, ``batch_size``)."""
    try:
        import pyg_lib  # noqa: F401
    except ImportError:
        yield from NeighborSampler(data, fanouts=fanouts, seed=seed).batches(
            node_type, index, batch_size=batch_size, shuffle=shuffle
        )
        return
    import torch
    from torch_geometric.loader import NeighborLoader

    nn = fanouts if not isinstance(fanouts, Mapping) else {et: list(f) for et, f in fanouts.items()}
    torch.manual_seed(seed)
    yield from NeighborLoader(
        data,
        num_neighbors=nn,
        input_nodes=(node_type, torch.as_tensor(np.asarray(index))),
        batch_size=batch_size,
        shuffle=shuffle,
    )
