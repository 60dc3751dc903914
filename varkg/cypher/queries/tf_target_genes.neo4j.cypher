// name: tf_target_genes
// description: Genes regulated by the elements a transcription factor binds (ChIP or motif evidence).
// param: tf string -- TF symbol (CTCF)
// param: limit int = 100 -- rows returned
// example: varkg query tf_target_genes --param tf=CTCF
MATCH (t:TranscriptionFactor)-[b:BINDS]->(r:RegulatoryElement)-[x:REGULATES]->(g:Gene)
WHERE t.symbol = $tf OR t.id = $tf
WITH g, r, b ORDER BY b.evidence
RETURN g.id AS gene_id, g.symbol AS symbol, count(DISTINCT r) AS n_elements, collect(DISTINCT b.evidence) AS evidence
ORDER BY n_elements DESC, symbol
LIMIT $limit
