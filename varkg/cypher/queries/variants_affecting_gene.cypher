// name: variants_affecting_gene
// description: Variants with a predicted consequence on a gene, most severe impact first.
// param: gene string -- gene symbol or Ensembl id
// param: impact string = "" -- keep one impact class only (HIGH, MODERATE, LOW, MODIFIER); empty keeps all
// param: limit int = 100 -- rows returned
// example: varkg query variants_affecting_gene --param gene=PAK5 --param impact=MODERATE
MATCH (v:Variant)-[a:AFFECTS]->(g:Gene)
WHERE (g.symbol = $gene OR g.id = $gene) AND ($impact = '' OR a.impact = $impact)
RETURN v.id AS variant_id, v.rsid AS rsid, a.consequence AS consequence, a.impact AS impact, a.amino_acids AS amino_acids,
       a.distance AS distance, v.af AS af,
       CASE a.impact WHEN 'HIGH' THEN 0 WHEN 'MODERATE' THEN 1 WHEN 'LOW' THEN 2 ELSE 3 END AS severity
ORDER BY severity, variant_id
LIMIT $limit
