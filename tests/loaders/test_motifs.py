"""motifs loader: JASPAR nodes, TF mapping, matrix files, scan of loaded elements."""

from __future__ import annotations

import numpy as np
import pytest

from varkg.errors import InputError
from varkg.loaders._support.motif_matrices import read_matrices
from varkg.loaders.run import load

CHR2 = "reference/hg38_chr2_1-2333275.fa.gz"
GENE_INFO = "annotation/orgHsEgDb_gene_info.tsv.gz"


def test_jaspar_ctcf_scan_binds_known_site(shared_data, ladybug_store, tmp_path):
    bed = tmp_path / "ctcf.bed"
    bed.write_text("chr2\t18831\t18849\tCTCF_known1\t.\t+\nchr2\t30265\t30283\tCTCF_known1\t.\t+\n")
    load(ladybug_store, "elements", [bed], assembly="GRCh38", progress=False, options={"kind": "CTCF"})
    load(
        ladybug_store,
        "motifs",
        [],
        assembly="GRCh38",
        progress=False,
        options={
            "ids": "MA0139.2,MA0106.3",
            "scan": "elements",
            "reference": str(shared_data / CHR2),
            "id_map": str(shared_data / GENE_INFO),
        },
    )
    m = ladybug_store.query(
        "MATCH (t:TranscriptionFactor)-[:HAS_MOTIF]->(m:Motif {id: 'MA0139.2'}) MATCH (t)-[:ENCODED_BY]->(g:Gene) "
        "RETURN t.id AS t, g.symbol AS s, m.length AS L, m.pfm AS pfm"
    ).to_pylist()
    assert m == [{"t": "ENSG00000102974", "s": "CTCF", "L": 15, "pfm": m[0]["pfm"]}]
    assert len(m[0]["pfm"]) == 60 and m[0]["pfm"][0] == 281.0  # A row, first column
    b = ladybug_store.query(
        "MATCH (t:TranscriptionFactor)-[b:BINDS]->(e:RegulatoryElement {id: 'GRCh38:2:18831-18849'}) "
        "RETURN t.symbol AS s, b.evidence AS ev, b.position AS p, b.strand AS st, b.pvalue AS pv"
    ).to_pylist()
    assert b == [{"s": "CTCF", "ev": "motif", "p": 18832, "st": "+", "pv": b[0]["pv"]}] and b[0]["pv"] < 1e-4


def test_matrix_files(tmp_path):
    j = tmp_path / "m.jaspar"
    j.write_text(">MA0001.1 TOY\nA [ 10 0 0 ]\nC [ 0 10 0 ]\nG [ 0 0 10 ]\nT [ 0 0 0 ]\n")
    meme = tmp_path / "m.meme"
    meme.write_text(
        "MEME version 4\n\nALPHABET= ACGT\n\nMOTIF M1 toy\nletter-probability matrix: alength= 4 w= 2 nsites= 20\n"
        "0.5 0.5 0 0\n0 0 0.25 0.75\n"
    )
    tf = tmp_path / "m.transfac"
    tf.write_text(
        "AC  T1\nXX\nID  TOY\nP0      A      C      G      T\n01      1      2      3      4\n02      4      3      2      "
        "1\nXX\n//\n"
    )
    (a,) = read_matrices(j)
    (b,) = read_matrices(meme)
    (c,) = read_matrices(tf)
    assert a.consensus() == "ACG" and a.id == "MA0001.1"
    np.testing.assert_allclose(b.counts[:, 1], [0, 0, 5, 15])
    assert c.id == "T1" and c.counts[:, 0].tolist() == [1, 2, 3, 4]


def test_ragged_matrix_is_an_input_error(tmp_path):
    j = tmp_path / "bad.jaspar"
    j.write_text(">MA9 BAD\nA [ 1 2 3 ]\nC [ 1 2 ]\nG [ 1 2 3 ]\nT [ 1 2 3 ]\n")
    with pytest.raises(InputError, match="ragged rows") as exc:
        read_matrices(j)
    assert exc.value.line == 1 and exc.value.field == "matrix"
