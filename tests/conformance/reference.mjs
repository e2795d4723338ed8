// Opt-in reference run: every corpus case through Apollo's gateway (@apollo/gateway +
// @apollo/server), against the same Python fixture subgraphs and supergraphs.
//
//   node tests/conformance/reference.mjs            # compare with expected.json, report diffs
//   node tests/conformance/reference.mjs --write    # (re)write expected.json + apollo-plans.txt
//   node tests/conformance/reference.mjs entities   # only the named sets
//
// It starts `python -m conformance.serve` (the venv's python, or $PYTHON) and reads the
// corpus from it. Apollo's answer is the reference for `data`; errors are kept as
// {path, code, message} and compared by path + code. A case's own `expect` (cases.yaml)
// wins over Apollo's answer; differences are printed so they stay visible.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '..', 'node', 'package.json'));
const load = async (name) => import(pathToFileURL(require.resolve(name)).href);
const { ApolloGateway, RemoteGraphQLDataSource } = await load('@apollo/gateway');
const { ApolloServer } = await load('@apollo/server');
const { prettyFormatQueryPlan } = await load('@apollo/query-planner');

const args = process.argv.slice(2);
const write = args.includes('--write');
const onlySets = args.filter((a) => !a.startsWith('--'));

function startCorpus() {
  const python = process.env.PYTHON || join(here, '..', '..', '.venv', 'bin', 'python');
  const child = spawn(python, ['-m', 'conformance.serve'], {
    cwd: join(here, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ child, corpus: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`conformance.serve exited with ${code}`)));
  });
}

// Fetch services, depth-first; Parallel children sorted, so parallel order does not matter.
function planServices(node) {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node.serviceName];
    case 'Flatten':
      return planServices(node.node);
    case 'Sequence':
      return node.nodes.flatMap(planServices);
    case 'Parallel':
      return node.nodes
        .map(planServices)
        .sort((a, b) => (a.join(',') < b.join(',') ? -1 : a.join(',') > b.join(',') ? 1 : 0))
        .flat();
    case 'Condition':
      return [...planServices(node.ifClause), ...planServices(node.elseClause)];
    case 'Defer':
      return [...planServices(node.primary?.node), ...(node.deferred || []).flatMap((d) => planServices(d.node))];
    default:
      return [`<${node.kind}>`];
  }
}

function simplifyErrors(errors) {
  if (!errors) return undefined;
  return errors.map((e) => {
    const out = { path: e.path ?? null, message: e.message };
    if (e.extensions?.code) out.code = e.extensions.code;
    return out;
  });
}

// Same data, and the same errors by path (+ code where the expected error states one).
function sameResponse(expected, actual) {
  if (!isDeepStrictEqual(expected.data ?? null, actual.data ?? null)) return false;
  const remaining = [...(actual.errors || [])];
  for (const w of expected.errors || []) {
    const i = remaining.findIndex(
      (a) => isDeepStrictEqual(a.path ?? null, w.path ?? null) && (w.code === undefined || a.code === w.code),
    );
    if (i < 0) return false;
    remaining.splice(i, 1);
  }
  return remaining.length === 0;
}

// The case's traffic assertions (what the subgraphs received) checked against Apollo's run.
function trafficDifferences(plan, log) {
  const out = [];
  const calls = (service) => log.requests.filter((r) => r.service === service && r.representations !== null);
  for (const [service, want] of Object.entries(plan.entity_calls || {})) {
    const got = calls(service).length;
    if (got !== want) out.push(`${service} got ${got} _entities requests (plan says ${want})`);
  }
  for (const [service, want] of Object.entries(plan.representations || {})) {
    const got = calls(service).reduce((n, r) => n + r.representations.length, 0);
    if (got !== want) out.push(`${service} got ${got} representations (plan says ${want})`);
  }
  if (plan.mutation_calls && !isDeepStrictEqual(plan.mutation_calls, log.mutation_calls)) {
    out.push(`mutation calls ${JSON.stringify(log.mutation_calls)} (plan says ${JSON.stringify(plan.mutation_calls)})`);
  }
  return out;
}

