// Apollo Client (a real GraphQL-over-HTTP client) against the gateway at argv[2].
// Prints one JSON object: what each operation gave the client, as the client reports it.
// Apollo Client 4 asks for application/graphql-response+json; a 400 request error must
// still reach it as GraphQL errors (CombinedGraphQLErrors), not as a transport failure.
import { createRequire } from 'node:module';

// Resolve packages from tests/node/node_modules wherever this script is run from.
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache, ServerError, gql } =
  require('@apollo/client');

const client = new ApolloClient({
  link: new HttpLink({ uri: process.argv[2] }),
  cache: new InMemoryCache(),
});

function outcome(result) {
  return { data: result.data ?? null };
}

function failure(error) {
  if (CombinedGraphQLErrors.is(error)) {
    return { graphqlErrors: error.errors.map((e) => e.extensions?.code ?? null) };
  }
  if (ServerError.is(error)) {
    return { serverError: error.statusCode };
  }
  return { other: String(error) };
}

async function run(operation) {
  try {
    return outcome(await operation());
  } catch (error) {
    return failure(error);
  }
}

const report = {
  query: await run(() =>
    client.query({
      query: gql`query Open($stage: Stage) { deals(stage: $stage) { id partner { id name } } }`,
      variables: { stage: 'OPEN' },
      fetchPolicy: 'no-cache',
    }),
  ),
  validationError: await run(() =>
    client.query({ query: gql`{ deals { id margin } }`, fetchPolicy: 'no-cache' }),
  ),
  badVariable: await run(() =>
    client.query({
      query: gql`query Open($stage: Stage) { deals(stage: $stage) { id } }`,
      variables: { stage: 'SOMEDAY' },
      fetchPolicy: 'no-cache',
    }),
  ),
  mutation: await run(() =>
    client.mutate({
      mutation: gql`mutation { advanceDeal(id: "d1", stage: WON) { id stage } }`,
    }),
  ),
};
console.log(JSON.stringify(report));
