// name: genes_in_tad_of_variant
// description: Genes in the same TAD as a variant (GWAS hit), through IN_REGION links to TAD ChromatinRegions.
// param: variant string -- Variant id or rs id
// example: varkg query genes_in_tad_of_variant --param variant=rs6082431
MATCH (v:Variant)-[:IN_REGION]->(t:ChromatinRegion)<-[:IN_REGION]-(g:Gene)
WHERE (v.id = $variant OR v.rsid = $variant) AND t.kind = 'TAD'
RETURN DISTINCT t.id AS tad_id, g.id AS gene_id, g.symbol AS symbol, abs(g.tss - v.pos + 1) AS distance_to_tss
ORDER BY distance_to_tss
