// The correctness oracle: the same data as one plain (non-federated) graphql-js schema.
// Executing a query here gives the response every gateway must return for it, without
// trusting any gateway's planner.
//
// Usage: node reference.mjs QUERY_FILE   (prints the JSON response on stdout)

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import * as data from "./data.mjs";

const require = createRequire(new URL("../node/package.json", import.meta.url));
const { buildSchema, defaultFieldResolver, execute, parse, validate } = require("graphql");

const schema = buildSchema(`
  type Query {
    me: User
    user(id: ID!): User
    users: [User]
    topProducts(first: Int = 5): [Product]
  }
  type User { id: ID! name: String username: String birthday: Int reviews: [Review] }
  type Product {
    upc: String! name: String price: Int weight: Int
    inStock: Boolean shippingEstimate: Int reviews: [Review]
  }
  type Review { id: ID! body: String product: Product author: User }
`);

const resolvers = {
  "Query.me": () => data.USERS[0],
  "Query.user": (_, { id }) => data.userById(id),
  "Query.users": () => data.USERS,
  "Query.topProducts": (_, { first }) => data.topProducts(first),
  "User.reviews": () => data.userReviews(),
  "Product.inStock": ({ upc }) => data.inStock(upc),
  "Product.shippingEstimate": ({ price, weight }) => data.shippingEstimate(price, weight),
  "Product.reviews": ({ upc }) => data.productReviews(upc),
  "Review.product": ({ upc }) => data.productByUpc(upc),
  "Review.author": () => data.reviewAuthor(),
};

function fieldResolver(source, args, context, info) {
  const resolve = resolvers[`${info.parentType.name}.${info.fieldName}`] ?? defaultFieldResolver;
  return resolve(source, args, context, info);
}

const path = process.argv[2];
if (!path) {
  console.error("usage: node reference.mjs QUERY_FILE");
  process.exit(2);
}
const document = parse(readFileSync(path, "utf8"));
const errors = validate(schema, document);
if (errors.length > 0) {
  console.error(errors.map(String).join("\n"));
  process.exit(1);
}
console.log(JSON.stringify(await execute({ schema, document, fieldResolver })));
