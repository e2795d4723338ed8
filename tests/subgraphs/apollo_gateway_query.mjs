// Serve a supergraph with Apollo Gateway (a reference implementation) and run queries.
// Usage: node apollo_gateway_query.mjs SUPERGRAPH_FILE < queries.json  -> results as JSON
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'tests', 'node', 'package.json'));
const { ApolloGateway } = require('@apollo/gateway');
const { ApolloServer } = require('@apollo/server');
const { startStandaloneServer } = require('@apollo/server/standalone');

const supergraphSdl = readFileSync(process.argv[2], 'utf8');
const queries = JSON.parse(readFileSync(0, 'utf8'));
const server = new ApolloServer({
  gateway: new ApolloGateway({ supergraphSdl }),
  includeStacktraceInErrorResponses: false,
});
const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
const results = [];
try {
  for (const query of queries) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    results.push(await response.json());
  }
} finally {
  await server.stop();
}
process.stdout.write(JSON.stringify(results));
