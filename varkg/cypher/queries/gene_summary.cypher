// name: gene_summary
// description: One gene by symbol or Ensembl id with its coordinates and how many variants, regulatory elements, pathways and phenotypes attach to it.
// param: gene string -- gene symbol (PAK5) or Ensembl id (ENSG00000101349)
// example: varkg query gene_summary --param gene=PAK5
MATCH (g:Gene)
WHERE g.symbol = $gene OR g.id = $gene
OPTIONAL MATCH (v:Variant)-[:AFFECTS]->(g)
WITH g, count(DISTINCT v) AS n_variants
OPTIONAL MATCH (r:RegulatoryElement)-[:REGULATES]->(g)
WITH g, n_variants, count(DISTINCT r) AS n_elements
OPTIONAL MATCH (g)-[:IN_PATHWAY]->(p:Pathway)
WITH g, n_variants, n_elements, count(DISTINCT p) AS n_pathways
OPTIONAL MATCH (g)-[:ASSOCIATED_WITH]->(ph:Phenotype)
RETURN g.id AS gene_id, g.symbol AS symbol, g.biotype AS biotype, g.chrom AS chrom, g.start AS start, g.stop AS stop,
       g.strand AS strand, n_variants, n_elements, n_pathways, count(DISTINCT ph) AS n_phenotypes
