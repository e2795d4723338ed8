// One subscription over SSE with the `graphql-sse` client library (distinct connections).
// argv[2]: JSON {url, query, variables?, lastEventId?, headers?, count?}; output as ws_client.mjs.
import { createRequire } from 'node:module';

// Resolve packages from tests/node/node_modules wherever this script is run from.
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { createClient } = require('graphql-sse');

const config = JSON.parse(process.argv[2]);
const print = (message) => process.stdout.write(JSON.stringify(message) + '\n');
let received = 0;
const headers = { ...(config.headers ?? {}) };
if (config.lastEventId) headers['Last-Event-ID'] = config.lastEventId;
const client = createClient({ url: config.url, singleConnection: false, retryAttempts: 0, headers });
const finish = (message) => {
  print(message);
  client.dispose();
  process.exit(0);
};

client.subscribe(
  { query: config.query, variables: config.variables },
  {
    next: (payload) => {
      print({ next: payload });
      received += 1;
      if (config.count && received >= config.count) finish({ done: received });
    },
    error: (error) => finish({ error: Array.isArray(error) ? error : { reason: String(error) } }),
    complete: () => finish({ complete: true }),
  },
);
