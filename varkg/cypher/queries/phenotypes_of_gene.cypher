// name: phenotypes_of_gene
// description: Phenotypes and diseases linked to a gene directly (HPO/OMIM) or through its variants (GWAS/ClinVar).
// param: gene string -- gene symbol or Ensembl id
// example: varkg query phenotypes_of_gene --param gene=PAK5
MATCH (g:Gene)
WHERE g.symbol = $gene OR g.id = $gene
MATCH (g)-[a:ASSOCIATED_WITH]->(p:Phenotype)
RETURN p.id AS phenotype_id, p.name AS phenotype, a.source AS source, 'gene' AS via, '' AS variant_id
UNION
MATCH (v:Variant)-[:AFFECTS]->(g:Gene)
WHERE g.symbol = $gene OR g.id = $gene
MATCH (v)-[a:ASSOCIATED_WITH]->(p:Phenotype)
RETURN p.id AS phenotype_id, p.name AS phenotype, a.source AS source, 'variant' AS via, v.id AS variant_id
