"""Apollo Client (its HttpLink speaks the HTTP multipart subscription protocol) against the
gateway: enriched events arrive, with their ids in `extensions.eventId`."""

from __future__ import annotations

import shutil

import pytest
from node_clients import NodeClient

from resolvers.memory_stream import MemoryEventStream
from tests.subscriptions.subscription_harness import (
    Subgraphs,
    append,
    deal_event,
    served_gateway,
    wait_for,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

DEALS = "subscription Deals { dealChanged { id customer product { sku name } } }"


async def test_apollo_client_receives_events_over_multipart(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        service = served.gateway.subscriptions
        assert service is not None
        client = await NodeClient.start(
            "apollo_multipart_client.mjs", url=served.http_url, query=DEALS, count=2
        )
        await wait_for(lambda: service.subscriber_count == 1, "the client subscribed")
        ids = [await append(events, deal_event(f"D-00000{n}")) for n in (7, 8)]
        messages = await client.until_end()
    results = [m["next"] for m in messages if "next" in m]
    assert [r["data"]["dealChanged"]["id"] for r in results] == ["D-000007", "D-000008"]
    assert all(r["data"]["dealChanged"]["product"]["name"] for r in results)
    assert [r["extensions"]["eventId"] for r in results] == ids
