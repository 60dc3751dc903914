// name: pathway_members
// description: Member genes of a pathway or gene set, by id or (part of) its name.
// param: pathway string -- Pathway id (HALLMARK_HYPOXIA, R-HSA-73894, GO:0006281) or part of its name, case-insensitive
// param: limit int = 500 -- rows returned
// example: varkg query pathway_members --param pathway=HALLMARK_HYPOXIA
MATCH (g:Gene)-[:IN_PATHWAY]->(p:Pathway)
WHERE p.id = $pathway OR toLower(p.name) CONTAINS toLower($pathway)
RETURN p.id AS pathway_id, p.name AS pathway, g.id AS gene_id, g.symbol AS symbol
ORDER BY pathway_id, symbol
LIMIT $limit
