// name: datasets
// description: The Dataset provenance records: loader, version, input files and rows written, for a loader or all.
// param: loader string = "" -- keep one loader's datasets; empty keeps all
// example: varkg query datasets --param loader=vcf
MATCH (d:Dataset)
WHERE $loader = '' OR d.loader = $loader
RETURN d.id AS dataset_id, d.name AS name, d.loader AS loader, d.version AS version, d.row_counts AS row_counts, d.loaded_at AS loaded_at
ORDER BY dataset_id
