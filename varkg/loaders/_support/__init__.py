"""Helpers shared by the loaders, one module per concern (none of them is a loader):

* :mod:`.text` - opening (b)gzipped text, lines and delimited tables with line numbers, and the
  one number parser with its missing-value markers;
* :mod:`.context` - typed loader options, the assembly, the reference, nodes already in the store;
* :mod:`.frames` - cutting tables into node/edge frames of bounded size;
* :mod:`.bed` - BED-like interval files;
* :mod:`.genes` - ``strip_version`` and the gene-id mapper (option ``id_map``);
* :mod:`.interval_joins` - overlaps / nearest-TSS / Hi-C contact joins against loaded nodes;
* :mod:`.annotation_lookup` - the gene annotation a variant loader uses for consequences;
* :mod:`.motif_matrices` - JASPAR/MEME/TRANSFAC matrices and motif-disruption scores;
* :mod:`.genotypes` - the on-disk genotype matrix written while a VCF streams.
"""
