// name: variant_report
// description: Everything known about one variant: its properties and predictions, the genes it affects, the elements it falls in (motif disruption), its phenotype associations and causal estimates, one row per relation.
// param: variant string -- Variant id ({assembly}:{chrom}:{pos}:{ref}:{alt}, pos 1-based) or rs id
// example: varkg query variant_report --param variant=rs6082431
MATCH (v:Variant)
WHERE v.id = $variant OR v.rsid = $variant
OPTIONAL MATCH (v)-[r]->(n)
RETURN v.id AS variant_id, v.rsid AS rsid, v.consequence AS consequence, v.impact AS impact, v.af AS af,
       v.clinical_significance AS clinical_significance, v.lm_llr AS lm_llr, v.effect_probability AS effect_probability,
       v.pip AS pip, type(r) AS relation, labels(n)[0] AS target_type, n.id AS target_id
ORDER BY relation, target_id
