"""Breeding fixtures: the real MSUPRP pig genotypes, phenotypes and covariates."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pig_dir(shared_data):
    return shared_data / "pig"


@pytest.fixture(scope="session")
def pig_geno(pig_dir):
    from varkg.popgen.genotypes import read_msuprp

    return read_msuprp(pig_dir / "pig_MSUPRP_geno.tsv.gz", pig_dir / "pig_MSUPRP_map.tsv")


@pytest.fixture(scope="session")
def pig_pheno(pig_dir):
    from varkg.breeding.data import read_phenotypes

    return read_phenotypes(pig_dir / "pig_MSUPRP_pheno.tsv")


@pytest.fixture(scope="session")
def pig_covar(pig_dir):
    from varkg.breeding.data import read_covariates

    return read_covariates(pig_dir / "pig_MSUPRP_covar.tsv")


@pytest.fixture(scope="session")
def ph24(pig_geno, pig_pheno, pig_covar):
    """pH 24 h with sex, slaughter group and carcass weight; the first 3,000 markers (chr 1-2)."""
    from varkg.breeding.data import trait_data

    return trait_data(pig_geno.slice_variants(0, 3000), pig_pheno, trait="ph_24h", covariates=pig_covar)
