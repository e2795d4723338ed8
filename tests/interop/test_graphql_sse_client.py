"""The `graphql-sse` npm client (distinct connections mode) against the gateway: events with
their ids (also as the SSE `id:` field), and resume with the `Last-Event-ID` header."""

from __future__ import annotations

import shutil

import httpx
import pytest
from node_clients import NodeClient

from resolvers.memory_stream import MemoryEventStream
from tests.subscriptions.subscription_harness import (
    Subgraphs,
    append,
    served_gateway,
    stock_event,
    wait_for,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

STOCK = (
    "subscription Stock($filter: InventoryChangedFilter) { inventoryChanged(filter: $filter) "
    "{ sku warehouseId available product { name } warehouse { region } } }"
)


def event_ids(messages: list[dict]) -> list[str]:
    return [m["next"]["extensions"]["eventId"] for m in messages if "next" in m]


async def test_sse_client_receives_filtered_events_and_resumes(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=1000)
    only_eu = {"filter": {"warehouseId": "WH-EU"}}
    async with served_gateway(subgraphs, events) as served:
        service = served.gateway.subscriptions
        assert service is not None
        client = await NodeClient.start(
            "sse_client.mjs", url=served.http_url, query=STOCK, variables=only_eu, count=2
        )
        await wait_for(lambda: service.subscriber_count == 1, "the client subscribed")
        first = await append(events, stock_event("NW-SW-1008", "WH-EU"))
        await append(events, stock_event("NW-SW-1008", "WH-NA"))  # filtered out
        second = await append(events, stock_event("NW-SW-1024", "WH-EU"))
        before = await client.until_end()
        await wait_for(lambda: service.subscriber_count == 0, "the client left")
        missed = await append(events, stock_event("NW-RT-1100", "WH-EU"))
        await append(events, stock_event("NW-RT-1100", "WH-AP"))  # filtered out
        resumed = await NodeClient.start(
            "sse_client.mjs",
            url=served.http_url,
            query=STOCK,
            variables=only_eu,
            lastEventId=first,
            count=2,
        )
        after = await resumed.until_end()
    assert event_ids(before) == [first, second]
    item = before[0]["next"]["data"]["inventoryChanged"]
    assert item["sku"] == "NW-SW-1008" and item["warehouse"] == {"region": "EMEA"}
    assert item["product"]["name"] == "Edge Switch 8-port"
    assert event_ids(after) == [second, missed]


async def test_each_sse_event_carries_its_id_field(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        appended = await append(events, stock_event("NW-SW-1008", "WH-EU"))
        body = {"query": STOCK, "variables": {"filter": {"sku": "NW-SW-1008"}}}
        headers = {"accept": "text/event-stream", "last-event-id": "0"}
        async with (
            httpx.AsyncClient(timeout=30) as http,
            http.stream("POST", served.http_url, json=body, headers=headers) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = []
            async for line in response.aiter_lines():
                lines.append(line)
                if line.startswith("data: {"):
                    break
    assert f"id: {appended}" in lines
    assert lines[lines.index(f"id: {appended}") + 1] == "event: next"