async function control(base, set, path, body) {
  const response = await fetch(`${base}/${set}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw new Error(`control ${path}: HTTP ${response.status}`);
}

const { child, corpus } = await startCorpus();
let differences = 0;
try {
  for (const [setName, set] of Object.entries(corpus.sets)) {
    if (onlySets.length && !onlySets.includes(setName)) continue;
    let lastPlan = null;
    const gateway = new ApolloGateway({
      supergraphSdl: set.supergraph,
      buildService: ({ url }) => new RemoteGraphQLDataSource({ url }),
      experimental_didResolveQueryPlan: ({ queryPlan }) => {
        lastPlan = queryPlan;
      },
    });
    const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
    await server.start();
    const expectedPath = join(here, 'sets', setName, 'expected.json');
    const previous = existsSync(expectedPath) ? JSON.parse(readFileSync(expectedPath, 'utf8')) : {};
    const results = {};
    const planText = [];
    for (const c of set.cases) {
      await control(corpus.base_url, setName, '__reset');
      for (const [subgraph, fault] of Object.entries(c.faults || {})) {
        await control(corpus.base_url, setName, `${subgraph}/__fault`, { fault });
      }
      lastPlan = null;
      const response = await server.executeOperation({
        query: c.query,
        variables: c.variables,
        operationName: c.operationName ?? undefined,
      });
      const log = await (await fetch(`${corpus.base_url}/${setName}/__log`)).json();
      for (const v of log.violations) console.log(`${setName}/${c.name}: strict check fired for Apollo: ${v}`);
      for (const line of trafficDifferences(c.plan || {}, log)) console.log(`${setName}/${c.name}: Apollo's traffic: ${line}`);
      await control(corpus.base_url, setName, '__reset');
      const single = response.body.singleResult;
      // graphql-js objects have a null prototype: make plain JSON values to compare them
      const result = { data: JSON.parse(JSON.stringify(single.data ?? null)) };
      const errors = simplifyErrors(single.errors);
      if (errors) result.errors = errors;
      if (lastPlan) {
        const services = planServices(lastPlan.node);
        result.apollo_plan = { fetches: services.length, services };
        planText.push(`# ${c.name}\n${prettyFormatQueryPlan(lastPlan)}\n`);
      } else {
        planText.push(`# ${c.name}\n(no plan: ${errors ? 'request failed before planning' : 'no fetch'})\n`);
      }
      results[c.name] = result;
      const label = `${setName}/${c.name}`;
      const want = c.plan || {};
      const got = result.apollo_plan;
      if (got && ((want.fetches !== undefined && want.fetches !== got.fetches) ||
          (want.services && !isDeepStrictEqual(want.services, got.services)))) {
        console.log(`${label}: cases.yaml plan differs from Apollo's plan (plan assertions win):`);
        console.log(`  plan:   ${JSON.stringify({ fetches: want.fetches, services: want.services })}\n  apollo: ${JSON.stringify(got)}`);
      }
      if (c.expect && !sameResponse(c.expect, result)) {
        console.log(`${label}: cases.yaml expect differs from Apollo (expect wins):`);
        console.log(`  expect: ${JSON.stringify(c.expect)}\n  apollo: ${JSON.stringify(result)}`);
      }
      if (!write) {
        const before = previous[c.name];
        if (!before) {
          console.log(`${label}: not in expected.json`);
          differences += 1;
        } else if (!sameResponse(before, result)) {
          console.log(`${label}: Apollo's answer differs from expected.json`);
          console.log(`  expected: ${JSON.stringify(before)}\n  apollo:   ${JSON.stringify(result)}`);
          differences += 1;
        }
      }
    }
    await server.stop();
    if (write) {
      writeFileSync(expectedPath, JSON.stringify(results, null, 2) + '\n');
      writeFileSync(join(here, 'sets', setName, 'apollo-plans.txt'), planText.join('\n'));
      console.log(`${setName}: ${set.cases.length} cases written`);
    }
  }
} finally {
  child.stdin.end();
  child.kill('SIGTERM');
}
if (!write) console.log(differences ? `${differences} difference(s)` : 'expected.json matches Apollo');
process.exit(!write && differences ? 1 : 0);
