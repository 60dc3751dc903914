"""tf-binding loader: ChIP clusters become BINDS evidence=ChIP."""

from __future__ import annotations

import csv
import gzip

from varkg.loaders.run import load


def test_clustered_peaks(shared_data, ladybug_store):
    path = shared_data / "regulatory/ucsc_encRegTfbsClustered_sample.csv.gz"
    load(
        ladybug_store,
        "tf-binding",
        [path],
        assembly="GRCh38",
        progress=False,
        options={"id_map": str(shared_data / "annotation/orgHsEgDb_gene_info.tsv.gz")},
    )
    with gzip.open(path, "rt") as fh:
        rows = list(csv.DictReader(fh))
    r = rows[0]
    key = f"GRCh38:{r['chrom'].removeprefix('chr')}:{r['chromStart']}-{r['chromEnd']}"
    t = ladybug_store.query(
        "MATCH (t:TranscriptionFactor)-[b:BINDS]->(e:RegulatoryElement {id: $k}) MATCH (t)-[:ENCODED_BY]->(g:Gene) "
        "RETURN t.symbol AS s, b.evidence AS ev, b.signal AS sig, b.motif_id AS m, g.symbol AS g",
        {"k": key},
    ).to_pylist()
    assert {"s": r["name"], "ev": "ChIP", "sig": float(r["score"]), "m": "", "g": r["name"]} in t
