"""EAHGT and external attention: inference is deterministic, order- and batch-independent."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import HeteroData

from varkg.errors import ModelError
from varkg.gnn.external_attention import ExternalAttention
from varkg.gnn.model import EAHGT, ModelConfig
from varkg.gnn.train import infer_logits


def graph(seed=0, nv=60, ng=15, npw=6) -> HeteroData:
    rng = np.random.default_rng(seed)
    d = HeteroData()
    d["Variant"].x = torch.from_numpy(rng.normal(size=(nv, 4)).astype(np.float32))
    d["Gene"].x = torch.from_numpy(rng.normal(size=(ng, 3)).astype(np.float32))
    d["Pathway"].x = torch.ones(npw, 1)
    for t, n in (("Variant", nv), ("Gene", ng), ("Pathway", npw)):
        d[t].num_nodes = n
    vg = np.stack([np.arange(nv), rng.integers(0, ng, nv)])
    gp = np.unique(np.stack([rng.integers(0, ng, 30), rng.integers(0, npw, 30)]), axis=1)
    for (s, r, t), ei in ((("Variant", "AFFECTS", "Gene"), vg), (("Gene", "IN_PATHWAY", "Pathway"), gp)):
        d[s, r, t].edge_index = torch.from_numpy(ei)
        d[t, "rev_" + r, s].edge_index = torch.from_numpy(ei[::-1].copy())
    return d


def model(d, **kw) -> EAHGT:
    torch.manual_seed(0)
    cfg = ModelConfig(hidden=16, layers=2, heads=2, ea_heads=2, memory_units=8, **kw)
    return EAHGT({t: d[t].x.size(1) for t in d.node_types}, d.metadata(), cfg).eval()


def permute(d: HeteroData, perms: dict[str, np.ndarray]) -> HeteroData:
    """Relabel nodes: new index of old node i is inv[i]."""
    out = HeteroData()
    inv = {}
    for t in d.node_types:
        p = perms[t]
        inv[t] = np.argsort(p)
        out[t].x = d[t].x[torch.from_numpy(p)]
        out[t].num_nodes = d[t].num_nodes
    for s, r, t in d.edge_types:
        ei = d[s, r, t].edge_index.numpy()
        out[s, r, t].edge_index = torch.from_numpy(np.stack([inv[s][ei[0]], inv[t][ei[1]]]))
    return out


def test_output_invariant_to_node_order():
    d = graph()
    m = model(d)
    ref = infer_logits(m, d, np.arange(60))
    rng = np.random.default_rng(1)
    perms = {t: rng.permutation(d[t].num_nodes) for t in d.node_types}
    pd_ = permute(d, perms)
    got = infer_logits(m, pd_, np.argsort(perms["Variant"]))  # old node i sits at inv[i]
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-5)


@pytest.mark.parametrize("batch_size", [1, 7, 60])
def test_output_invariant_to_batch_composition(batch_size):
    d = graph()
    m = model(d)
    full = infer_logits(m, d, np.arange(60))
    order = np.random.default_rng(batch_size).permutation(60)
    got = infer_logits(m, d, order, batch_size=batch_size)
    np.testing.assert_allclose(got, full[order], rtol=0, atol=1e-5)
    again = infer_logits(m, d, order, batch_size=batch_size)
    np.testing.assert_array_equal(got, again)  # deterministic


def test_batch_normalisation_would_depend_on_the_batch():
    """GEAET's softmax over the batch changes outputs with batching; the default does not."""
    x = torch.randn(20, 8)
    for norm, independent in (("node", True), ("batch", False)):
        torch.manual_seed(0)
        ea = ExternalAttention(8, memory_units=4, heads=2, normalization=norm).eval()
        assert torch.allclose(ea(x)[:5], ea(x[:5]), atol=1e-6) is independent


def test_memory_units_are_shared_across_node_types_and_layers():
    d = graph()
    m = model(d)
    eas = {id(layer.ea) for layer in m.layers}
    assert eas == {id(m.external_attention)}
    n_mem = sum(p.numel() for n, p in m.named_parameters() if "memory" in n)
    assert n_mem == 2 * 8 * 8  # one key and one value memory (S=8, head dim 8), counted once


