"""Spark/Hail fixtures: one Hail context (local[2]) for the session, the real chr20 VCF through
both paths, and the MSUPRP pig markers as PLINK for Hail. Everything here skips when hail is not
installed (``make spark-env`` builds ``.venv-spark`` with it; ``make test`` runs these there)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

KGP = "variants/kgp_chr20_1-4Mb_unphased.vcf.gz"
PANEL = "variants/1000G_phase3_integrated_call_samples.panel"


@pytest.fixture(scope="session")
def hl():
    if importlib.util.find_spec("hail") is None:
        pytest.skip("hail is not installed (make spark-env; the Spark tests run in .venv-spark)")
    from varkg.spark.session import SparkConfig, hail_context, stop

    mod = hail_context(SparkConfig(master="local[2]", shuffle_partitions=4))
    yield mod
    stop()


@pytest.fixture(scope="session")
def kgp_local(shared_data, tmp_path_factory):
    """The single-machine path: the VCF loader's Variant frame and its genotype matrix."""
    import pyarrow as pa

    from varkg.loaders.base import LoadContext, get_loader
    from varkg.popgen.genotypes import read_panel, read_vcf_artifacts

    out = tmp_path_factory.mktemp("kgp")
    ctx = LoadContext(assembly="GRCh37", artifacts_dir=out, options={"consequences": "none"})
    frames = [
        f.table for f in get_loader("vcf").frames([shared_data / KGP], context=ctx) if f.kind == "node" and f.type == "Variant"
    ]
    variants = pa.concat_tables(frames)
    geno = read_vcf_artifacts(Path(ctx.artifacts[0])).attach_samples(read_panel(shared_data / PANEL))
    return variants, geno


@pytest.fixture(scope="session")
def kgp_mt(hl, shared_data):
    from varkg.spark.genotypes import import_vcf

    return import_vcf(shared_data / KGP, assembly="GRCh37", min_partitions=2).cache()


@pytest.fixture(scope="session")
def pig_local(shared_data):
    from varkg.popgen.genotypes import read_msuprp

    d = shared_data / "pig"
    return read_msuprp(d / "pig_MSUPRP_geno.tsv.gz", d / "pig_MSUPRP_map.tsv", covariates=d / "pig_MSUPRP_covar.tsv")


@pytest.fixture(scope="session")
def pig_pheno(shared_data, pig_local) -> pd.DataFrame:
    """ph_24h with sex (1 male) and carcass weight as covariates, in the matrix's sample order."""
    d = shared_data / "pig"
    ph = pd.read_csv(d / "pig_MSUPRP_pheno.tsv", sep="\t", dtype={"animal": str})
    cov = pd.read_csv(d / "pig_MSUPRP_covar.tsv", sep="\t", dtype={"id": str})
    t = pd.DataFrame({"sample": pig_local.samples["sample"].astype(str)})
    t = t.merge(ph.rename(columns={"animal": "sample"}), on="sample", how="left")
    cov = cov.rename(columns={"id": "sample"})
    cov["male"] = np.where(cov["sex"] == "M", 1.0, np.where(cov["sex"] == "F", 0.0, np.nan))
    t = t.merge(cov[["sample", "male", "car_wt"]], on="sample", how="left")
    return t


@pytest.fixture(scope="session")
def pig_mt(hl, pig_local, tmp_path_factory):
    from varkg.spark.genotypes import import_plink

    prefix = tmp_path_factory.mktemp("pig") / "pig"
    pig_local.to_plink(prefix)
    return import_plink(prefix, min_partitions=2).cache()
