// Compose subgraph sets with the npm composers for the differential test:
// @theguild/federation-composition (the reference) and, where installed, @apollo/composition
// (the tie-breaker where the two npm tools disagree; see test_differential.py).
//
//   echo '{"set": [{"name": "a", "url": "http://a", "sdl": "..."}]}' | node compose_npm.mjs [SET...]
//
// Prints {"set": {"guild": R, "apollo": R | null}} as JSON on stdout, where R is
// {"supergraph": "..." | null, "errors": ["..."]}. Only the sets named as arguments are also
// composed with @apollo/composition (it is slow); "apollo" is null for the others.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'node', 'package.json'));
const { parse } = require('graphql');
const guild = require('@theguild/federation-composition');
let apollo = null;
try {
  apollo = require('@apollo/composition');
} catch {
  apollo = null;
}

function run(composer, services) {
  try {
    const result = composer.composeServices(
      services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
    );
    return result.errors && result.errors.length
      ? { supergraph: null, errors: result.errors.map((e) => e.message) }
      : { supergraph: result.supergraphSdl, errors: [] };
  } catch (error) {
    return { supergraph: null, errors: [String(error && error.message)] };
  }
}

const sets = JSON.parse(readFileSync(0, 'utf8'));
const withApollo = new Set(process.argv.slice(2));
const out = {};
for (const [name, services] of Object.entries(sets)) {
  out[name] = { guild: run(guild, services), apollo: apollo && withApollo.has(name) ? run(apollo, services) : null };
}
process.stdout.write(JSON.stringify(out));
