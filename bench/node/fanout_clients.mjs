// The fan-out benchmark's subscribers: N graphql-transport-ws connections in one Node process.
//
//   node bench/node/fanout_clients.mjs <ws_url> <count> <clients.json>
//
// Started by bench/fanout.py, which writes clients.json: {"query": "...", "tokens": [...]}.
// Connection i authenticates with tokens[i % tokens.length] and subscribes once to the query.
// Node and `ws` rather than Python: at 10,000 deliveries per event the client's own receive
// cost is part of the measured latency and takes CPU from the gateway on the same cores, so
// each message costs one JSON.parse and a few counters here.
//
// stdin/stdout line protocol (one answer line per command line):
//   (on start)  -> "subscribed" once every connection is subscribed
//   count?      -> "count N"   deliveries received in phase "burst"
//   warm?       -> "warm N"    connections that received at least one event
//   phase X     -> "ok"        later deliveries count towards phase X
//   report      -> "report {json}"  errors and per-phase latency percentiles
//   quit / EOF  -> close every connection and exit
// Latency of a delivery = receive time (Date.now(), ms) minus the ms part of its event id
// (`extensions.eventId`, a Redis stream id "ms-seq": Redis's clock, same machine).

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import WebSocket from "ws";

const MAX_OPENING = 64; // connection attempts in flight
const OPEN_TIMEOUT_MS = 120_000;
const CLOSE_GRACE_MS = 5_000; // on quit, how long to wait for closing handshakes
const SUBPROTOCOL = "graphql-transport-ws";

const [url, countArg, configPath] = process.argv.slice(2);
if (!url || !countArg || !configPath) {
  console.error("usage: node fanout_clients.mjs <ws_url> <count> <clients.json>");
  process.exit(2);
}
const count = Number.parseInt(countArg, 10);
const { query, tokens } = JSON.parse(readFileSync(configPath, "utf8"));
if (!(count > 0) || typeof query !== "string" || !Array.isArray(tokens) || !tokens.length) {
  console.error("fanout_clients: need a positive count and {query, tokens: [...]} in the file");
  process.exit(2);
}

const sockets = [];
const latencies = new Map(); // phase -> delivery latencies in ms
let phase = "warmup";
let phaseLatencies = latenciesOf(phase);
const receivedAny = new Uint8Array(count);
let warm = 0;
let burstDeliveries = 0;
let firstBurstReceive = 0;
let lastBurstReceive = 0;
let errorCount = 0;
const errors = []; // the first few, for the report
let quitting = false;

function latenciesOf(name) {
  let values = latencies.get(name);
  if (!values) latencies.set(name, (values = []));
  return values;
}

function recordError(text) {
  errorCount += 1;
  if (errors.length < 5) errors.push(String(text).slice(0, 300));
}

/** Resolves once connection `index` is acknowledged and its subscription sent. */
function open(index) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, SUBPROTOCOL, {
      perMessageDeflate: false,
      handshakeTimeout: OPEN_TIMEOUT_MS,
      skipUTF8Validation: true, // JSON.parse rejects what is not JSON; no second pass needed
    });
    let subscribed = false;
    socket.on("open", () => {
      const payload = { Authorization: `Bearer ${tokens[index % tokens.length]}` };
      socket.send(JSON.stringify({ type: "connection_init", payload }));
    });
    socket.on("message", (data) => {
      const now = Date.now();
      const message = JSON.parse(data);
      const kind = message.type;
      if (kind === "ping") {
        socket.send('{"type":"pong"}');
        return;
      }
      if (!subscribed) {
        if (kind !== "connection_ack") {
          reject(new Error(`connection ${index}: expected connection_ack, got ${data}`));
          socket.terminate();
          return;
        }
        subscribed = true;
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
        resolve(socket);
        return;
      }
      const eventId = kind === "next" ? message.payload?.extensions?.eventId : undefined;
      if (typeof eventId !== "string") {
        recordError(String(data));
        return;
      }
      phaseLatencies.push(now - Number.parseInt(eventId, 10)); // parses the "ms" of "ms-seq"
      if (!receivedAny[index]) {
        receivedAny[index] = 1;
        warm += 1;
      }
      if (phase === "burst") {
        burstDeliveries += 1;
        firstBurstReceive ||= now;
        lastBurstReceive = now;
      }
    });
    socket.on("error", (error) => {
      if (subscribed) recordError(`connection ${index}: ${error.message}`);
      else reject(new Error(`connection ${index}: ${error.message}`));
    });
    socket.on("close", (code, reason) => {
      if (!subscribed) reject(new Error(`connection ${index}: closed ${code} ${reason}`));
      else if (!quitting) recordError(`connection ${index}: closed ${code} ${reason}`);
    });
  });
}

async function openAll() {
  let next = 0;
  async function worker() {
    while (next < count) {
      const index = next++;
      sockets[index] = await open(index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(MAX_OPENING, count) }, worker));
}

function round1(value) {
  return Math.round(value * 10) / 10;
}

/** Same shape and percentiles as the Python client had (median; ordered[int(n*0.99)-1]). */
function report() {
  const out = { errors, error_count: errorCount };
  for (const [name, values] of latencies) {
    if (!values.length) continue;
    const ordered = Float64Array.from(values).sort();
    const n = ordered.length;
    const median = n % 2 ? ordered[(n - 1) / 2] : (ordered[n / 2 - 1] + ordered[n / 2]) / 2;
    const p99Index = Math.floor(n * 0.99) - 1;
    out[name] = {
      deliveries: n,
      p50_ms: round1(median),
      p99_ms: round1(ordered[p99Index >= 0 ? p99Index : n - 1]),
      max_ms: round1(ordered[n - 1]),
    };
  }
  const span = (lastBurstReceive - firstBurstReceive) / 1000;
  out.burst_deliveries_per_s = span > 0 ? Math.round(burstDeliveries / span) : null;
  return out;
}

function quit() {
  if (quitting) return;
  quitting = true;
  let open = 0;
  for (const socket of sockets) {
    if (!socket || socket.readyState === WebSocket.CLOSED) continue;
    open += 1;
    socket.once("close", () => {
      open -= 1;
      if (open === 0) process.exit(0);
    });
    socket.close(1000);
  }
  if (open === 0) process.exit(0);
  setTimeout(() => process.exit(0), CLOSE_GRACE_MS).unref();
}

try {
  await openAll();
} catch (error) {
  console.error(`fanout_clients: ${error.message}`);
  process.exit(1);
}
process.stdout.write("subscribed\n");

const lines = createInterface({ input: process.stdin });
lines.on("line", (raw) => {
  const line = raw.trim();
  if (line === "count?") process.stdout.write(`count ${burstDeliveries}\n`);
  else if (line === "warm?") process.stdout.write(`warm ${warm}\n`);
  else if (line.startsWith("phase ")) {
    phase = line.split(/\s+/)[1];
    phaseLatencies = latenciesOf(phase);
    process.stdout.write("ok\n");
  } else if (line === "report") process.stdout.write(`report ${JSON.stringify(report())}\n`);
  else if (line === "quit" || line === "") quit();
  else process.stdout.write(`error unknown command ${JSON.stringify(line)}\n`);
});
lines.on("close", quit);
