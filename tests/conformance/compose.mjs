// Compose every corpus set's subgraph SDLs into sets/<set>/supergraph.graphql with
// @theguild/federation-composition (composeServices), so pytest needs no Node.
//
//   node tests/conformance/compose.mjs            # all sets
//   node tests/conformance/compose.mjs products   # only the named sets
//
// URLs in the supergraph are placeholders; the runner and reference.mjs put real ones in.
// Where the Guild composer rejects a set that Apollo's composer accepts (e.g. a field
// returning Query that jumps to another subgraph's root), the set is composed with
// @apollo/composition instead, and the supergraph's first line says so.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'node', 'package.json'));
const { composeServices } = await import(pathToFileURL(require.resolve('@theguild/federation-composition')).href);
const apollo = await import(pathToFileURL(require.resolve('@apollo/composition')).href);
const { parse } = await import(pathToFileURL(require.resolve('graphql')).href);

const setsDir = join(here, 'sets');
const wanted = process.argv.slice(2);
let failed = 0;
for (const set of readdirSync(setsDir).sort()) {
  const dir = join(setsDir, set);
  if (!existsSync(join(dir, 'cases.yaml'))) continue;
  if (wanted.length && !wanted.includes(set)) continue;
  const services = readdirSync(dir)
    .filter((f) => f.endsWith('.graphql') && f !== 'supergraph.graphql')
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.graphql'.length);
      return { name, url: `http://placeholder.invalid/${set}/${name}`, typeDefs: parse(readFileSync(join(dir, f), 'utf8')) };
    });
  let result = composeServices(services);
  let header = '';
  if (result.errors) {
    const fallback = apollo.composeServices(services);
    if (!fallback.errors) {
      const reason = result.errors[0].message.split('\n')[0];
      console.warn(`${set}: Guild composition failed (${reason}); composed with @apollo/composition`);
      header = `# Composed with @apollo/composition: @theguild/federation-composition rejected it (${reason})\n`;
      result = fallback;
    }
  }
  if (result.errors) {
    failed += 1;
    console.error(`${set}: composition failed`);
    for (const e of result.errors) console.error(`  ${e.message}`);
    continue;
  }
  writeFileSync(join(dir, 'supergraph.graphql'), header + result.supergraphSdl.trimEnd() + '\n');
  console.log(`${set}: ${services.length} subgraphs composed`);
}
process.exit(failed ? 1 : 0);
