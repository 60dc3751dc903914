// name: interaction_partners
// description: Interaction partners of a gene (STRING, Reactome, complexes) above a score.
// param: gene string -- gene symbol or Ensembl id
// param: min_score float = 0.4 -- minimum combined score in [0, 1]
// param: limit int = 50 -- rows returned
// example: varkg query interaction_partners --param gene=TP53 --param min_score=0.7
MATCH (g:Gene)-[i:INTERACTS]-(o:Gene)
WHERE (g.symbol = $gene OR g.id = $gene) AND coalesce(i.score, 1.0) >= $min_score
RETURN DISTINCT o.id AS gene_id, o.symbol AS symbol, i.type AS type, i.source AS source, i.score AS score
ORDER BY score DESC, symbol
LIMIT $limit
