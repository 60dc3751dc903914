"""The pieces the full demo adds: chr2 SNPs for the LM step, pig fine-mapping write-back, GO subset."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def test_chr2_snps_are_real_and_ref_checked(shared_data: Path, tmp_path: Path):
    from varkg.demo.lm_step import FASTA, HI, LO, chr2_snp_vcf
    from varkg.lm.data import FastaReader

    vcf = chr2_snp_vcf(shared_data, tmp_path / "x.vcf", n=80, flank=64)
    rows = [line.split("\t") for line in vcf.read_text().splitlines() if not line.startswith("#")]
    assert len(rows) == 80
    fa = FastaReader(shared_data.joinpath(*FASTA))
    same = 0
    for chrom, pos, rs, ref, alt, *_ in rows:
        p = int(pos)
        assert chrom == "chr2" and LO + 64 < p < HI - 64 and rs.startswith("rs") and ref != alt
        same += fa.fetch("chr2", p - 1, p).upper() == ref
    assert same >= 76  # the parquet's alleles agree with the reference (a rare one does not)


def test_pig_finemap_writes_back_once(shared_data: Path, tmp_path: Path):
    from varkg.demo.build import BuildReport
    from varkg.demo.pig import read_pig, run_pig_step
    from varkg.demo.pipeline import DemoResult
    from varkg.store import open_store

    inp = read_pig(shared_data)
    assert inp.chrom == "11" and inp.X.shape == (159, 936) and set(np.unique(inp.X)) <= {0.0, 1.0, 2.0}
    assert inp.pos == sorted(inp.pos)
    store = open_store(str(tmp_path / "pig.lbug"))
    try:
        store.init_schema()
        r = DemoResult(store="x", build=BuildReport())
        s1 = run_pig_step(store, shared_data, result=r)
        c1 = store.counts()
        s2 = run_pig_step(store, shared_data, result=r)
        assert s1[0] == "done" and s2[0] == "reused" and store.counts() == c1
        assert c1["Variant"] == 936 and c1["CausalRun"] == 1 and c1["Variant-CAUSAL_FOR->Phenotype"] >= 1
        top = store.query(
            "MATCH (v:Variant)-[c:CAUSAL_FOR]->(p:Phenotype) RETURN v.id AS id, v.rsid AS m, v.pip AS pip, "
            "c.run_id AS run ORDER BY pip DESC LIMIT 1"
        ).to_pylist()[0]
        assert top["id"].startswith("Sscrofa11.1:11:") and top["id"].endswith(":N:N") and top["pip"] >= 0.5
        assert top["run"] == r.metrics["pig_finemap"]["run"]
    finally:
        store.close()


def test_gene2go_subset_keeps_loaded_genes(shared_data: Path, tmp_path: Path):
    import pyarrow as pa

    from varkg.demo.build import gene2go_subset
    from varkg.store import open_store

    store = open_store(str(tmp_path / "g.lbug"))
    try:
        store.init_schema()
        store.upsert_nodes("Gene", pa.table({"id": ["ENSG00000141510"], "symbol": ["TP53"]}))
        out = gene2go_subset(
            store,
            shared_data / "networks" / "orgHsEgDb_gene2go.tsv.gz",
            shared_data / "annotation" / "orgHsEgDb_gene_info.tsv.gz",
            tmp_path / "sub.tsv",
        )
    finally:
        store.close()
    lines = out.read_text().splitlines()
    assert lines[0].startswith("entrez_id") and len(lines) > 50
    assert {line.split("\t")[0] for line in lines[1:]} == {"7157"}  # TP53's Entrez id
