// Opt-in reference check (not used by pytest): print Apollo's query plan for a supergraph
// and an operation, to compare plan shapes with ours.
//   node tests/planner/apollo_plans.mjs tests/planner/supergraphs/X.graphql 'query { ... }' [label ...]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Resolve packages from tests/node/node_modules wherever this script is run from.
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { parse } = require('graphql');
const { Supergraph, operationFromDocument } = require('@apollo/federation-internals');
const { QueryPlanner, prettyFormatQueryPlan } = require('@apollo/query-planner');

const [file, query, ...labels] = process.argv.slice(2);
const supergraph = Supergraph.build(readFileSync(file, 'utf8'));
const planner = new QueryPlanner(supergraph);
const operation = operationFromDocument(supergraph.schema, parse(query), { validate: true });
const overrideConditions = new Map(labels.map((label) => [label, true]));
console.log(prettyFormatQueryPlan(planner.buildQueryPlan(operation, { overrideConditions })));
