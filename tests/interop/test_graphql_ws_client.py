"""The `graphql-ws` npm client (graphql-transport-ws) against the gateway: enriched events
with their ids, resume from the last id without gap or duplicate, EVENTS_EXPIRED."""

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

DEALS = "subscription { dealChanged { id stage partner { id name } } }"


def event_ids(messages: list[dict]) -> list[str]:
    return [m["next"]["extensions"]["eventId"] for m in messages if "next" in m]


async def test_events_arrive_enriched_with_their_ids(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=1000)
    async with served_gateway(subgraphs, events) as served:
        client = await NodeClient.start("ws_client.mjs", url=served.ws_url, query=DEALS, count=2)
        service = served.gateway.subscriptions
        assert service is not None
        await wait_for(lambda: service.subscriber_count == 1, "the client subscribed")
        ids = [
            await append(events, deal_event("D-000001")),
            await append(events, deal_event("D-000002")),
        ]
        messages = await client.until_end()
    assert event_ids(messages) == ids
    first = messages[0]["next"]["data"]["dealChanged"]
    assert first["id"] == "D-000001"
    # `partner.name` lives in the partners subgraph: the event was enriched across subgraphs.
    assert first["partner"]["id"].startswith("P-") and first["partner"]["name"]
    assert messages[-1] == {"done": 2}


async def test_resume_delivers_missed_then_live_events_once_in_order(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=1000)
    async with served_gateway(subgraphs, events) as served:
        service = served.gateway.subscriptions
        assert service is not None
        first = await NodeClient.start("ws_client.mjs", url=served.ws_url, query=DEALS, count=2)
        await wait_for(lambda: service.subscriber_count == 1, "the first client subscribed")
        seen = [await append(events, deal_event(f"D-00000{n}")) for n in (1, 2)]
        before = await first.until_end()
        await wait_for(lambda: service.subscriber_count == 0, "the first client left")
        # While nobody listens: two events the client misses.
        missed = [await append(events, deal_event(f"D-00000{n}")) for n in (3, 4)]
        second = await NodeClient.start(
            "ws_client.mjs", url=served.ws_url, query=DEALS, lastEventId=seen[-1], count=4
        )
        await wait_for(lambda: service.subscriber_count == 1, "the second client subscribed")
        live = [await append(events, deal_event(f"D-00000{n}")) for n in (5, 6)]
        after = await second.until_end()
    assert event_ids(before) == seen
    assert event_ids(after) == missed + live
    ids = [m["next"]["data"]["dealChanged"]["id"] for m in after if "next" in m]
    assert ids == ["D-000003", "D-000004", "D-000005", "D-000006"]


async def test_an_id_older_than_the_retention_is_events_expired(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=2)
    async with served_gateway(subgraphs, events) as served:
        oldest = await append(events, deal_event("D-000001"))
        for n in range(2, 6):
            await append(events, deal_event(f"D-00000{n}"))
        client = await NodeClient.start(
            "ws_client.mjs", url=served.ws_url, query=DEALS, lastEventId=oldest
        )
        messages = await client.until_end()
    assert len(messages) == 1
    errors = messages[0]["error"]
    assert [e["extensions"]["code"] for e in errors] == ["EVENTS_EXPIRED"]
    assert "refetch" in errors[0]["message"]


@pytest.mark.parametrize(
    ("last_event_id", "code"), [("yesterday", "BAD_USER_INPUT"), ("1-0-0", "BAD_USER_INPUT")]
)
async def test_a_malformed_last_event_id_is_refused(
    subgraphs: Subgraphs, last_event_id: str, code: str
) -> None:
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        client = await NodeClient.start(
            "ws_client.mjs", url=served.ws_url, query=DEALS, lastEventId=last_event_id
        )
        messages = await client.until_end()
        assert served.gateway.subscriptions is not None
        assert served.gateway.subscriptions.subscriber_count == 0
    assert [e["extensions"]["code"] for e in messages[0]["error"]] == [code]
