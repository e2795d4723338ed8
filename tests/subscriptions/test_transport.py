"""graphql-transport-ws details the gateway adds: server pings (heartbeat) and a cap on
open connections."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
import websockets
from subscription_harness import Subgraphs, append, deal_event, served_gateway, wait_for
from websockets.typing import Subprotocol
from ws_client import WsClient

from gateway.subscriptions import SubscriptionLimits
from resolvers.memory_stream import MemoryEventStream

GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)


async def test_the_server_pings_an_idle_connection(subgraphs: Subgraphs) -> None:
    limits = SubscriptionLimits(ping_interval=0.2)
    async with served_gateway(
        subgraphs, MemoryEventStream(maxlen=10), subscription_limits=limits
    ) as served:
        async with websockets.connect(
            served.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as socket:
            await socket.send(orjson.dumps({"type": "connection_init"}).decode())
            async with asyncio.timeout(GUARD):
                ack = orjson.loads(await socket.recv())
                ping = orjson.loads(await socket.recv())
    assert ack == {"type": "connection_ack"}
    assert ping == {"type": "ping"}


async def test_connections_above_the_limit_are_closed_with_4429(subgraphs: Subgraphs) -> None:
    limits = SubscriptionLimits(max_connections=1)
    async with served_gateway(
        subgraphs, MemoryEventStream(maxlen=10), subscription_limits=limits
    ) as served:
        async with WsClient(served.ws_url):
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with WsClient(served.ws_url):
                    pass
        async with WsClient(served.ws_url):  # the first one left: room again
            pass
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429


async def test_the_legacy_graphql_ws_protocol_is_refused(subgraphs: Subgraphs) -> None:
    async with served_gateway(subgraphs, MemoryEventStream(maxlen=10)) as served:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with websockets.connect(
                served.ws_url, subprotocols=[Subprotocol("graphql-ws")]
            ) as socket:
                await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4406


async def test_a_subscription_over_a_plain_post_is_refused(subgraphs: Subgraphs) -> None:
    async with served_gateway(subgraphs, MemoryEventStream(maxlen=10)) as served:
        async with httpx.AsyncClient() as http:
            response = await http.post(
                served.http_url,
                json={"query": "subscription { dealChanged { id } }"},
                headers={"accept": "application/json"},
            )
        assert served.gateway.subscriptions is not None
        assert served.gateway.subscriptions.subscriber_count == 0
    body = response.json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["OPERATION_NOT_ALLOWED"]


async def test_subscriptions_per_connection_are_limited_with_a_code(subgraphs: Subgraphs) -> None:
    limits = SubscriptionLimits(max_per_connection=1)
    async with served_gateway(
        subgraphs, MemoryEventStream(maxlen=10), subscription_limits=limits
    ) as served:
        async with WsClient(served.ws_url) as client:
            await client.subscribe("subscription { dealChanged { id } }")
            second = await client.subscribe("subscription { inventoryChanged { sku } }")
            refused = await client.receive()
    assert refused["type"] == "error" and refused["id"] == second
    assert [e["extensions"]["code"] for e in refused["payload"]] == ["TOO_MANY_SUBSCRIPTIONS"]


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "permessage-deflate"])
async def test_live_events_are_written_from_the_fan_out_and_resume_still_orders_them(
    subgraphs: Subgraphs, compression: bool
) -> None:
    """The gateway's WebSocket server offers SEND_NOW, so a live subscriber writes from the
    fan-out loop (it has a sink; frames are shared, or compressed per connection); a resumed
    one gets its backfill, then live events, in order, without a gap or a repeat."""
    events = MemoryEventStream(maxlen=100)
    async with served_gateway(subgraphs, events) as served:
        service = served.gateway.subscriptions
        assert service is not None
        before = await append(events, deal_event("D-000001"))
        missed = [await append(events, deal_event(f"D-00000{n}")) for n in (2, 3)]
        async with WsClient(served.ws_url, compression=compression) as client:
            await client.subscribe("subscription { dealChanged { id } }", last_event_id=before)
            await wait_for(lambda: service.subscriber_count == 1, "subscribed")
            live = [await append(events, deal_event(f"D-00000{n}")) for n in (4, 5)]
            received = []
            async with asyncio.timeout(GUARD):
                while len(received) < 4:
                    message = await client.receive()
                    assert message["type"] == "next", message
                    received.append(message["payload"]["extensions"]["eventId"])
            sinks = [s.sink for f in service.fanouts.values() for s in f.subscribers]
    assert received == missed + live
    assert [type(sink).__name__ for sink in sinks] == ["WebSocketSink"]
