"""Fixtures for the causal tests: a real-LD reference panel (1000 Genomes chr20) and its LD."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from varkg.causal.ld import ld_matrix
from varkg.causal.simulate import ReferencePanel, load_reference_panel

KGP = "variants/kgp_chr20_1-4Mb_reference.vcf.gz"


@pytest.fixture(scope="session")
def panel(shared_data: Path) -> ReferencePanel:
    """Phased SNVs with MAF ≥ 5 % in 20:1.0–1.4 Mb (GRCh37), 300 samples = 600 haplotypes."""
    vcf = shared_data / KGP
    if not vcf.exists():
        pytest.skip(f"{vcf} is absent")
    return load_reference_panel(vcf, region="20:1000000-1400000", min_maf=0.05)


@pytest.fixture(scope="session")
def ref_genotypes(panel: ReferencePanel) -> np.ndarray:
    """The 300 panel individuals' genotypes (ALT dosage), the LD reference."""
    return (panel.haplotypes[0::2] + panel.haplotypes[1::2]).astype(np.int8)


@pytest.fixture(scope="session")
def ld(ref_genotypes: np.ndarray) -> np.ndarray:
    """Signed LD r between all panel variants (ALT-coded)."""
    return ld_matrix(ref_genotypes)
