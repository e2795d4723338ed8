// Load supergraphs with Apollo's own libraries, as @apollo/gateway does: build and validate
// the supergraph, extract the subgraphs from the join metadata, and create a query planner.
//
//   echo '{"name": "<supergraph SDL>"}' | node load_with_apollo.mjs
//
// Prints {"name": null | "<error message>"} as JSON on stdout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'node', 'package.json'));
const { Supergraph } = require('@apollo/federation-internals');
const { QueryPlanner } = require('@apollo/query-planner');

const supergraphs = JSON.parse(readFileSync(0, 'utf8'));
const out = {};
for (const [name, sdl] of Object.entries(supergraphs)) {
  try {
    const supergraph = Supergraph.build(sdl, { validateSupergraph: true });
    supergraph.subgraphs();
    new QueryPlanner(supergraph);
    out[name] = null;
  } catch (error) {
    out[name] = String((error && error.message) || error);
  }
}
process.stdout.write(JSON.stringify(out));
