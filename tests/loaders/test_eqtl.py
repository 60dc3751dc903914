"""eQTL/sQTL loader on the GTEx v8 kidney sQTL file and the forgedb eQTL sample."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from varkg.errors import InputError
from varkg.loaders.base import LoadContext, get_loader
from varkg.loaders.run import load


def test_gtex_sqtl(shared_data, ladybug_store):
    path = shared_data / "expression" / "GTEx_v8_Kidney_Cortex_sqtl_signifpairs.txt.gz"
    r = load(ladybug_store, "eqtl", [path], assembly="GRCh38", options={"missing_genes": "create"}, progress=False)
    assert len(pq.read_table(r.artifacts[0])) == 45_566
    assert r.results["Variant-EQTL_OF->Gene"]["inserted"] == 42_401  # distinct (variant, intron cluster) pairs
    t = ladybug_store.query(
        "MATCH (v:Variant)-[e:EQTL_OF]->(g:Gene) WHERE v.id = $v AND e.phenotype_id = $p "
        "RETURN g.id AS g, e.qtl_kind AS k, e.tissue AS t, e.slope AS s, e.se AS se, e.pvalue AS p, e.tss_distance AS d",
        {"v": "GRCh38:1:942934:G:C", "p": "chr1:946545:948131:clu_30221:ENSG00000188976.10"},
    ).to_pylist()
    assert t == [
        {
            "g": "ENSG00000188976",
            "k": "sQTL",
            "t": "Kidney_Cortex",
            "s": pytest.approx(-1.91792),
            "se": pytest.approx(0.169535),
            "p": pytest.approx(3.83433e-15),
            "d": -16375,
        }
    ]


def test_forgedb_eqtl(shared_data, tmp_path):
    ctx = LoadContext(assembly="GRCh38", artifacts_dir=tmp_path, options={"missing_genes": "create"})
    frames = [
        f.validated()
        for f in get_loader("eqtl").frames([shared_data / "expression" / "gtex_forgedb_eqtl_sample.csv.gz"], context=ctx)
    ]
    edges = next(f.table for f in frames if f.type == "EQTL_OF").to_pylist()
    assert len(edges) == 49
    e = next(x for x in edges if x["src"] == "GRCh38:12:126406434:G:A")
    assert (e["dst"], e["tissue"], e["qtl_kind"], e["phenotype_id"]) == ("ENSG00000256927", "Pancreas", "eQTL", "")
    assert e["slope"] == pytest.approx(-0.322815)


def test_wrong_build_is_an_error(tmp_path):
    p = tmp_path / "q.txt"
    p.write_text("variant_id\tgene_id\tpval_nominal\tslope\nchr1_100_A_G_b38\tENSG00000000001.1\t0.01\t0.2\n")
    with pytest.raises(InputError, match=r"q.txt:2, field 'variant_id'.*b38 but the load's assembly is 'GRCh37'"):
        list(get_loader("eqtl").frames([p], context=LoadContext(assembly="GRCh37", artifacts_dir=tmp_path)))