def test_bad_config_is_explained():
    d = graph()
    with pytest.raises(ModelError, match=r"'hidden' \(got 10\) must be divisible"):
        EAHGT({t: 1 for t in d.node_types}, d.metadata(), ModelConfig(hidden=10, heads=4))


def test_heads_shapes():
    d = graph()
    m = model(d)
    h = m(d.x_dict, d.edge_index_dict)
    assert m.effect_logits(h).shape == (60,)
    assert m.expression(h).shape == (15,)
    m.config.link = ("Variant", "Gene")
    assert m.link_scores(h, torch.tensor([[0, 1], [2, 3]])).shape == (2,)


def empty_like(d: HeteroData, *, drop_nodes=(), keep_edges=True) -> HeteroData:
    out = HeteroData()
    for t in d.node_types:
        if t not in drop_nodes:
            out[t].x, out[t].num_nodes = d[t].x, d[t].num_nodes
    if keep_edges:
        for et in d.edge_types:
            out[et].edge_index = torch.zeros(2, 0, dtype=torch.long)
    return out


@pytest.mark.parametrize("case", ["no_edge_types", "empty_edge_types", "missing_node_type", "empty_node_type"])
def test_forward_on_graphs_without_edges(case):
    """Edge types absent or with zero rows, node types absent or with zero nodes: same outputs
    for the nodes that are there, and a gradient."""
    d = graph()
    m = model(d)
    ref = m.embed(empty_like(d))["Variant"]
    g = {
        "no_edge_types": empty_like(d, keep_edges=False),
        "empty_edge_types": empty_like(d),
        "missing_node_type": empty_like(d, drop_nodes=("Pathway",), keep_edges=False),
        "empty_node_type": empty_like(d),
    }[case]
    if case == "empty_node_type":
        g["Pathway"].x, g["Pathway"].num_nodes = torch.zeros(0, 1), 0
    h = m.embed(g)
    assert set(h) == set(d.node_types) and h["Pathway"].size(1) == 16
    torch.testing.assert_close(h["Variant"], ref)
    m.train()
    m.effect_logits(m.embed(g)).sum().backward()
    assert torch.isfinite(m.encoders["Variant"][0].weight.grad).all()


def test_a_model_without_edge_types_runs():
    d = empty_like(graph(), keep_edges=False)
    m = EAHGT(
        {t: d[t].x.size(1) for t in d.node_types}, d.metadata(), ModelConfig(hidden=16, heads=2, ea_heads=2, memory_units=8)
    ).eval()
    assert d.metadata()[1] == [] and m.effect_logits(m.embed(d)).shape == (60,)


def test_the_skip_path_makes_an_untrained_model_the_graph_free_mlp():
    """With the gate at its initial zero the variant logits do not depend on the graph at all:
    removing every edge or changing every gene feature leaves them unchanged. Opening the gate
    makes them depend on it (so the test can fail)."""
    d = graph()
    m = model(d)
    idx = np.arange(d["Variant"].num_nodes)
    full = infer_logits(m, d, idx)
    bare = HeteroData()
    for t in d.node_types:
        bare[t].x = d[t].x if t == "Variant" else torch.randn_like(d[t].x)
        bare[t].num_nodes = d[t].num_nodes
    assert np.allclose(full, infer_logits(m, bare, idx), atol=1e-6)
    with torch.no_grad():
        m.gate.fill_(1.0)
    assert not np.allclose(infer_logits(m, d, idx), infer_logits(m, bare, idx), atol=1e-3)
    assert m.graph_gate() == pytest.approx(1.0)


def test_external_attention_can_be_switched_off():
    d = graph()
    m = model(d, external_attention=False)
    assert all(layer.ea is None for layer in m.layers)
    assert not any("external_attention" in k for k in m.state_dict())
    assert np.isfinite(infer_logits(m, d, np.arange(10))).all()
