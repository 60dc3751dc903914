"""Popgen fixtures: the MSUPRP pig markers (the chr20 1000 Genomes data and Debian's plink1.9, the
independent oracle, are in tests/conftest.py: breeding tests use them too)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pig(shared_data):
    from varkg.popgen.genotypes import read_msuprp

    d = shared_data / "pig"
    return read_msuprp(
        d / "pig_MSUPRP_geno.tsv.gz",
        d / "pig_MSUPRP_map.tsv",
        pedigree=d / "pig_MSUPRP_pedigree.tsv",
        covariates=d / "pig_MSUPRP_covar.tsv",
    )


@pytest.fixture(scope="session")
def pig_founders(pig):
    """The pig matrix with parents dropped: PLINK computes LD and blocks on founders only, so the
    .fam written for it must list every animal as a founder."""
    from varkg.popgen.genotypes import GenotypeMatrix

    g = pig
    return GenotypeMatrix(
        g.variants,
        g.samples.assign(father=None, mother=None),
        g.reader,
        g.source,
        g.assembly,
        g.haplotype_reader,
        g.sample_index,
        g.variant_offset,
    )
