// One subscription over graphql-transport-ws with the `graphql-ws` client library.
// argv[2]: JSON {url, query, variables?, lastEventId?, connectionParams?, count?}.
// Prints one JSON line per message: {next: payload} | {error: ...} | {complete: true} |
// {closed: {code, reason}}; exits after `count` events, an error, completion or a close.
import { createRequire } from 'node:module';

// Resolve packages from tests/node/node_modules wherever this script is run from.
const require = createRequire(new URL('../node/package.json', import.meta.url));
const { createClient } = require('graphql-ws');
const WebSocket = require('ws');

const config = JSON.parse(process.argv[2]);
const print = (message) => process.stdout.write(JSON.stringify(message) + '\n');
let received = 0;
let client;
const finish = (message) => {
  print(message);
  client.dispose();
  process.exit(0);
};

client = createClient({
  url: config.url,
  webSocketImpl: WebSocket,
  connectionParams: config.connectionParams,
  retryAttempts: 0,
  lazy: true,
  on: {
    closed: (event) => finish({ closed: { code: event.code, reason: event.reason } }),
  },
});

client.subscribe(
  {
    query: config.query,
    variables: config.variables,
    extensions: config.lastEventId ? { lastEventId: config.lastEventId } : undefined,
  },
  {
    next: (payload) => {
      print({ next: payload });
      received += 1;
      if (config.count && received >= config.count) finish({ done: received });
    },
    error: (error) =>
      finish({ error: Array.isArray(error) ? error : { code: error?.code, reason: error?.reason ?? String(error) } }),
    complete: () => finish({ complete: true }),
  },
);
