// name: regulatory_elements_of_gene
// description: Regulatory elements linked to a gene (promoter, nearest TSS, Hi-C contact, eQTL evidence) with their class and distance to the TSS.
// param: gene string -- gene symbol or Ensembl id
// param: evidence string = "" -- keep one evidence kind (promoter, nearest_tss, hic_contact, eqtl, tf_target); empty keeps all
// param: limit int = 200 -- rows returned
// example: varkg query regulatory_elements_of_gene --param gene=PAK5 --param evidence=nearest_tss
MATCH (r:RegulatoryElement)-[x:REGULATES]->(g:Gene)
WHERE (g.symbol = $gene OR g.id = $gene) AND ($evidence = '' OR x.evidence = $evidence)
RETURN r.id AS element_id, r.kind AS kind, r.chrom AS chrom, r.start AS start, r.stop AS stop, x.evidence AS evidence,
       x.distance AS distance_to_tss, x.contact AS contact
ORDER BY abs(coalesce(distance_to_tss, 0)), element_id
LIMIT $limit
