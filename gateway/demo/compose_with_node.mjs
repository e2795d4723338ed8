#!/usr/bin/env node
// Compose the bundled subgraphs into gateway/demo/supergraph.graphql with
// @theguild/federation-composition (installed in tests/node), until our own composer exists.
//
//   node gateway/demo/compose_with_node.mjs           SDLs printed by gateway/demo/subgraph_sdl.py
//   node gateway/demo/compose_with_node.mjs --live    SDLs fetched from the running subgraphs
//   node gateway/demo/compose_with_node.mjs --check   exit 1 if supergraph.graphql is stale
//
// Python is taken from $PYTHON, else /work/main/.venv/bin/python beside this repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(join(root, 'tests', 'node', 'package.json'));
const { parse } = require('graphql');
const { composeServices } = require('@theguild/federation-composition');

const OUT = join(here, 'supergraph.graphql');
const args = new Set(process.argv.slice(2));

function printedServices() {
  const venvPython = join(root, '.venv', 'bin', 'python');
  const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : 'python3');
  const json = execFileSync(python, ['-m', 'gateway.demo.subgraph_sdl'], { cwd: root });
  return JSON.parse(json.toString());
}

async function liveServices() {
  const services = printedServices().map(({ name, url }) => ({ name, url }));
  for (const service of services) {
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    const body = await response.json();
    if (!body.data) throw new Error(`${service.name}: ${JSON.stringify(body.errors)}`);
    service.sdl = body.data._service.sdl;
  }
  return services;
}

const services = args.has('--live') ? await liveServices() : printedServices();
const result = composeServices(
  services.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(`composition error: ${error.message}`);
  process.exit(2);
}
const supergraph = result.supergraphSdl.trimEnd() + '\n';
if (args.has('--check')) {
  const current = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  if (current !== supergraph) {
    console.error('gateway/demo/supergraph.graphql is stale: run node gateway/demo/compose_with_node.mjs');
    process.exit(1);
  }
  console.log('supergraph.graphql is current');
} else {
  writeFileSync(OUT, supergraph);
  console.log(`wrote ${OUT}`);
}
