"""Interpretation: explain what the graph and the DNA language model find.

* :mod:`~varkg.interpret.go`: the GO hierarchy (is_a / part_of) and annotation propagation.
* :mod:`~varkg.interpret.genesets`: gene-set libraries from files (GMT, gene2go, HPO, KEGG,
  Reactome) or from the graph (``IN_PATHWAY``, ``ASSOCIATED_WITH``, TF ``BINDS`` -> ``REGULATES``).
* :mod:`~varkg.interpret.mapping`: variant -> gene mapping (AFFECTS / REGULATES / EQTL_OF) and
  the top-N nodes of a written-back score.
* :mod:`~varkg.interpret.enrichment`: over-representation (hypergeometric / Fisher, BH FDR)
  against an explicit background.
* :mod:`~varkg.interpret.attribution`: in-silico mutagenesis, gradient x input and integrated
  gradients; eQTL driver support by sign agreement.
* :mod:`~varkg.interpret.embedmap`: UMAP / t-SNE maps of embeddings (PNG + standalone HTML),
  nearest neighbours.
* :mod:`~varkg.interpret.plot`: the figures; :mod:`~varkg.interpret.writeback`: results back
  into the graph with lineage.

Nothing here is imported by ``import varkg``; torch is imported only by ``attribution``.
"""
