// name: variants_in_region
// description: Variants in a genomic interval with their most severe consequence and any prediction.
// param: chrom string -- chromosome without 'chr' (20)
// param: start int -- interval start, 0-based inclusive
// param: stop int -- interval end, 0-based exclusive
// param: limit int = 500 -- rows returned
// example: varkg query variants_in_region --param chrom=20 --param start=9600000 --param stop=9700000
MATCH (v:Variant)
WHERE v.chrom = $chrom AND v.pos - 1 >= $start AND v.pos - 1 < $stop
RETURN v.id AS variant_id, v.rsid AS rsid, v.pos AS pos, v.consequence AS consequence, v.impact AS impact,
       v.effect_probability AS effect_probability, v.lm_llr AS lm_llr
ORDER BY pos, variant_id
LIMIT $limit
