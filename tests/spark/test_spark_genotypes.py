"""Hail path vs the single-machine path on the real chr20 VCF: same Variant ids, counts, frame
schema, and allele frequencies / variant QC to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.spark


def test_variant_frame_matches_the_vcf_loader(kgp_mt, kgp_local):
    from varkg.spark.genotypes import VARIANT_SCHEMA, to_arrow, variant_frame

    local, _ = kgp_local
    spark = to_arrow(variant_frame(kgp_mt, assembly="GRCh37"), schema=VARIANT_SCHEMA)
    assert spark.schema == local.select(VARIANT_SCHEMA.names).schema
    lo = local.to_pandas().set_index("id")
    sp = spark.to_pandas().set_index("id")
    assert len(sp) == len(lo) == 24990
    assert sp.index.is_unique and set(sp.index) == set(lo.index)
    sp = sp.loc[lo.index]
    for col in ("assembly", "chrom", "pos", "ref", "alt", "vtype"):
        assert (sp[col].to_numpy() == lo[col].to_numpy()).all(), col
    assert (sp["rsid"].fillna("").to_numpy() == lo["rsid"].fillna("").to_numpy()).all()
    np.testing.assert_allclose(sp["af"].to_numpy(), lo["af"].to_numpy(), rtol=0, atol=1e-9)


def test_variant_qc_matches_numpy(kgp_mt, kgp_local):
    from varkg.popgen.qc import variant_qc as local_qc
    from varkg.spark.genotypes import variant_qc

    _, geno = kgp_local
    lo = local_qc(geno).set_index("id")
    sp = variant_qc(kgp_mt).to_pandas().set_index("id").loc[lo.index]
    for col in ("n_called", "an", "ac", "n_het", "n_hom_var"):
        assert (sp[col].to_numpy() == lo[col].to_numpy()).all(), col
    np.testing.assert_allclose(sp["af"].to_numpy(), lo["af"].to_numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(sp["call_rate"].to_numpy(), lo["call_rate"].to_numpy(), rtol=0, atol=1e-12)
    assert lo["ac"].sum() > 0
