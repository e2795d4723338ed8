// Closed-loop HTTP load at a fixed concurrency that drains at the end.
//
// CONNECTIONS workers each POST the body, wait for the whole answer, and send again, until
// DURATION seconds have passed; then they stop sending and let the requests in flight finish.
// So every request the gateway worked on during the run is counted, and the gateway's CPU
// time over the run divided by `requests` is exact, even for a gateway whose answers take
// seconds under load (wrk stops with requests in flight: their CPU would count, they would
// not).
//
// Usage: node load.mjs URL BODY_FILE CONNECTIONS DURATION_S [EXPECTED_BODY_LENGTH]
// An answer is "wrong" if its status is not 200 or (when EXPECTED_BODY_LENGTH > 0) its body
// length differs. Prints one JSON line: requests, seconds (first send to last answer),
// wrong, socket_errors, latency percentiles in ms.

import { readFileSync } from "node:fs";
import http from "node:http";

const REQUEST_TIMEOUT_MS = 120_000;

const [url, bodyFile, connectionsText, durationText, expectedText = "0"] = process.argv.slice(2);
const connections = Number(connectionsText);
const durationMs = Number(durationText) * 1000;
const expectedLength = Number(expectedText);
if (!url || !bodyFile || !(connections >= 1) || !(durationMs > 0) || !(expectedLength >= 0)) {
  console.error("usage: node load.mjs URL BODY_FILE CONNECTIONS DURATION_S [EXPECTED_BODY_LENGTH]");
  process.exit(2);
}

const body = readFileSync(bodyFile);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const target = new URL(url);

/** One request; resolves to [status, body length] or rejects on a socket error/timeout. */
function send() {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        hostname: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": body.length },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (response) => {
        let length = 0;
        response.on("data", (chunk) => {
          length += chunk.length;
        });
        response.on("end", () => resolve([response.statusCode, length]));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", reject);
    request.end(body);
  });
}

const latencies = [];
let wrong = 0;
let socketErrors = 0;
const started = performance.now();
const deadline = started + durationMs;

async function worker() {
  while (performance.now() < deadline) {
    const sent = performance.now();
    try {
      const [status, length] = await send();
      latencies.push(performance.now() - sent);
      if (status !== 200 || (expectedLength > 0 && length !== expectedLength)) wrong += 1;
    } catch {
      socketErrors += 1;
    }
  }
}

await Promise.all(Array.from({ length: connections }, worker));
const seconds = (performance.now() - started) / 1000;
agent.destroy();

latencies.sort((a, b) => a - b);
const percentile = (p) =>
  latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const mean = latencies.length === 0 ? 0 : latencies.reduce((a, b) => a + b, 0) / latencies.length;
console.log(
  JSON.stringify({
    requests: latencies.length,
    seconds,
    wrong,
    socket_errors: socketErrors,
    p50_ms: percentile(50),
    p90_ms: percentile(90),
    p99_ms: percentile(99),
    mean_ms: mean,
    max_ms: latencies.at(-1) ?? 0,
  }),
);
