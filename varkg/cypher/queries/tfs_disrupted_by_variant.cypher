// name: tfs_disrupted_by_variant
// description: Transcription factors whose binding a variant disrupts: the TF owns the motif with the largest score change at the variant, or binds (ChIP/motif) the element the variant falls in.
// param: variant string -- Variant id or rs id
// param: min_abs_delta float = 0.0 -- minimum |motif_delta| (log-odds bits) for the motif route
// example: varkg query tfs_disrupted_by_variant --param variant=rs6082431 --param min_abs_delta=1
MATCH (v:Variant)-[ie:IN_ELEMENT]->(r:RegulatoryElement)
WHERE v.id = $variant OR v.rsid = $variant
OPTIONAL MATCH (tf:TranscriptionFactor)-[:HAS_MOTIF]->(m:Motif)
WHERE m.id = ie.motif_id AND abs(coalesce(ie.motif_delta, 0.0)) >= $min_abs_delta
OPTIONAL MATCH (tb:TranscriptionFactor)-[b:BINDS]->(r)
RETURN v.id AS variant_id, r.id AS element_id, ie.motif_id AS motif_id, ie.motif_delta AS motif_delta,
       tf.symbol AS tf_by_motif, tb.symbol AS tf_bound, b.evidence AS binding_evidence
ORDER BY abs(coalesce(motif_delta, 0.0)) DESC
