// name: variants_in_gene_regulatory_elements
// description: Variants inside the regulatory elements that regulate a gene, with the motif disruption score of each variant (largest |delta| first).
// param: gene string -- gene symbol or Ensembl id
// param: min_abs_delta float = 0.0 -- keep variants whose |motif_delta| is at least this (log-odds bits); 0 keeps variants without a motif score
// param: limit int = 50 -- rows returned
// example: varkg query variants_in_gene_regulatory_elements --param gene=PAK5 --param min_abs_delta=2
MATCH (v:Variant)-[ie:IN_ELEMENT]->(r:RegulatoryElement)-[rg:REGULATES]->(g:Gene)
WHERE (g.symbol = $gene OR g.id = $gene)
  AND ($min_abs_delta <= 0.0 OR abs(ie.motif_delta) >= $min_abs_delta)
RETURN DISTINCT v.id AS variant_id, v.rsid AS rsid, r.id AS element_id, r.kind AS element_kind, rg.evidence AS evidence,
       rg.distance AS distance_to_tss, ie.motif_id AS motif_id, ie.motif_delta AS motif_delta
ORDER BY abs(coalesce(motif_delta, 0.0)) DESC, variant_id
LIMIT $limit
