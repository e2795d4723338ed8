// @apollo/gateway on @apollo/server's standalone (Node http) server, with the product's
// defaults (query plan cache, parsed-document cache) and no landing page or reporting.
//
// Usage: node apollo_gateway.mjs SUPERGRAPH_FILE PORT

import { readFileSync } from "node:fs";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { startStandaloneServer } from "@apollo/server/standalone";

const [supergraphPath, port] = process.argv.slice(2);
if (!supergraphPath || !/^\d+$/.test(port ?? "")) {
  console.error("usage: node apollo_gateway.mjs SUPERGRAPH_FILE PORT");
  process.exit(2);
}

const gateway = new ApolloGateway({ supergraphSdl: readFileSync(supergraphPath, "utf8") });
const server = new ApolloServer({
  gateway,
  plugins: [ApolloServerPluginLandingPageDisabled()],
});
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(port) },
});
console.log(`apollo gateway ready at ${url}`);
