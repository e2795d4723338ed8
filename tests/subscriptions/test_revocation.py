"""A revoked API key ends the live subscriptions it opened, on every gateway: announced over
Redis pub/sub by `ApiKeyStore.revoke`, and found by the gateways' periodic re-check when the
announcement is missed. Gateways are served as `serve`/`dev` serve them (`create_app` with
an `Access`, whose lifespan runs the revocation watcher), each with API keys of its own
store object, over the real Redis and the real MongoDB-protocol server."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis
import websockets
from pymongo.asynchronous.database import AsyncDatabase
from subscription_harness import (
    ServedGateway,
    Subgraphs,
    append,
    deal_event,
    deal_of,
    policies,
    serve,
    wait_for,
)
from ws_client import WsClient

from gateway.enforcement.wiring import Access
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.subscriptions import SubscriptionLimits
from gateway.subscriptions.service import REVOKED_MESSAGE
from gateway.supergraph import Supergraph
from policies.auth import ApiKeyStore, Authenticator, AuthSettings, CreatedApiKey, JwtVerifier
from policies.auth.keys import hmac_key
from policies.auth.revocations import RedisRevocationPublisher
from resolvers.embedded_mongo import free_port
from resolvers.memory_stream import MemoryEventStream
from resolvers.stream import EventStream

REDIS_URL = os.environ.get("PARTNERGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = b"a-revocation-test-secret-of-32-bytes!!!!"
DEALS = "subscription { dealChanged { id partner { id } } }"
GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)
REVOKED = {"message": REVOKED_MESSAGE, "extensions": {"code": "CREDENTIALS_REVOKED"}}


@contextlib.asynccontextmanager
async def gateway_with_keys(
    subgraphs: Subgraphs,
    events: EventStream,
    db: AsyncDatabase[Any],
    *,
    check_interval: float,
    redis_url: str | None = REDIS_URL,
) -> AsyncIterator[ServedGateway]:
    """A gateway whose API keys live in `db` (a store object of its own, as in another
    process), following revocations over Redis (`redis_url`) and re-reading keys every
    `check_interval`."""
    authenticator = Authenticator(JwtVerifier(keys=[hmac_key(SECRET)]), ApiKeyStore(db))
    access = Access(
        # The bundled subgraphs' secret, so that events are enriched (a failed enrichment
        # is not delivered to a view with a record condition).
        AuthSettings(jwt_secret=SECRET, subgraph_secret=AuthSettings.from_env().subgraph_secret),
        authenticator,
        policies(notes_visible=True, version=1),
        redis_url=redis_url,
    )
    gateway = Gateway(
        Supergraph.from_sdl(subgraphs.supergraph_sdl),
        events=events,
        subscription_limits=SubscriptionLimits(revocation_check_interval=check_interval),
        **access.gateway_options(),
    )
    port = free_port()
    server, task = await serve(create_app(gateway, access=access), port)
    served = ServedGateway(gateway, port, server, task)
    try:
        yield served
    finally:
        await served.stop()
        await access.aclose()


async def reseller_key(store: ApiKeyStore, name: str) -> CreatedApiKey:
    return await store.create(name, partner_id="P-R01", partner_kind="RESELLER")


def subscribers(served: ServedGateway) -> int:
    assert served.gateway.subscriptions is not None
    return served.gateway.subscriptions.subscriber_count


async def sse_messages(url: str, key: str) -> list[tuple[str, Any]]:
    """An SSE subscription's (event, data) pairs until it completes."""
    headers = {"accept": "text/event-stream", "x-api-key": key}
    messages: list[tuple[str, Any]] = []
    event = ""
    async with (
        httpx.AsyncClient(timeout=GUARD) as http,
        http.stream("POST", url, json={"query": DEALS}, headers=headers) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
                if event == "complete":
                    return messages
            elif line.startswith("data: "):
                messages.append((event, orjson.loads(line.removeprefix("data: "))))
    return messages


@contextlib.asynccontextmanager
async def sse_subscription(url: str, key: str) -> AsyncIterator[asyncio.Task[Any]]:
    """`sse_messages` running; cancelled on the way out if it has not completed (a server
    waits for open responses before it stops)."""
    task = asyncio.create_task(sse_messages(url, key))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_revoked_key_ends_its_subscriptions_on_every_gateway_and_no_others(
    subgraphs: Subgraphs,
    db: AsyncDatabase[Any],
    redis_client: aioredis.Redis,
) -> None:
    # The admin's store: another object than the gateways' (no in-process shortcut), which
    # announces revocations on the gateways' Redis channel.
    admin = ApiKeyStore(db, publisher=RedisRevocationPublisher(redis_client))
    revoked = await reseller_key(admin, "retired sync app")
    kept = await reseller_key(admin, "current sync app")
    events = MemoryEventStream(maxlen=100)
    async with (
        gateway_with_keys(subgraphs, events, db, check_interval=3600) as a,
        gateway_with_keys(subgraphs, events, db, check_interval=3600) as b,
        WsClient(a.ws_url, connection_params={"X-API-Key": revoked.key}) as on_a,
        WsClient(b.ws_url, connection_params={"x-api-key": revoked.key}) as on_b,
        WsClient(a.ws_url, connection_params={"X-API-Key": kept.key}) as other,
        sse_subscription(b.http_url, revoked.key) as sse,
    ):
        on_a_id, on_b_id, other_id = [await c.subscribe(DEALS) for c in (on_a, on_b, other)]
        await wait_for(lambda: subscribers(a) == 2 and subscribers(b) == 2, "subscribed")
        own_deal = await deal_of(subgraphs, "P-R01")
        before = await append(events, deal_event(own_deal))
        async with asyncio.timeout(GUARD):
            firsts = [await c.receive() for c in (on_a, on_b, other)]
            await admin.revoke(revoked.record.key_id)
            ends = [(await c.receive(), await c.receive()) for c in (on_a, on_b)]
            sse_seen = await sse
            after = await append(events, deal_event(own_deal))
            kept_event = await other.receive()
        await wait_for(lambda: subscribers(a) == 1 and subscribers(b) == 0, "ended")
    assert [m["payload"]["extensions"] for m in firsts] == [{"eventId": before}] * 3
    for (ended, complete), operation in zip(ends, (on_a_id, on_b_id), strict=True):
        assert ended == {
            "id": operation,
            "type": "next",
            "payload": {"data": None, "errors": [REVOKED]},
        }
        assert complete == {"id": operation, "type": "complete"}
    assert sse_seen[0][1]["extensions"] == {"eventId": before}
    assert sse_seen[1:] == [("next", {"data": None, "errors": [REVOKED]})]
    assert kept_event["id"] == other_id
    assert kept_event["payload"]["extensions"] == {"eventId": after}
    assert revoked.record.key_id not in REVOKED_MESSAGE and revoked.key not in REVOKED_MESSAGE


async def test_the_periodic_check_ends_a_subscription_whose_revocation_was_not_announced(
    subgraphs: Subgraphs, db: AsyncDatabase[Any]
) -> None:
    quiet = ApiKeyStore(db)  # no publisher, not the gateway's object: nothing is announced
    created = await reseller_key(quiet, "sync app")
    events = MemoryEventStream(maxlen=100)
    async with (
        gateway_with_keys(subgraphs, events, db, check_interval=0.1) as served,
        WsClient(served.ws_url, connection_params={"X-API-Key": created.key}) as client,
    ):
        operation = await client.subscribe(DEALS)
        await wait_for(lambda: subscribers(served) == 1, "subscribed")
        await quiet.revoke(created.record.key_id)
        async with asyncio.timeout(GUARD):
            ended = await client.receive()
            complete = await client.receive()
    assert ended == {
        "id": operation,
        "type": "next",
        "payload": {"data": None, "errors": [REVOKED]},
    }
    assert complete == {"id": operation, "type": "complete"}


async def test_a_revoked_key_cannot_open_a_subscription(
    subgraphs: Subgraphs, db: AsyncDatabase[Any], redis_client: aioredis.Redis
) -> None:
    admin = ApiKeyStore(db, publisher=RedisRevocationPublisher(redis_client))
    created = await reseller_key(admin, "sync app")
    events = MemoryEventStream(maxlen=100)
    async with (
        gateway_with_keys(subgraphs, events, db, check_interval=0.1) as served,
        WsClient(served.ws_url, connection_params={"X-API-Key": created.key}) as opened_before,
    ):
        first = await opened_before.subscribe(DEALS)
        await wait_for(lambda: subscribers(served) == 1, "subscribed")
        await admin.revoke(created.record.key_id)
        async with asyncio.timeout(GUARD):
            ended = await opened_before.receive()
            assert ended["id"] == first and ended["payload"]["errors"] == [REVOKED]
            assert await opened_before.receive() == {"id": first, "type": "complete"}
            # The WebSocket was accepted before the revocation; a new subscription on it:
            second = await opened_before.subscribe(DEALS)
            refused_on_socket = await opened_before.receive()
        # A new connection and a new SSE request verify the key again.
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with WsClient(served.ws_url, connection_params={"X-API-Key": created.key}):
                pass
        async with httpx.AsyncClient(timeout=GUARD) as http:
            refused_sse = await http.post(
                served.http_url,
                json={"query": DEALS},
                headers={"accept": "text/event-stream", "x-api-key": created.key},
            )
        assert subscribers(served) == 0
    assert refused_on_socket == {"id": second, "type": "error", "payload": [REVOKED]}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert refused_sse.status_code == 401
    assert [e["extensions"]["code"] for e in refused_sse.json()["errors"]] == ["UNAUTHENTICATED"]


async def test_without_redis_a_revocation_through_the_gateways_own_store_applies_at_once(
    subgraphs: Subgraphs, db: AsyncDatabase[Any]
) -> None:
    events = MemoryEventStream(maxlen=100)
    async with gateway_with_keys(
        subgraphs, events, db, check_interval=3600, redis_url=None
    ) as served:
        store = served.gateway.authenticator.api_keys if served.gateway.authenticator else None
        assert store is not None
        created = await reseller_key(store, "sync app")
        async with WsClient(served.ws_url, connection_params={"X-API-Key": created.key}) as client:
            operation = await client.subscribe(DEALS)
            await wait_for(lambda: subscribers(served) == 1, "subscribed")
            await store.revoke(created.record.key_id)
            async with asyncio.timeout(GUARD):
                ended = await client.receive()
    assert ended == {
        "id": operation,
        "type": "next",
        "payload": {"data": None, "errors": [REVOKED]},
    }
