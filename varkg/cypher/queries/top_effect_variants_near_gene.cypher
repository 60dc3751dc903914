// name: top_effect_variants_near_gene
// description: Variants within a window of a gene's TSS ranked by predicted effect (GNN effect_probability, then the language-model log-likelihood ratio).
// param: gene string -- gene symbol or Ensembl id
// param: window int = 100000 -- half-width around the TSS in bp
// param: limit int = 20 -- rows returned
// example: varkg query top_effect_variants_near_gene --param gene=PAK5 --param window=50000
MATCH (g:Gene)
WHERE g.symbol = $gene OR g.id = $gene
MATCH (v:Variant)
WHERE v.chrom = g.chrom AND v.pos - 1 >= g.tss - $window AND v.pos - 1 <= g.tss + $window
  AND (v.effect_probability IS NOT NULL OR v.lm_llr IS NOT NULL)
RETURN v.id AS variant_id, v.rsid AS rsid, v.effect_probability AS effect_probability, v.effect_rank AS effect_rank,
       v.lm_llr AS lm_llr, v.consequence AS consequence, abs(v.pos - 1 - g.tss) AS distance_to_tss
ORDER BY coalesce(effect_probability, -1.0) DESC, abs(coalesce(lm_llr, 0.0)) DESC, variant_id
LIMIT $limit
