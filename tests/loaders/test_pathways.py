"""pathways loader: Hallmark genes, GO parents, Reactome hierarchy, unknown symbol sets."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from varkg.errors import InputError
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders2"
GENE_INFO = "annotation/orgHsEgDb_gene_info.tsv.gz"


def _symbol_to_ensembl(path: Path) -> dict[str, str]:
    out = {}
    with gzip.open(path, "rt") as fh:
        next(fh)
        for line in fh:
            f = line.rstrip("\n").split("\t")
            ens = [x for x in f[6].split("|") if x]  # A|B: the first listed (GeneMapper's rule)
            if ens and f[1] not in out:
                out[f[1]] = ens[0]
    return out


def test_hallmark_set_genes(shared_data, ladybug_store):
    gmt = shared_data / "networks/h.all.v7.0.symbols.gmt"
    load(ladybug_store, "pathways", [gmt], progress=False, options={"id_map": str(shared_data / GENE_INFO), "jaccard": 0})
    line = next(x for x in gmt.read_text().splitlines() if x.startswith("HALLMARK_DNA_REPAIR\t"))
    symbols = line.split("\t")[2:]
    sym2ens = _symbol_to_ensembl(shared_data / GENE_INFO)
    want = {sym2ens[s] for s in symbols if s in sym2ens}
    got = ladybug_store.query(
        "MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway {id: $p}) RETURN g.id AS id", {"p": "HALLMARK_DNA_REPAIR"}
    )
    assert set(got.column("id").to_pylist()) == want and len(want) >= 140
    n = ladybug_store.query(
        "MATCH (p:Pathway {id: $p}) RETURN p.n_genes AS n, p.source AS s", {"p": "HALLMARK_DNA_REPAIR"}
    ).to_pylist()
    assert n == [{"n": len(want), "s": "MSigDB"}]


def test_go_parent_of_named_term(shared_data, ladybug_store):
    load(
        ladybug_store,
        "pathways",
        [
            shared_data / "networks/GO_term_parents_2022-07-01.tsv.gz",
            shared_data / "text/GO_terms_with_definitions_2022-07-01.tsv.gz",
        ],
        progress=False,
    )
    t = ladybug_store.query(
        "MATCH (c:Pathway {name: $n})-[l:PATHWAY_LINK]->(p:Pathway) RETURN l.kind AS k, p.id AS id, p.name AS name ORDER BY id",
        {"n": "mitochondrion inheritance"},
    ).to_pylist()
    assert t == [
        {"k": "is_a", "id": "GO:0048308", "name": "organelle inheritance"},
        {"k": "is_a", "id": "GO:0048311", "name": "mitochondrion distribution"},
    ]


def test_reactome_hierarchy(shared_data, ladybug_store):
    net = shared_data / "networks"
    load(
        ladybug_store,
        "pathways",
        [net / "reactome_ReactomePathways.txt", net / "reactome_ReactomePathwaysRelation.txt"],
        progress=False,
    )
    # independently: the parents of R-HSA-162699 in the relation file
    want = sorted(
        a
        for a, b in (x.split("\t") for x in (net / "reactome_ReactomePathwaysRelation.txt").read_text().splitlines())
        if b == "R-HSA-162699"
    )
    got = ladybug_store.query(
        "MATCH (c:Pathway {id: 'R-HSA-162699'})-[l:PATHWAY_LINK {kind: 'parent'}]->(p:Pathway) RETURN p.id AS id ORDER BY id"
    )
    assert got.column("id").to_pylist() == want and want
    other = ladybug_store.query("MATCH (p:Pathway) WHERE p.species <> 'Homo sapiens' RETURN count(p) AS n").column("n")[0].as_py()
    assert other == 0


def test_unknown_symbol_set_is_an_error(shared_data, ladybug_store):
    with pytest.raises(InputError, match="SET_OF_UNKNOWNS") as exc:
        load(
            ladybug_store,
            "pathways",
            [DATA / "unknown_symbols.gmt"],
            progress=False,
            options={"id_map": str(shared_data / GENE_INFO)},
        )
    assert exc.value.line == 1
    assert ladybug_store.query("MATCH (p:Pathway) RETURN count(p) AS n").column("n")[0].as_py() == 0


def test_shared_gene_links(shared_data, ladybug_store):
    load(
        ladybug_store,
        "pathways",
        [shared_data / "networks/h.all.v7.0.symbols.gmt"],
        progress=False,
        options={"id_map": str(shared_data / GENE_INFO), "jaccard": 0.1, "min_shared": 5},
    )
    t = ladybug_store.query(
        "MATCH (a:Pathway)-[l:PATHWAY_LINK {kind: 'shared_genes'}]->(b:Pathway) RETURN a.id AS a, b.id AS b, l.jaccard AS j, "
        "l.shared AS s"
    ).to_pylist()
    assert t
    for r in t[:5]:
        ga = set(
            ladybug_store.query("MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway {id: $p}) RETURN g.id AS g", {"p": r["a"]})
            .column("g")
            .to_pylist()
        )
        gb = set(
            ladybug_store.query("MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway {id: $p}) RETURN g.id AS g", {"p": r["b"]})
            .column("g")
            .to_pylist()
        )
        assert r["s"] == len(ga & gb) and r["j"] == pytest.approx(len(ga & gb) / len(ga | gb)) and r["a"] < r["b"]
