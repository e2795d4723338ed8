// The four benchmark subgraphs (accounts, inventory, products, reviews) in one Node process,
// one HTTP server per subgraph.
//
// Each subgraph is a real federation v2 schema (@apollo/subgraph + graphql-js): `_service`,
// `_entities` and `@requires` behave as the spec says. Because the data is static, the answer
// to a request body never changes, so each server memoizes the serialized response per raw
// body: the first request is executed by graphql-js, repeats are a Map lookup. Every gateway
// sends a fixed set of subgraph requests for the benchmark query, so under load the
// subgraphs cost almost nothing and the gateway is what is measured.
//
// Usage: node server.mjs accounts=PORT inventory=PORT products=PORT reviews=PORT
// Prints one line "ready" on stdout once all servers listen. `GET /stats` on any of the
// ports answers the number of GraphQL requests each subgraph has served so far, so the
// benchmark can report subgraph requests per gateway request.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";

import * as data from "./data.mjs";

const require = createRequire(new URL("../node/package.json", import.meta.url));
const { parse, validate, execute } = require("graphql");
const { buildSubgraphSchema } = require("@apollo/subgraph");

const MAX_CACHED_RESPONSES = 10_000;

/** GraphQL requests served, per subgraph. */
const served = {};

const resolvers = {
  accounts: {
    Query: {
      me: () => data.USERS[0],
      user: (_, { id }) => data.userById(id),
      users: () => data.USERS,
    },
    User: { __resolveReference: ({ id }) => data.userById(id) },
  },
  inventory: {
    Product: {
      __resolveReference: (ref) =>
        data.productByUpc(ref.upc) && { upc: ref.upc, price: ref.price, weight: ref.weight },
      inStock: ({ upc }) => data.inStock(upc),
      shippingEstimate: ({ price, weight }) => data.shippingEstimate(price, weight),
    },
  },
  products: {
    Query: { topProducts: (_, { first }) => data.topProducts(first) },
    Product: { __resolveReference: ({ upc }) => data.productByUpc(upc) },
  },
  reviews: {
    Review: {
      __resolveReference: ({ id }) => data.reviewById(id),
      product: (review) => ({ upc: review.upc }),
      author: () => data.reviewAuthor(),
    },
    User: {
      __resolveReference: ({ id }) => ({ id }),
      reviews: () => data.userReviews(),
    },
    Product: {
      __resolveReference: ({ upc }) => ({ upc }),
      reviews: ({ upc }) => data.productReviews(upc),
    },
  },
};

function buildSchema(name) {
  const typeDefs = parse(readFileSync(new URL(`./${name}.graphql`, import.meta.url), "utf8"));
  return buildSubgraphSchema([{ typeDefs, resolvers: resolvers[name] }]);
}

/** Execute one GraphQL-over-HTTP request body; returns the JSON response text. */
async function run(schema, documents, body) {
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    return JSON.stringify({ errors: [{ message: "request body is not JSON" }] });
  }
  let document = documents.get(request.query);
  if (document === undefined) {
    try {
      document = parse(request.query);
    } catch (error) {
      return JSON.stringify({ errors: [{ message: String(error.message) }] });
    }
    const errors = validate(schema, document);
    if (errors.length > 0) return JSON.stringify({ errors });
    documents.set(request.query, document);
  }
  const result = await execute({
    schema,
    document,
    variableValues: request.variables,
    operationName: request.operationName,
  });
  return JSON.stringify(result);
}

function serve(name, port) {
  const schema = buildSchema(name);
  const documents = new Map();
  const responses = new Map();
  served[name] = 0;
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(served));
      return;
    }
    served[name] += 1;
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let response = responses.get(body);
      if (response === undefined) {
        response = Buffer.from(await run(schema, documents, body));
        if (responses.size >= MAX_CACHED_RESPONSES) responses.clear();
        responses.set(body, response);
      }
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "content-length": response.length,
      });
      res.end(response);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const ports = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [name, port] = arg.split("=");
    if (!(name in resolvers) || !/^\d+$/.test(port ?? "")) {
      console.error(`bad argument ${arg}: expected NAME=PORT with NAME in ${Object.keys(resolvers)}`);
      process.exit(2);
    }
    return [name, Number(port)];
  }),
);
if (Object.keys(ports).length === 0) {
  console.error("usage: node server.mjs accounts=PORT inventory=PORT products=PORT reviews=PORT");
  process.exit(2);
}
await Promise.all(Object.entries(ports).map(([name, port]) => serve(name, port)));
console.log("ready");
