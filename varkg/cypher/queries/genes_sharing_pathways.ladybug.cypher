// name: genes_sharing_pathways
// description: Genes sharing pathways or gene sets with a disease gene, ranked by the number of shared pathways.
// param: gene string -- gene symbol or Ensembl id
// param: min_shared int = 1 -- minimum number of shared pathways
// param: limit int = 50 -- rows returned
// example: varkg query genes_sharing_pathways --param gene=BMP2 --param min_shared=2
MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway)<-[:IN_PATHWAY]-(o:Gene)
WHERE (g.symbol = $gene OR g.id = $gene) AND o.id <> g.id
WITH o, count(DISTINCT p) AS shared, list_sort(collect(DISTINCT p.name)) AS pathways
WHERE shared >= $min_shared
RETURN o.id AS gene_id, o.symbol AS symbol, shared, pathways
ORDER BY shared DESC, symbol
LIMIT $limit
