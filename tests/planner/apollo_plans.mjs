// Opt-in reference check (not used by pytest): print Apollo's query plan for a supergraph
// and an operation, to compare plan shapes with ours.
//   node tests/planner/apollo_plans.mjs tests/planner/supergraphs/X.graphql 'query { ... }' [label ...]
// Batch mode (used by compare_with_apollo.py): read [[file, query], ...] as JSON on stdin,
// write the list of pretty plans (or "ERROR message") as JSON.
//   node tests/planner/apollo_plans.mjs --batch < cases.json
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// Resolve packages from tests/node/node_modules wherever this script is run from.
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { parse } = require('graphql');
const { Supergraph, operationFromDocument } = require('@apollo/federation-internals');
const { QueryPlanner, prettyFormatQueryPlan } = require('@apollo/query-planner');

const planners = new Map();
function plan(file, query, labels = []) {
  if (!planners.has(file)) {
    const supergraph = Supergraph.build(readFileSync(file, 'utf8'));
    planners.set(file, [supergraph, new QueryPlanner(supergraph)]);
  }
  const [supergraph, planner] = planners.get(file);
  const operation = operationFromDocument(supergraph.schema, parse(query), { validate: true });
  const overrideConditions = new Map(labels.map((label) => [label, true]));
  return prettyFormatQueryPlan(planner.buildQueryPlan(operation, { overrideConditions }));
}

const args = process.argv.slice(2);
if (args[0] === '--batch') {
  const cases = JSON.parse(readFileSync(0, 'utf8'));
  const out = cases.map(([file, query]) => {
    try {
      return plan(file, query);
    } catch (error) {
      return `ERROR ${error.message}`;
    }
  });
  console.log(JSON.stringify(out));
} else {
  const [file, query, ...labels] = args;
  console.log(plan(file, query, labels));
}
