"""graphql-transport-ws details the gateway adds: server pings (heartbeat) and a cap on
open connections."""

from __future__ import annotations

import asyncio

import orjson
import pytest
import websockets
from subscription_harness import Subgraphs, served_gateway
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
