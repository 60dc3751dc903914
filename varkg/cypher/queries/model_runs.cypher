// name: model_runs
// description: Lineage of the model and causal runs written back to the graph (PredictionRun, CausalRun), newest first.
// example: varkg query model_runs
MATCH (r:PredictionRun)
RETURN r.id AS run_id, 'prediction' AS kind, r.task AS task, r.model AS method, r.metrics AS metrics, r.created_at AS created_at
UNION
MATCH (c:CausalRun)
RETURN c.id AS run_id, 'causal' AS kind, '' AS task, c.method AS method, c.parameters AS metrics, c.created_at AS created_at
