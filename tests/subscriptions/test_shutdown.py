"""Graceful shutdown: a live subscription is ended with SHUTTING_DOWN while its socket can
still carry the reason, so the client knows to resume elsewhere from its last event id."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from subscription_harness import Subgraphs, wait_for
from ws_client import WsClient

from gateway import servers
from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.servers import Listener, serve_all, wait_started
from gateway.supergraph import Supergraph
from resolvers.embedded_mongo import free_port
from resolvers.memory_stream import MemoryEventStream

GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)


async def test_stopping_the_server_ends_subscriptions_with_a_reason(subgraphs: Subgraphs) -> None:
    events = MemoryEventStream(maxlen=100)
    gateway = Gateway(
        Supergraph.from_sdl(subgraphs.supergraph_sdl), policies=UNRESTRICTED, events=events
    )
    listener = Listener("gateway", create_app(gateway), "127.0.0.1", free_port())
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_all([listener], stop))
    try:
        await wait_started([listener])
        service = gateway.subscriptions
        assert service is not None
        async with WsClient(f"ws://127.0.0.1:{listener.port}/graphql") as client:
            operation = await client.subscribe("subscription { dealChanged { id } }")
            await wait_for(lambda: service.subscriber_count == 1, "subscribed")
            stop.set()  # what SIGTERM does
            async with asyncio.timeout(GUARD):
                ended = await client.receive()
        assert ended["id"] == operation
        assert [e["extensions"]["code"] for e in ended["payload"]["errors"]] == ["SHUTTING_DOWN"]
    finally:
        stop.set()
        await asyncio.gather(serving, return_exceptions=True)


async def test_a_connection_that_never_ends_does_not_hold_the_shutdown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn waits for every connection's task; one that never returns is cancelled after
    SHUTDOWN_TIMEOUT instead of keeping the process alive."""
    monkeypatch.setattr(servers, "SHUTDOWN_TIMEOUT", 1)
    entered = asyncio.Event()
    cancelled = asyncio.Event()

    async def stuck_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send({"type": "websocket.accept"})
        entered.set()
        try:
            await asyncio.Event().wait()  # never ends on its own
        finally:
            cancelled.set()

    listener = Listener("stuck", stuck_app, "127.0.0.1", free_port())
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_all([listener], stop))
    try:
        await wait_started([listener])
        async with websockets.connect(f"ws://127.0.0.1:{listener.port}/"):
            async with asyncio.timeout(GUARD):
                await entered.wait()
            stop.set()
            async with asyncio.timeout(GUARD):
                await serving
    finally:
        stop.set()
        await asyncio.gather(serving, return_exceptions=True)
    assert cancelled.is_set()
