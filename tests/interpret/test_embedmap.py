"""Embedding maps of real chr2 windows (CTCF motif instances vs random windows) embedded by a
tiny varkg LM and written back on RegulatoryElement nodes; neighbours against the store's search."""

from __future__ import annotations

import gzip

import numpy as np
import pyarrow as pa
import pytest

from varkg.interpret.embedmap import cosine_neighbours, nearest_neighbours, node_vectors, project, write_map_html
from varkg.interpret.plot import embedding_scatter


@pytest.fixture
def element_graph(shared_data, ladybug_store, tiny_mlm):
    from varkg.lm.data import FastaReader
    from varkg.lm.embed import embed_sequences
    from varkg.lm.tokenizer import single_nucleotide_tokenizer

    fa = shared_data / "reference" / "hg38_chr2_1-2333275.fa.gz"
    bed = shared_data / "regulatory" / "encode_motifs_hg38_ctcf_known1.bed.gz"
    for p in (fa, bed):
        if not p.exists():
            pytest.skip(f"{p} is absent")
    reader = FastaReader(fa)
    ctcf = []
    with gzip.open(bed, "rt") as fh:
        for line in fh:
            c, s, e, *_ = line.split("\t")
            if c == "chr2" and 20_000 < int(s) < 2_300_000:
                ctcf.append(int(s))
    ctcf = sorted(ctcf)[:40]
    rng = np.random.default_rng(0)
    rand = sorted(int(x) for x in rng.integers(20_000, 2_300_000, 40))
    starts = [(s - 40, "CTCF") for s in ctcf] + [(s, "random") for s in rand]
    seqs = [reader.fetch("chr2", a, a + 100) for a, _ in starts]
    emb = embed_sequences(tiny_mlm(seed=1), single_nucleotide_tokenizer(), seqs).mean
    # the schema's RegulatoryElement.seq_embedding is 256-d: pad the tiny model's vectors with zeros
    dim = ladybug_store.schema.node("RegulatoryElement").properties["seq_embedding"].dim
    vec = np.zeros((len(seqs), dim), np.float32)
    vec[:, : emb.shape[1]] = emb
    ids = [f"GRCh38:2:{a}-{a + 100}" for a, _ in starts]
    ladybug_store.upsert_nodes(
        "RegulatoryElement",
        pa.table(
            {
                "id": ids,
                "chrom": ["2"] * len(ids),
                "start": [a for a, _ in starts],
                "stop": [a + 100 for a, _ in starts],
                "kind": [k for _, k in starts],
                "seq_embedding": pa.array(vec.tolist(), pa.list_(pa.float32(), dim)),
            }
        ),
    )
    return ladybug_store, ids, vec


def test_tsne_map_png_html_and_neighbours(element_graph, tmp_path):
    store, ids, vec = element_graph
    got_ids, x, colours = node_vectors(store, label="RegulatoryElement", colour_by="kind")
    assert sorted(ids) == got_ids and x.shape == (80, vec.shape[1])
    xy = project(x, method="tsne", seed=0)
    assert xy.shape == (80, 2) and np.isfinite(xy).all()
    png = embedding_scatter(xy, colours, tmp_path / "map.png", title="t-SNE", colour_by="kind")
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 5000
    page = write_map_html(tmp_path / "map.html", xy, got_ids, colours, title="t-SNE of elements", colour_by="kind").read_text()
    assert all(i in page for i in got_ids) and "<script src" not in page and "https://" not in page
    # neighbours: numpy on exported vectors == Ladybug's array_cosine_similarity search
    q = got_ids[3]
    ours = nearest_neighbours(store, q, label="RegulatoryElement", k=5)
    theirs = store.nearest("RegulatoryElement", property="seq_embedding", vector=x[3].tolist(), k=6).to_pandas()
    theirs = theirs[theirs["id"] != q].head(5)
    assert ours["id"].tolist() == theirs["id"].tolist()
    np.testing.assert_allclose(ours["score"], theirs["score"], rtol=1e-4)
    by_hand = cosine_neighbours(got_ids, x, q, k=5)
    assert by_hand["id"].tolist() == ours["id"].tolist()


@pytest.mark.slow  # numba compiles UMAP on first use (~30 s here)
def test_umap_map(element_graph):
    store, ids, _ = element_graph
    _, x, _ = node_vectors(store, label="RegulatoryElement", colour_by="kind")
    xy = project(x, method="umap", seed=0)
    assert xy.shape == (80, 2) and np.isfinite(xy).all()


def test_vector_property_is_checked(ladybug_store):
    from varkg.errors import SchemaError

    with pytest.raises(SchemaError, match="not a vector property"):
        node_vectors(ladybug_store, label="Gene", prop="symbol")
