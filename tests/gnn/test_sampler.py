"""The CSR sampler: exact k-hop neighbourhoods, fan-out limits, seeds first, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import HeteroData

from varkg.errors import SchemaError
from varkg.gnn.sampler import NeighborSampler, sample_rows


def hand_graph() -> HeteroData:
    """Variants v0..v4 -> genes g0..g2; genes -> pathways p0, p1; plus reverse edges.

    v0->g0, v1->g0, v2->g1, v3->g2, v4->g2; g0->p0, g1->p0, g2->p1.
    """
    d = HeteroData()
    for t, n in (("V", 5), ("G", 3), ("P", 2)):
        d[t].x = torch.arange(n, dtype=torch.float32)[:, None]
        d[t].num_nodes = n
    vg = torch.tensor([[0, 1, 2, 3, 4], [0, 0, 1, 2, 2]])
    gp = torch.tensor([[0, 1, 2], [0, 0, 1]])
    d["V", "in", "G"].edge_index = vg
    d["G", "rev_in", "V"].edge_index = vg.flip(0)
    d["G", "part", "P"].edge_index = gp
    d["P", "rev_part", "G"].edge_index = gp.flip(0)
    return d


def reference_khop(d: HeteroData, seeds: dict[str, list[int]], k: int) -> tuple[dict[str, set[int]], set[tuple]]:
    """Brute-force BFS over incoming edges: node sets and edges into nodes closer than k hops."""
    dist = {(t, i): 0 for t, ids in seeds.items() for i in ids}
    frontier = set(dist)
    edges = set()
    for hop in range(k):
        nxt = set()
        for et in d.edge_types:
            s, _, t = et
            ei = d[et].edge_index.tolist()
            for a, b in zip(*ei, strict=False):
                if (t, b) in frontier:
                    edges.add((et, a, b))
                    if (s, a) not in dist:
                        dist[(s, a)] = hop + 1
                        nxt.add((s, a))
        frontier = nxt
    nodes: dict[str, set[int]] = {}
    for t, i in dist:
        nodes.setdefault(t, set()).add(i)
    return nodes, edges


@pytest.mark.parametrize(
    "seeds,k", [({"V": [0]}, 1), ({"V": [0]}, 2), ({"V": [0]}, 3), ({"V": [3, 2]}, 4), ({"P": [1], "V": [1]}, 3)]
)
def test_full_fanout_is_exactly_the_k_hop_neighbourhood(seeds, k):
    d = hand_graph()
    b = NeighborSampler(d, fanouts=[-1] * k).sample(seeds)
    want_nodes, want_edges = reference_khop(d, seeds, k)
    got_nodes = {t: set(b[t].n_id.tolist()) for t in b.node_types if b[t].num_nodes}
    assert got_nodes == want_nodes
    got_edges = set()
    for et in b.edge_types:
        s, _, t = et
        for a, c in zip(*b[et].edge_index.tolist(), strict=False):
            got_edges.add((et, int(b[s].n_id[a]), int(b[t].n_id[c])))
    assert got_edges == want_edges
    for t, ids in seeds.items():  # seeds first, in the given order
        assert b[t].n_id[: len(ids)].tolist() == ids and b[t].batch_size == len(ids)
        assert torch.equal(b[t].x, d[t].x[b[t].n_id])


def test_hand_computed_two_hop_of_v0():
    b = NeighborSampler(hand_graph(), fanouts=[-1, -1]).sample({"V": [0]})
    # hop 1: g0; hop 2: v1 (sibling variant) and p0 (pathway)
    assert set(b["V"].n_id.tolist()) == {0, 1} and b["G"].n_id.tolist() == [0] and b["P"].n_id.tolist() == [0]


def random_graph(n_src=300, n_dst=200, e=5000, seed=0) -> HeteroData:
    rng = np.random.default_rng(seed)
    d = HeteroData()
    d["a"].x = torch.zeros(n_src, 1)
    d["a"].num_nodes = n_src
    d["b"].x = torch.zeros(n_dst, 1)
    d["b"].num_nodes = n_dst
    ei = np.unique(np.stack([rng.integers(0, n_src, e), rng.integers(0, n_dst, e)]), axis=1)
    d["a", "r", "b"].edge_index = torch.from_numpy(ei)
    d["b", "rev_r", "a"].edge_index = torch.from_numpy(ei[::-1].copy())
    return d


@pytest.mark.parametrize("k", [1, 3, 10, 40])
def test_fanout_limits_hold_and_edges_are_real(k):
    d = random_graph()
    edges = set(map(tuple, d["a", "r", "b"].edge_index.t().tolist()))
    deg = np.bincount(d["a", "r", "b"].edge_index[1].numpy(), minlength=200)
    b = NeighborSampler(d, fanouts=[k, k], seed=1).sample({"b": np.arange(0, 200, 7)})
    for et in b.edge_types:
        s, _, t = et
        ei = b[et].edge_index
        per_dst = np.bincount(ei[1].numpy(), minlength=b[t].num_nodes)
        assert per_dst.max(initial=0) <= k
        pairs = {(int(b[s].n_id[x]), int(b[t].n_id[y])) for x, y in ei.t().tolist()}
        assert len(pairs) == ei.size(1)  # without replacement
        if et == ("a", "r", "b"):
            assert pairs <= edges
            seeds = np.arange(0, 200, 7)
            got = np.bincount(ei[1].numpy(), minlength=b["b"].num_nodes)[: seeds.size]
            assert (got == np.minimum(deg[seeds], k)).all()  # seeds draw min(deg, k)


def test_sample_rows_uniform_without_replacement():
    indptr = np.array([0, 100])
    rng = np.random.default_rng(0)
    counts = np.zeros(100)
    for _ in range(400):
        pos, _ = sample_rows(indptr, np.array([0]), 10, rng)
        assert np.unique(pos).size == 10
        counts[pos] += 1
    assert counts.min() > 10 and counts.max() < 80  # every neighbour gets drawn, none dominates (mean 40)


def test_sampler_is_seeded_and_rejects_bad_seeds():
    d = random_graph()
    a = NeighborSampler(d, fanouts=[5, 5], seed=3).sample({"b": [1, 2, 3]})
    b = NeighborSampler(d, fanouts=[5, 5], seed=3).sample({"b": [1, 2, 3]})
    assert all(torch.equal(a[t].n_id, b[t].n_id) for t in a.node_types)
    with pytest.raises(SchemaError, match="duplicates"):
        NeighborSampler(d, fanouts=[5]).sample({"b": [1, 1]})
    with pytest.raises(SchemaError, match="out of range"):
        NeighborSampler(d, fanouts=[5]).sample({"b": [500]})


def test_isolated_seeds_give_an_edgeless_batch_the_model_trains_on():
    """Seeds without neighbours: every node and edge type is in the batch, with zero edges."""
    from varkg.gnn.model import EAHGT, ModelConfig

    d = hand_graph()
    d["V"].x = torch.cat([d["V"].x, torch.ones(2, 1)])
    d["V"].num_nodes = 7  # v5, v6: no gene
    b = NeighborSampler(d, fanouts=[3, 3]).sample({"V": [5, 6]})
    assert b["V"].n_id.tolist() == [5, 6] and b["V"].batch_size == 2
    assert sorted(b.edge_types) == sorted(d.edge_types) and all(b[et].edge_index.shape == (2, 0) for et in b.edge_types)
    assert b["G"].num_nodes == 0 and b["P"].num_nodes == 0
    torch.manual_seed(0)
    m = EAHGT({t: 1 for t in d.node_types}, d.metadata(), ModelConfig(hidden=8, heads=2, ea_heads=2, memory_units=4, target="V"))
    h = m.embed(b)
    assert h["V"].shape == (2, 8) and h["G"].shape == (0, 8)
    m.effect_logits(h).sum().backward()
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in m.parameters())
    m.eval()
    np.testing.assert_allclose(m.effect_logits(m.embed(b)).detach(), m.effect_logits(m.embed(d)).detach()[5:7], atol=1e-6)
