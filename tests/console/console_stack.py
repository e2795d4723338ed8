"""The whole stack the console runs on, served for real on free 127.0.0.1 ports.

The three demo subgraphs (signed calls only) over a freshly seeded database, the gateway with
subscriptions on a real Redis stream (a key prefix of its own), the policy store and watcher
holding the demo policies, the admin API at `/admin/graphql` and the console at `/admin` —
mounted the way the integrator mounts them — plus one test-only route, `POST /test/deal-event`,
that changes a deal of partner P-R01 and appends its change event, as a subgraph write and the
outbox relay would.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import uvicorn
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from gateway.console import LiveSources, create_console_app
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.subscriptions import with_subscriptions
from gateway.supergraph import Supergraph
from policies.admin import create_admin_app
from policies.auth import ApiKeyStore, Authenticator, JwtVerifier, mint_token
from policies.auth.keys import hmac_key
from policies.principal import AuthMethod, Principal
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore
from policies.yaml_io import load_rules
from resolvers.embedded_mongo import free_port
from resolvers.events import ChangeEvent, stream_name
from resolvers.mongo import Document
from resolvers.seed import seed
from resolvers.stream import EventStream
from resolvers.streams import open_event_stream
from subgraphs.common.app import create_subgraph_app
from subgraphs.deals.schema import schema as deals_schema
from subgraphs.inventory.schema import schema as inventory_schema
from subgraphs.partners.schema import schema as partners_schema

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH = ROOT / "gateway" / "demo" / "supergraph.graphql"
DEMO_POLICIES = ROOT / "policies" / "demo_policies.yaml"
JWT_SECRET = b"console-tests-jwt-secret-of-at-least-32-bytes"
SUBGRAPH_SECRET = b"console-tests-subgraph-secret-of-32-bytes-or-more"
SUBGRAPHS = {"4001": partners_schema, "4002": deals_schema, "4003": inventory_schema}
LIVE_PARTNER = "P-R01"

ADMIN = Principal(
    subject="console-admin", partner_kind="VENDOR", roles=("admin",), auth_method=AuthMethod.JWT
)
OTHER_ADMIN = Principal(
    subject="other-admin", partner_kind="VENDOR", roles=("admin",), auth_method=AuthMethod.JWT
)
RESELLER = Principal(
    subject="reseller-user",
    partner_id=LIVE_PARTNER,
    partner_kind="RESELLER",
    tier="PLATINUM",
    regions=("NA",),
    auth_method=AuthMethod.JWT,
)


def token(principal: Principal) -> str:
    return mint_token(principal, JWT_SECRET, ttl=3600)


class QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers (pytest owns the process)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """Serve `app` on a free port; yields the port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = QuietServer(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError(f"the server on port {port} did not start")
            await asyncio.sleep(0.02)
        yield port
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


@dataclass
class ConsoleStack:
    base_url: str
    store: PolicyStore
    gateway: Gateway
    admin_api_key: str


def _deal_event_route(db: AsyncDatabase[Document], events: EventStream) -> Route:
    counter = iter(range(1, 1_000_000))

    async def emit(_request: Request) -> JSONResponse:
        number = next(counter)
        deal = await db["deals"].find_one({"partner_id": LIVE_PARTNER}, sort=[("_id", 1)])
        assert deal is not None, "the seed has no deal of P-R01"
        notes = f"Console test note {number}"
        await db["deals"].update_one(
            {"_id": deal["_id"]}, {"$set": {"notes": notes}, "$inc": {"version": 1}}
        )
        event = ChangeEvent("Deal", {"id": deal["_id"]}, ("notes",), number, (LIVE_PARTNER,))
        event_id = await events.append(stream_name("Deal"), event)
        return JSONResponse({"dealId": deal["_id"], "notes": notes, "eventId": event_id})

    return Route("/test/deal-event", emit, methods=["POST"])


@contextlib.asynccontextmanager
async def console_stack(
    mongo_client: Any, redis_url: str, *, key_prefix: str
) -> AsyncIterator[ConsoleStack]:
    """Everything started, demo policies imported as version 1; stopped and cleaned after."""
    db: AsyncDatabase[Document] = mongo_client[f"t_console_{uuid.uuid4().hex[:10]}"]
    events = open_event_stream(redis_url, key_prefix=key_prefix)
    watcher: PolicyWatcher | None = None
    try:
        await seed(db, reset=True)
        async with contextlib.AsyncExitStack() as stack:
            sdl = SUPERGRAPH.read_text()
            for default_port, schema in SUBGRAPHS.items():
                app = create_subgraph_app(schema, db, secret=SUBGRAPH_SECRET)
                port = await stack.enter_async_context(serving(app))
                sdl = sdl.replace(f"127.0.0.1:{default_port}/", f"127.0.0.1:{port}/")
            supergraph = Supergraph.from_sdl(sdl)
            api_schema, _ = with_subscriptions(supergraph.api_schema, supergraph.api_sdl)
            store = PolicyStore(db, api_schema)
            await store.ensure_indexes()
            rules = load_rules(DEMO_POLICIES.read_text())  # resellers may follow their deals
            await store.replace_all(
                rules, actor=ADMIN, reason="console tests: demo policies", expected_version=0
            )
            watcher = PolicyWatcher(store)
            await watcher.start()
            api_keys = ApiKeyStore(db)
            admin_key = await api_keys.create(
                "console tests", partner_id="vendor", partner_kind="VENDOR", roles=("admin",)
            )
            authenticator = Authenticator(JwtVerifier(keys=[hmac_key(JWT_SECRET)]), api_keys)
            gateway = Gateway(
                supergraph,
                events=events,
                policies=watcher,
                authenticator=authenticator,
                signing_secret=SUBGRAPH_SECRET,
            )
            stack.push_async_callback(gateway.aclose)
            live = LiveSources(events=events, subscriptions=gateway.subscriptions)
            admin_api = create_admin_app(store, watcher, gateway, authenticator)
            app = Starlette(
                routes=[
                    Route("/admin/graphql", admin_api),
                    Mount("/admin", create_console_app(authenticator, live)),
                    _deal_event_route(db, events),
                    *create_app(gateway).routes,  # /graphql (HTTP and WebSocket), health
                ]
            )
            port = await stack.enter_async_context(serving(app))
            yield ConsoleStack(f"http://127.0.0.1:{port}", store, gateway, admin_key.key)
    finally:
        if watcher is not None:
            await watcher.stop()
        await events.close()
        await mongo_client.drop_database(db.name)
        await _drop_keys(redis_url, key_prefix)


async def _drop_keys(redis_url: str, key_prefix: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        keys = [key async for key in client.scan_iter(match=f"{key_prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
