// Compose the test supergraphs (run by hand when a subgraph SDL changes; pytest needs no Node):
//   node tests/planner/compose.mjs
// Each folder tests/planner/subgraphs/NAME/ holds one SUBGRAPH.graphql per subgraph; the
// composed supergraph is written to tests/planner/supergraphs/NAME.graphql. A file COMPOSER in
// the folder may name another composer ("apollo"); the default is the Guild's.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../node/package.json', import.meta.url));
const { parse } = require('graphql');
const composers = {
  guild: require('@theguild/federation-composition').composeServices,
  // Only for what the Guild's composer refuses (e.g. fields returning Query): ELv2, dev only.
  apollo: (services) => require('@apollo/composition').composeServices(services),
};

const HEADER = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [
  "@key", "@requires", "@provides", "@external", "@shareable", "@override", "@inaccessible",
  "@interfaceObject", "@tag"])\n`;

const root = new URL('./subgraphs/', import.meta.url);
for (const name of readdirSync(root).sort()) {
  const folder = new URL(`${name}/`, root);
  const services = readdirSync(folder)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const subgraph = file.replace(/\.graphql$/, '');
      const sdl = readFileSync(new URL(file, folder), 'utf8');
      return { name: subgraph, url: `http://${subgraph}.example/graphql`, typeDefs: parse(HEADER + sdl) };
    });
  let composer = 'guild';
  try {
    composer = readFileSync(new URL('COMPOSER', folder), 'utf8').trim();
  } catch {}
  const result = composers[composer](services);
  if (result.errors && result.errors.length) {
    console.error(`${name}:\n` + result.errors.map((e) => `  ${e.message}`).join('\n'));
    process.exitCode = 1;
    continue;
  }
  writeFileSync(new URL(`../supergraphs/${name}.graphql`, root), result.supergraphSdl + '\n');
  console.log(`${name}: ${services.length} subgraphs`);
}
