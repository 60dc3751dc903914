// name: gwas_hits_for_phenotype
// description: Variant associations with a phenotype (GWAS, ClinVar) below a p-value threshold, strongest first.
// param: phenotype string -- Phenotype id or (part of) its name, case-insensitive
// param: max_pvalue float = 5e-8 -- p-value threshold
// param: limit int = 100 -- rows returned
// example: varkg query gwas_hits_for_phenotype --param phenotype=asthma --param max_pvalue=1e-6
MATCH (v:Variant)-[a:ASSOCIATED_WITH]->(p:Phenotype)
WHERE (p.id = $phenotype OR toLower(p.name) CONTAINS toLower($phenotype)) AND coalesce(a.pvalue, 0.0) <= $max_pvalue
RETURN v.id AS variant_id, v.rsid AS rsid, p.id AS phenotype_id, p.name AS phenotype, a.source AS source, a.study AS study,
       a.pvalue AS pvalue, a.beta AS beta, a.odds_ratio AS odds_ratio
ORDER BY pvalue, variant_id
LIMIT $limit
