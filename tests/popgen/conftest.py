"""Shared popgen fixtures: the real chr20 1000 Genomes VCF through the VCF loader, the MSUPRP pig
markers, and Debian's plink1.9 as the independent oracle."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

KGP = "variants/kgp_chr20_1-4Mb_reference.vcf.gz"


@pytest.fixture(scope="session")
def kgp_vcf(shared_data) -> Path:
    """The real 1000 Genomes chr20 VCF the popgen tests read."""
    return shared_data / KGP


PANEL = "variants/1000G_phase3_integrated_call_samples.panel"


def plink_binary() -> str | None:
    return shutil.which("plink1.9") or shutil.which("plink")


@pytest.fixture(scope="session")
def plink() -> str:
    exe = plink_binary()
    if exe is None:
        pytest.skip("plink1.9 is not installed (apt-get install -y plink1.9; `make system-tools` does it)")
    return exe


@pytest.fixture(scope="session")
def run_plink(plink):
    """``run_plink(*args)``: plink1.9 on one thread; raises with its log on failure."""

    def run(*args: str) -> None:
        r = subprocess.run([plink, "--threads", "1", "--allow-no-sex", *args], capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"plink1.9 {' '.join(args)} failed:\n{r.stdout[-2000:]}")

    return run


@pytest.fixture(scope="session")
def kgp_artifacts(shared_data, tmp_path_factory) -> Path:
    """The chr20 VCF loaded by the real VCF loader with genotypes on: its ``.genotypes.npy``."""
    from varkg.loaders.base import LoadContext, get_loader

    out = tmp_path_factory.mktemp("kgp_artifacts")
    ctx = LoadContext(assembly="GRCh37", artifacts_dir=out, options={"consequences": "none"})
    for _ in get_loader("vcf").frames([shared_data / KGP], context=ctx):
        pass
    return Path(ctx.artifacts[0])


@pytest.fixture(scope="session")
def kgp(kgp_artifacts, shared_data):
    """The chr20 genotypes (300 Europeans x 24,990 variants) with the 1000 Genomes panel."""
    from varkg.popgen.genotypes import read_vcf_artifacts

    return read_vcf_artifacts(kgp_artifacts, panel=shared_data / PANEL, vcf=shared_data / KGP)


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
