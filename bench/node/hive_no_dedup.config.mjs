// Hive Gateway without its default in-flight deduplication of subgraph calls, so that each
// client request costs its own subgraph calls, as in the other gateways (`hive-no-dedup` in
// bench/gateways.py). See
// https://the-guild.dev/graphql/hive/docs/gateway/other-features/performance/deduplicate-request
export const gatewayConfig = {
  transportEntries: {
    "*.http": { options: { deduplicateInflightRequests: false } },
  },
};
