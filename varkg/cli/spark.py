"""``varkg spark``: the genotype pipeline on Spark (Hail) and the load into Neo4j through the Spark
connector. Thin commands over :mod:`varkg.spark`; run them where hail is installed (``make
spark-env`` builds ``.venv-spark``) or through ``spark-submit`` on a cluster (``--master`` unset).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import typer

from varkg.cli._common import cli_errors

app = typer.Typer(help="The genotype pipeline on Spark (Hail) and Neo4j loading via the Spark connector.", no_args_is_help=True)

Master = Annotated[str, typer.Option("--master", help="Spark master (local[2], yarn, k8s://..., or '' for spark-submit's).")]
LdMethodOpt = Literal["buckets", "blocks"]
Assembly = Annotated[str, typer.Option("--assembly", help="Assembly named in the Variant ids (GRCh37, GRCh38).")]


def _start(master: str) -> None:
    from varkg.spark.session import SparkConfig, hail_context

    hail_context(SparkConfig(master=master or None))


@app.command("variants")
@cli_errors
def variants(
    vcf: Annotated[Path, typer.Argument(help="VCF (bgzipped or plain).")],
    out: Annotated[Path, typer.Option("--out", help="Parquet folder (partitioned by chrom).")],
    assembly: Assembly = "GRCh38",
    master: Master = "local[2]",
    partitions: Annotated[int | None, typer.Option("--partitions", help="Spark partitions to read into.")] = None,
) -> None:
    """VCF -> split, normalised Variant frame with AF (the VCF loader's columns and ids) as Parquet."""
    _start(master)
    from varkg.spark.etl import write_parquet
    from varkg.spark.genotypes import import_vcf, variant_frame

    mt = import_vcf(vcf, assembly=assembly, min_partitions=partitions)
    write_parquet(variant_frame(mt, assembly=assembly), out)
    typer.echo(f"wrote the Variant frame of {vcf} to {out}")


@app.command("ld")
@cli_errors
def ld(
    vcf: Annotated[Path, typer.Argument(help="VCF (bgzipped or plain).")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file of the pairs.")],
    assembly: Assembly = "GRCh38",
    kb: Annotated[float, typer.Option("--kb", help="Window in kb.")] = 1000.0,
    r2_min: Annotated[float, typer.Option("--r2-min", help="Report pairs with r² >= this.")] = 0.2,
    method: Annotated[
        LdMethodOpt, typer.Option("--method", help="buckets: window buckets (applyInPandas); blocks: hl.ld_matrix.")
    ] = "buckets",
    master: Master = "local[2]",
) -> None:
    """r² in windows on Spark, with the columns of `varkg popgen ld`."""
    _start(master)
    from varkg.spark.genotypes import import_vcf
    from varkg.spark.ld import ld_pairs

    pairs = ld_pairs(import_vcf(vcf, assembly=assembly), kb=kb, r2_min=r2_min, method=method)
    pairs.to_parquet(out, index=False)
    typer.echo(f"{len(pairs)} pairs to {out}")


@app.command("load")
@cli_errors
def load(
    parquet: Annotated[Path, typer.Argument(help="Parquet folder of a node frame (e.g. from `varkg spark variants`).")],
    node_type: Annotated[str, typer.Option("--type", help="Node type of the schema (Variant...).")] = "Variant",
    uri: Annotated[str, typer.Option("--uri", help="Neo4j bolt URI (password from NEO4J_PASSWORD).")] = "bolt://127.0.0.1:7687",
    user: Annotated[str, typer.Option("--user", help="Neo4j user.")] = "neo4j",
    batch: Annotated[int, typer.Option("--batch", help="Rows per transaction.")] = 5000,
    master: Master = "local[2]",
) -> None:
    """MERGE a Parquet node frame into Neo4j through the Spark connector (on the schema key)."""
    _start(master)
    from varkg.spark.connector_check import require_connector
    from varkg.spark.etl import load_nodes_neo4j
    from varkg.spark.session import spark_session

    require_connector()
    df = spark_session().read.parquet(str(parquet))
    load_nodes_neo4j(df, node_type, uri=uri, user=user, password=os.environ.get("NEO4J_PASSWORD", ""), batch_size=batch)
    typer.echo(f"merged {parquet} as {node_type} into {uri}")
