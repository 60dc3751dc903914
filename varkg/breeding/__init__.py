"""Breeding: mixed-model GWAS, genomic selection and breeding-chip design on a GenotypeMatrix.

* :mod:`varkg.breeding.data`: phenotypes and covariates aligned to genotypes, marker QC
  (monomorphic and low-MAF markers dropped with counts, missing calls mean-imputed).
* :mod:`varkg.breeding.lmm`: the VanRaden GRM, REML variance components by the eigen
  decomposition of K (EMMA/GEMMA), and the per-marker LMM Wald test (``gemma -lmm 1``).
* :mod:`varkg.breeding.gwas`: a GWAS run: the GWAS Parquet layout, ASSOCIATED_WITH edges with
  lineage, Manhattan and QQ plots.
* :mod:`varkg.breeding.gs`: GBLUP / rrBLUP (REML), BayesCπ (Gibbs), repeated k-fold CV.
* :mod:`varkg.breeding.chip`: a marker panel of N markers and its GS accuracy vs random and
  evenly spaced panels.

Importing this package is cheap (numpy, pandas and scipy are imported by the modules).
"""

from __future__ import annotations

__all__ = ["chip", "data", "gs", "gwas", "lmm"]
