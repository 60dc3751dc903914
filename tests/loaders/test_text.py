"""text loader: embeddings (all-MiniLM-L6-v2, offline), DESCRIBES, name embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders2"


def test_related_gene_texts_are_closer(shared_data, ladybug_store):
    ladybug_store.upsert_nodes("Pathway", pa.table({"id": ["GO:0006281"], "name": ["DNA repair"]}))
    load(
        ladybug_store,
        "text",
        [DATA / "gene_texts.tsv"],
        progress=False,
        options={"id_map": str(shared_data / "annotation/orgHsEgDb_gene_info.tsv.gz"), "progress": False},
    )
    # vectors through export_nodes: a joined query returning vectors segfaults inside Ladybug's
    # get_as_arrow once torch is loaded in the process (reported to the store owner)
    links = ladybug_store.query("MATCH (t:Text)-[:DESCRIBES]->(g:Gene) RETURN g.symbol AS s, t.id AS t, g.id AS g").to_pylist()
    tv = {r["id"]: r["embedding"] for r in ladybug_store.export_nodes("Text", properties=["embedding"]).to_pylist()}
    gv = {r["id"]: r["text_embedding"] for r in ladybug_store.export_nodes("Gene", properties=["text_embedding"]).to_pylist()}
    t = [{"s": r["s"], "e": tv[r["t"]], "ge": gv[r["g"]]} for r in links]
    emb = {r["s"]: np.array(r["e"]) for r in t}
    assert set(emb) == {"TP53", "BRCA1", "AMY1A"} and all(v.shape == (384,) for v in emb.values())
    cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))  # noqa: E731
    assert cos(emb["TP53"], emb["BRCA1"]) > cos(emb["TP53"], emb["AMY1A"])
    assert cos(emb["TP53"], emb["BRCA1"]) > cos(emb["BRCA1"], emb["AMY1A"])
    assert all(np.allclose(r["e"], r["ge"], atol=1e-5) for r in t)  # one text per gene
    ne = ladybug_store.export_nodes("Pathway", properties=["name_embedding"]).column("name_embedding")[0].as_py()
    assert cos(np.array(ne), emb["BRCA1"]) > cos(np.array(ne), emb["AMY1A"])
    # reload: same ids (stable hashes), nothing new
    rep = load(
        ladybug_store,
        "text",
        [DATA / "gene_texts.tsv"],
        progress=False,
        options={"id_map": str(shared_data / "annotation/orgHsEgDb_gene_info.tsv.gz"), "progress": False},
    )
    assert rep.results["Text"]["inserted"] == 0


@pytest.mark.slow
def test_uniprot_function_texts(shared_data, ladybug_store):
    load(
        ladybug_store,
        "text",
        [shared_data / "text/uniprot_sprot_human_sample.dat.gz"],
        progress=False,
        options={"progress": False, "name_embeddings": False},
    )
    t = ladybug_store.query("MATCH (t:Text {source: 'UniProt'})-[:DESCRIBES]->(g:Gene) RETURN g.id AS g, t.text AS x").to_pylist()
    assert len(t) >= 10 and all(r["g"].startswith("ENSG") and "ECO:" not in r["x"] for r in t)
