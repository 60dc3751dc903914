// name: eqtls_of_gene
// description: QTL variants (eQTL, sQTL, caQTL) of a gene, strongest first.
// param: gene string -- gene symbol or Ensembl id
// param: max_pvalue float = 1e-5 -- nominal p-value threshold
// param: limit int = 100 -- rows returned
// example: varkg query eqtls_of_gene --param gene=SLC2A1 --param max_pvalue=1e-8
MATCH (v:Variant)-[q:EQTL_OF]->(g:Gene)
WHERE (g.symbol = $gene OR g.id = $gene) AND coalesce(q.pvalue, 1.0) <= $max_pvalue
RETURN v.id AS variant_id, v.rsid AS rsid, q.tissue AS tissue, q.qtl_kind AS qtl_kind, q.slope AS slope, q.pvalue AS pvalue,
       q.tss_distance AS tss_distance
ORDER BY pvalue, variant_id
LIMIT $limit
