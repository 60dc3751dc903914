"""gene-phenotypes loader: HPO genes_to_disease on the real file, mapped to the loaded chr20 genes."""

from __future__ import annotations

import pytest

from varkg.errors import InputError
from varkg.loaders.run import load

HPO = "networks/hpo_genes_to_disease.txt"
GTF = "annotation/gencode_v43_sample_chr20.gtf.gz"


def _expected(shared_data, symbols: dict[str, str]) -> set[tuple[str, str, str]]:
    """(gene id, disease, association type) for every HPO row whose symbol is a loaded gene (read independently)."""
    out = set()
    with open(shared_data / HPO) as fh:
        head = fh.readline().rstrip("\n").split("\t")
        i_sym, i_dis, i_kind = head.index("gene_symbol"), head.index("disease_id"), head.index("association_type")
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if f[i_sym] in symbols:
                out.add((symbols[f[i_sym]], f[i_dis], f[i_kind]))
    return out


def test_hpo_diseases_of_loaded_genes(shared_data, ladybug_store):
    load(ladybug_store, "annotation", [shared_data / GTF], assembly="GRCh38", progress=False)
    genes = ladybug_store.query("MATCH (g:Gene) WHERE g.symbol IS NOT NULL RETURN g.id AS id, g.symbol AS s").to_pylist()
    by_symbol: dict[str, str] = {}
    for r in sorted(genes, key=lambda r: r["id"], reverse=True):  # a symbol on two genes: the smallest id (GeneMapper)
        by_symbol[r["s"]] = r["id"]
    want = _expected(shared_data, by_symbol)
    assert len(want) >= 10
    rep = load(ladybug_store, "gene-phenotypes", [shared_data / HPO], progress=False)
    q = "MATCH (g:Gene)-[a:ASSOCIATED_WITH]->(p:Phenotype) WHERE a.source = 'HPO' RETURN g.id AS g, p.id AS p, a.study AS s"
    got = {(r["g"], r["p"], r["s"]) for r in ladybug_store.query(q).to_pylist()}
    assert got == want
    onto = ladybug_store.query("MATCH (p:Phenotype) RETURN DISTINCT p.ontology AS o").column("o").to_pylist()
    assert set(onto) <= {"OMIM", "ORPHA"} and rep.written > 0
    # reload: nothing new, nothing duplicated
    again = load(ladybug_store, "gene-phenotypes", [shared_data / HPO], progress=False)
    assert again.written == 0
    assert ladybug_store.query(q).num_rows == len(want)


def test_bad_disease_id_names_line_and_field(shared_data, ladybug_store, tmp_path):
    load(ladybug_store, "annotation", [shared_data / GTF], assembly="GRCh38", progress=False)
    lines = (shared_data / HPO).read_text().splitlines()
    bad = lines[:5] + [lines[5].replace("OMIM:", "OMIN:").replace("ORPHA:", "OMIN:")]
    path = tmp_path / "genes_to_disease.txt"
    path.write_text("\n".join(bad) + "\n")
    before = ladybug_store.query("MATCH (p:Phenotype) RETURN count(p) AS n").column("n")[0].as_py()
    with pytest.raises(InputError) as e:
        load(ladybug_store, "gene-phenotypes", [path], progress=False)
    msg = str(e.value)
    assert f"{path}:6" in msg and "disease_id" in msg and "OMIN:" in msg
    assert ladybug_store.query("MATCH (p:Phenotype) RETURN count(p) AS n").column("n")[0].as_py() == before
