// name: locus_genes_3d_vs_linear
// description: Candidate genes of a GWAS locus by linear distance from the variant to the TSS next to the 3D evidence (Hi-C REGULATES links of the elements around the variant, contact = observed/expected).
// param: variant string -- Variant id or rs id
// param: window int = 500000 -- genes with a TSS within this many bp of the variant
// param: limit int = 20 -- rows returned
// example: varkg query locus_genes_3d_vs_linear --param variant=rs6082431 --param window=250000
MATCH (v:Variant)
WHERE v.id = $variant OR v.rsid = $variant
WITH v
MATCH (g:Gene)
WHERE g.chrom = v.chrom AND abs(g.tss - v.pos + 1) <= $window
OPTIONAL MATCH (r:RegulatoryElement)-[h:REGULATES]->(g)
WHERE h.evidence = 'hic_contact' AND r.chrom = v.chrom AND r.start <= v.pos - 1 + 10000 AND r.stop >= v.pos - 1 - 10000
WITH v, g, abs(g.tss - v.pos + 1) AS linear_distance, max(h.contact) AS contact_3d
RETURN g.id AS gene_id, g.symbol AS symbol, linear_distance, contact_3d
ORDER BY linear_distance
LIMIT $limit
