"""Population genetics: one genotype abstraction, pairwise LD and LD blocks.

* :mod:`varkg.popgen.genotypes`: :class:`GenotypeMatrix` and its readers (VCF loader
  artifacts, PLINK 1 ``.bed``, MSUPRP-style 0/1/2 TSV).
* :mod:`varkg.popgen.ld`: r², D′ and Haploview's D′ confidence interval in windows.
* :mod:`varkg.popgen.blocks`: LD blocks by Gabriel et al. (2002) with PLINK 1.9 ``--blocks`` rules.
* :mod:`varkg.popgen.fst`: allele frequencies per population, Hudson and Weir–Cockerham Fst.
* :mod:`varkg.popgen.selection`: iHS, nSL and XP-EHH on phased haplotypes.
* :mod:`varkg.popgen.writeback`: LD_WITH edges, LDBlock nodes and IN_BLOCK edges into the graph.

Importing this package is cheap (numpy and pandas only); plots import matplotlib when drawn.
"""

from __future__ import annotations

__all__ = ["blocks", "fst", "genotypes", "ld", "selection", "writeback"]
