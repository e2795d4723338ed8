"""Live subscriptions: change events, enriched through `_entities`, filtered by policy,
fanned out to graphql-transport-ws, SSE and multipart clients, resumable by event id.

The path of an event, one module each:

    source    one reader per stream per process (reconnects, continues from its last id)
    fanout    groups subscribers by (operation, variables, view): one enrichment per group
    enrich    plans the selection as an entity jump from the event's key, runs it
    policy    the caller's view at delivery time; enforcement of the document and result
    subscriber  a bounded queue per subscriber, ended with a reason
    resume    attach to the live fan-out, backfill from the last id, then live events
    service   subscribe request -> stream of results (limits, errors, shutdown)
    transport Strawberry's transports, plus subscribe extensions, pings, SSE `id:`
    schema    the `Subscription` SDL and its filters
    limits    queue, connection and per-principal limits

`Gateway(supergraph, config, events=stream)` turns it on (the gateway's policies,
authenticator and `subscription_limits` apply).
"""

from __future__ import annotations

from gateway.subscriptions.limits import SubscriptionLimits
from gateway.subscriptions.schema import with_subscriptions
from gateway.subscriptions.service import SubscriptionService

__all__ = ["SubscriptionLimits", "SubscriptionService", "with_subscriptions"]
