"""The same genotype pipeline on Spark: Hail for genotypes, the Neo4j Connector for Apache Spark
for loading the graph.

* :mod:`varkg.spark.session`: one Hail/Spark context (``local[N]`` or a cluster master), the JVM
  it runs on and the connector jars (``tools/spark/lib``, resolved by ``make spark-lib``).
* :mod:`varkg.spark.genotypes`: VCF or PLINK -> MatrixTable -> split, normalised biallelic
  variants with varkg's Variant ids; the Variant frame, variant QC, allele frequencies.
* :mod:`varkg.spark.ld`: r² in windows (window buckets on Spark with numpy per bucket, or
  ``hl.ld_matrix``) and LD pruning (``hl.ld_prune``).
* :mod:`varkg.spark.gwas`: linear regression with covariates (``hl.linear_regression_rows``).
* :mod:`varkg.spark.fst`: Hudson's Fst between two populations (Hail aggregations).
* :mod:`varkg.spark.etl`: frames to Parquet partitions, then into Neo4j through the connector
  (batched MERGE on the schema keys) or, for small outputs, into any store through its API.

Every result has the columns and ids of the single-machine path (:mod:`varkg.loaders.vcf`,
:mod:`varkg.popgen`), so the store and everything downstream are unchanged. Importing this
package is cheap: ``hail`` and ``pyspark`` are imported by the functions that use them, and
nothing here imports torch.
"""

from __future__ import annotations

__all__ = ["etl", "fst", "genotypes", "gwas", "ld", "session"]
