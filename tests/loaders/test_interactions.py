"""interactions loader: a STRING edge's combined score, Complex Portal, ragged matrices."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from varkg.errors import InputError
from varkg.loaders.interactions import top_k_pearson
from varkg.loaders.run import load

DATA = Path(__file__).resolve().parents[1] / "data" / "loaders2"
STRING = "networks/string_v12_9606_links_detailed_first5000.txt.gz"
REACTOME = "networks/reactome_homo_sapiens_interactions_sample.txt"


def test_string_edge_combined_score(shared_data, ladybug_store):
    idmap = f"{DATA / 'string_aliases_excerpt.tsv'},{shared_data / REACTOME}"
    load(ladybug_store, "interactions", [shared_data / STRING], progress=False, options={"id_map": idmap})
    # ARF5 (ENSP00000000233) with ENSP00000494750, which the Reactome table places on ENSG00000075624
    with gzip.open(shared_data / STRING, "rt") as fh:
        header = next(fh).split()
        row = next(line.split() for line in fh if line.startswith("9606.ENSP00000000233 9606.ENSP00000494750 "))
    want = dict(zip(header, row, strict=False))
    t = ladybug_store.query(
        "MATCH (a:Gene {id: 'ENSG00000004059'})-[r:INTERACTS {source: 'STRING'}]->(b:Gene {id: 'ENSG00000075624'}) "
        "RETURN r.score AS s, r.type AS t, r.channels AS c"
    ).to_pylist()
    assert len(t) == 1 and t[0]["t"] == "ppi"
    assert t[0]["s"] == int(want["combined_score"]) / 1000
    assert json.loads(t[0]["c"])["textmining"] == int(want["textmining"]) / 1000


def test_complex_portal_pairs(shared_data, ladybug_store):
    load(
        ladybug_store,
        "interactions",
        [shared_data / "networks/ebi_complex_portal_sample.tsv"],
        progress=False,
        options={"id_map": str(shared_data / "annotation/orgHsEgDb_gene_info.tsv.gz")},
    )
    # CPX-1 is SMAD2-SMAD3-SMAD4: three pairs
    t = ladybug_store.query(
        "MATCH (a:Gene)-[r:INTERACTS {type: 'complex'}]->(b:Gene) WHERE r.evidence CONTAINS 'CPX-1' "
        "AND a.symbol STARTS WITH 'SMAD' AND b.symbol STARTS WITH 'SMAD' RETURN a.symbol AS a, b.symbol AS b"
    ).to_pylist()
    assert sorted(tuple(sorted((r["a"], r["b"]))) for r in t) == [("SMAD2", "SMAD3"), ("SMAD2", "SMAD4"), ("SMAD3", "SMAD4")]


def test_ragged_matrix_loads_nothing(shared_data, ladybug_store):
    with pytest.raises(InputError, match="ragged row") as exc:
        load(
            ladybug_store,
            "interactions",
            [DATA / "ragged_matrix.tsv"],
            progress=False,
            options={"format": "coexpression", "id_map": str(shared_data / "annotation/orgHsEgDb_gene_info.tsv.gz")},
        )
    assert exc.value.line == 3
    assert ladybug_store.query("MATCH (g:Gene) RETURN count(g) AS n").column("n")[0].as_py() == 0


def test_top_k_pearson_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 12))
    r, c, v = top_k_pearson(x, k=3, block=7)
    full = np.corrcoef(x)
    np.fill_diagonal(full, -np.inf)
    for i in range(50):
        np.testing.assert_allclose(np.sort(v[r == i]), np.sort(np.sort(full[i])[-3:]))
