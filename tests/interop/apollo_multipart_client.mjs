// One subscription over HTTP multipart with Apollo Client (its HttpLink speaks the
// multipart subscription protocol). argv[2]: JSON {url, query, variables?, count?}.
// Output as ws_client.mjs.
import { createRequire } from 'node:module';

// Resolve packages from tests/node/node_modules wherever this script is run from.
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { ApolloClient, HttpLink, InMemoryCache, gql } = require('@apollo/client');

const config = JSON.parse(process.argv[2]);
const print = (message) => process.stdout.write(JSON.stringify(message) + '\n');
let received = 0;
const client = new ApolloClient({
  link: new HttpLink({ uri: config.url }),
  cache: new InMemoryCache(),
});
const finish = (message) => {
  print(message);
  process.exit(0);
};

client
  .subscribe({ query: gql(config.query), variables: config.variables, fetchPolicy: 'no-cache' })
  .subscribe({
    next: (result) => {
      if (result.error) finish({ error: { reason: String(result.error), errors: result.error.errors } });
      print({ next: result });
      received += 1;
      if (config.count && received >= config.count) finish({ done: received });
    },
    error: (error) => finish({ error: { reason: String(error) } }),
    complete: () => finish({ complete: true }),
  });
