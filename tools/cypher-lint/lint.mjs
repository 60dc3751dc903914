// Offline Neo4j Cypher linter for varkg's tests.
// stdin:  {"schema": DbSchema, "queries": ["CYPHER", ...]}
// stdout: [{"query": i, "diagnostics": [{"severity": n, "message": s, "offsets": {...}}]}]
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { schema, queries } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = queries.map((query, i) => {
  const { diagnostics } = lintCypherQuery(query, schema ?? {});
  return {
    query: i,
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      offsets: d.offsets,
    })),
  };
});
process.stdout.write(JSON.stringify(out));
