// name: credible_set_variants
// description: Fine-mapped variants (SuSiE posterior inclusion probability) for a trait, highest PIP first, with the gene each affects.
// param: trait string -- fine-mapping trait name (finemap_trait), exact
// param: min_pip float = 0.1 -- minimum PIP
// param: limit int = 50 -- rows returned
// example: varkg query credible_set_variants --param trait=LDL --param min_pip=0.5
MATCH (v:Variant)
WHERE v.finemap_trait = $trait AND v.pip >= $min_pip
OPTIONAL MATCH (v)-[:AFFECTS]->(g:Gene)
RETURN v.id AS variant_id, v.rsid AS rsid, v.pip AS pip, v.credible_set AS credible_set, list_sort(collect(DISTINCT g.symbol)) AS genes
ORDER BY pip DESC, variant_id
LIMIT $limit
