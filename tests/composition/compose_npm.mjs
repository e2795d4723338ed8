// Compose subgraph sets with @theguild/federation-composition for the differential test.
//
//   echo '{"set": [{"name": "a", "url": "http://a", "sdl": "..."}]}' | node compose_npm.mjs
//
// Prints {"set": {"supergraph": "..." | null, "errors": ["..."]}} as JSON on stdout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'node', 'package.json'));
const { parse } = require('graphql');
const { composeServices } = require('@theguild/federation-composition');

const sets = JSON.parse(readFileSync(0, 'utf8'));
const out = {};
for (const [name, services] of Object.entries(sets)) {
  try {
    const result = composeServices(
      services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
    );
    out[name] = result.errors && result.errors.length
      ? { supergraph: null, errors: result.errors.map((e) => e.message) }
      : { supergraph: result.supergraphSdl, errors: [] };
  } catch (error) {
    out[name] = { supergraph: null, errors: [String(error && error.message)] };
  }
}
process.stdout.write(JSON.stringify(out));
