"""Spark ETL on real chr20 output: Parquet partitions by chromosome, and Variant nodes plus LD_WITH
edges MERGEd into the live Neo4j server through the Spark connector, twice (idempotent)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.spark


def test_variant_frame_to_parquet_partitions(hl, kgp_mt, tmp_path):
    import pyarrow.parquet as pq

    from varkg.spark.etl import write_parquet
    from varkg.spark.genotypes import variant_frame

    out = write_parquet(variant_frame(kgp_mt, assembly="GRCh37"), tmp_path / "variants")
    assert (out / "chrom=20").is_dir()
    t = pq.read_table(out)
    assert t.num_rows == 24990 and len(set(t.column("id").to_pylist())) == 24990


@pytest.mark.neo4j
def test_connector_merges_nodes_and_edges_idempotently(hl, kgp_mt, neo4j_store, neo4j_server):
    from varkg.spark.connector_check import require_connector
    from varkg.spark.etl import load_edges_neo4j, load_nodes_neo4j
    from varkg.spark.genotypes import variant_frame
    from varkg.spark.ld import ld_pairs
    from varkg.spark.session import spark_session

    require_connector()
    uri, password = neo4j_server[0], os.environ["NEO4J_PASSWORD"]
    mt = kgp_mt.filter_rows(kgp_mt.pos < 1_100_000)
    nodes = variant_frame(mt, assembly="GRCh37").to_spark()
    n = nodes.count()
    pairs = ld_pairs(mt, kb=20, r2_min=0.5)
    spark = spark_session()
    edges = spark.createDataFrame(
        pairs.assign(population="EUR", distance=(pairs["pos_b"] - pairs["pos_a"]).astype("int64"))[
            ["id_a", "id_b", "population", "r2", "distance"]
        ].rename(columns={"id_a": "src", "id_b": "dst"})
    )
    for _ in range(2):
        load_nodes_neo4j(nodes, "Variant", uri=uri, password=password, batch_size=500)
        load_edges_neo4j(edges, "LD_WITH", src_type="Variant", dst_type="Variant", uri=uri, password=password)
    got_n = neo4j_store.query("MATCH (v:Variant) RETURN count(v) AS n").column("n")[0].as_py()
    got_e = neo4j_store.query("MATCH (:Variant)-[r:LD_WITH]->(:Variant) RETURN count(r) AS n").column("n")[0].as_py()
    assert got_n == n > 500
    assert got_e == len(pairs) > 100
    r2 = neo4j_store.query(
        "MATCH (a:Variant {id: $a})-[r:LD_WITH]->(b:Variant {id: $b}) RETURN r.r2 AS r2",
        {"a": pairs["id_a"].iloc[0], "b": pairs["id_b"].iloc[0]},
    )
    assert abs(r2.column("r2")[0].as_py() - float(pairs["r2"].iloc[0])) < 1e-12


def test_small_output_into_the_embedded_store(hl, kgp_mt, ladybug_store):
    from varkg.spark.etl import load_small
    from varkg.spark.genotypes import variant_frame

    mt = kgp_mt.filter_rows(kgp_mt.pos < 1_050_000)
    ht = variant_frame(mt, assembly="GRCh37")
    n = load_small(ladybug_store, ht, "Variant")
    assert ladybug_store.counts().get("Variant") == n > 50
