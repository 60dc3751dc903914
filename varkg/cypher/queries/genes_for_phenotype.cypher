// name: genes_for_phenotype
// description: Genes associated with a phenotype or disease (HPO/OMIM gene-disease links), with the source of each link.
// param: phenotype string -- Phenotype id (OMIM:212050) or (part of) its name, case-insensitive
// param: limit int = 100 -- rows returned
// example: varkg query genes_for_phenotype --param phenotype=OMIM:212050
MATCH (g:Gene)-[a:ASSOCIATED_WITH]->(p:Phenotype)
WHERE p.id = $phenotype OR toLower(p.name) CONTAINS toLower($phenotype)
RETURN g.id AS gene_id, g.symbol AS symbol, p.id AS phenotype_id, p.name AS phenotype, a.source AS source, a.study AS study
ORDER BY symbol, phenotype_id
LIMIT $limit
