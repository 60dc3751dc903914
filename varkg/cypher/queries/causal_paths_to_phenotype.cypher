// name: causal_paths_to_phenotype
// description: Causal paths variant -> gene -> phenotype with the written-back evidence on each step (SMR/eQTL-MR, coloc PP.H4, MR estimates).
// param: phenotype string -- Phenotype id or (part of) its name, case-insensitive
// param: max_pvalue float = 1.0 -- keep gene->phenotype estimates with p at most this
// param: limit int = 50 -- rows returned
// example: varkg query causal_paths_to_phenotype --param phenotype="LDL cholesterol" --param max_pvalue=0.05
MATCH (v:Variant)-[c1:CAUSAL_FOR]->(g:Gene)-[c2:CAUSAL_FOR]->(p:Phenotype)
WHERE (p.id = $phenotype OR toLower(p.name) CONTAINS toLower($phenotype))
  AND coalesce(c2.pvalue, 1.0) <= $max_pvalue
RETURN v.id AS variant_id, g.symbol AS gene, p.name AS phenotype, c1.method AS variant_gene_method, c1.estimate AS variant_gene_estimate,
       c1.pp_h4 AS variant_gene_pp_h4, c2.method AS gene_phenotype_method, c2.estimate AS gene_phenotype_estimate,
       c2.pvalue AS gene_phenotype_pvalue, c2.pp_h4 AS gene_phenotype_pp_h4, c2.run_id AS run_id
ORDER BY gene_phenotype_pvalue, variant_id
LIMIT $limit
