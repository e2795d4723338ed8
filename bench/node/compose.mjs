// Compose the benchmark subgraphs into bench/supergraph.graphql with
// @theguild/federation-composition (the same composer the project's tests use).
//
// Usage: node compose.mjs   (subgraph URLs: http://127.0.0.1:4201..4204/graphql;
// bench/run_gateways.py rewrites the ports to the free ones it picked)

import { readFileSync, writeFileSync } from "node:fs";
import { composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

export const SUBGRAPHS = ["accounts", "inventory", "products", "reviews"];

const services = SUBGRAPHS.map((name, i) => ({
  name,
  url: `http://127.0.0.1:${4201 + i}/graphql`,
  typeDefs: parse(readFileSync(new URL(`../subgraphs/${name}.graphql`, import.meta.url), "utf8")),
}));

const result = composeServices(services);
if (result.errors && result.errors.length > 0) {
  for (const error of result.errors) console.error(String(error));
  process.exit(1);
}
writeFileSync(new URL("../supergraph.graphql", import.meta.url), result.supergraphSdl);
console.log("wrote bench/supergraph.graphql");
