"""`partnergraph dev`: the whole demo ecosystem in one process, on embedded defaults.

Starts (or connects to) MongoDB, seeds the demo data on first run, loads the demo
visibility policies into the policy store on first run (`policies/demo_policies.yaml`) and
follows them live (a `PolicyWatcher`: over Redis with `REDIS_URL`, in-process without),
starts the outbox relay on the event stream, serves the three partner subgraphs (signed
calls only) and the gateway, and prints what to open with a ready development token for
each demo persona. The gateway's supergraph is composed at start from the registry
(`partnergraph.toml`, the bundled subgraphs at the ports of `Settings`) and recomposed every
`RELOAD_INTERVAL` seconds: a subgraph added to the registry joins the running gateway.
Everything stops cleanly on Ctrl+C / SIGTERM (the embedded MongoDB-protocol server is
stopped by its PID).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.composition import Composition
from gateway.enforcement.wiring import Access, start_access
from gateway.servers import Listener, serve_all, wait_started
from gateway.settings import Settings
from policies.auth import mint_token
from policies.principal import AuthMethod, Principal
from resolvers.embedded_mongo import EmbeddedMongo
from resolvers.mongo import Document, connect, database
from resolvers.stream import EventStream

log = logging.getLogger("partnergraph.dev")

DEMO_REGISTRY = Path(__file__).parents[1] / "partnergraph.toml"
RELOAD_INTERVAL = 5.0
DEMO_POLICIES = Path(__file__).parents[1] / "policies" / "demo_policies.yaml"
DEV_TOKEN_TTL = 8 * 3600.0

# (persona, principal) of the demo's visibility policies; partners from resolvers/seed.py.
DEMO_PERSONAS: tuple[tuple[str, Principal], ...] = (
    ("reseller", Principal("dev:reseller", "P-R01", "RESELLER", "PLATINUM", ("NA",),
                           ("partner",), AuthMethod.JWT)),
    ("distributor", Principal("dev:distributor", "P-D02", "DISTRIBUTOR", "GOLD", ("EMEA",),
                              ("partner",), AuthMethod.JWT)),
    ("supplier", Principal("dev:supplier", "P-S02", "SUPPLIER", "GOLD", ("NA",),
                           ("partner",), AuthMethod.JWT)),
    ("vendor staff", Principal("dev:vendor", None, "VENDOR", None, (), ("staff",),
                               AuthMethod.JWT)),
    ("admin", Principal("dev:admin", None, None, None, (), ("admin",), AuthMethod.JWT)),
)  # fmt: skip


def persona_tokens(jwt_secret: bytes | None) -> list[tuple[str, str]]:
    """(persona, token) for each demo persona; none without a development JWT secret."""
    if jwt_secret is None:
        return []
    return [
        (name, mint_token(principal, jwt_secret, ttl=DEV_TOKEN_TTL))
        for name, principal in DEMO_PERSONAS
    ]


@contextlib.asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[AsyncDatabase[Document]]:
    """`MONGODB_URL`, or an embedded server persisting under the data folder."""
    embedded: EmbeddedMongo | None = None
    url = settings.mongodb_url
    if url is None:
        embedded = await EmbeddedMongo.start(str(settings.data_dir / "mongo"))
        url = embedded.url
    client = connect(url)
    try:
        yield database(client)
    finally:
        await client.close()
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)


async def prepare_database(db: AsyncDatabase[Document], *, reset: bool = False) -> bool:
    """Create indexes; seed the demo data when the database is empty (or `reset`).
    Returns whether it seeded."""
    from resolvers.indexes import ensure_indexes
    from resolvers.seed import seed

    await ensure_indexes(db)
    if reset or await db["partners"].estimated_document_count() == 0:
        await seed(db, reset=True)
        return True
    return False


@dataclass
class DemoEcosystem:
    settings: Settings
    listeners: list[Listener]
    tokens: list[tuple[str, str]] = field(default_factory=list)
    registry: Path | None = None

    def banner(self) -> str:
        urls = {item.name: item.url for item in self.listeners}
        lines = ["", "PartnerGraph is running.", f"  {self.settings}", ""]
        lines += [
            f"  GraphiQL (open in a browser):  {urls['gateway']}/graphql",
            f"  Admin console (admin token):   {urls['gateway']}/admin/",
            f"  Health:                        {urls['gateway']}/healthz, /readyz",
        ]
        for name in ("partners", "deals", "inventory"):
            lines.append(f"  subgraph {name + ':':<11}          {urls[name]}/graphql")
        if self.registry is not None:
            lines.append(
                f"  Subgraph registry:             {self.registry} "
                f"(add a subgraph there: it joins within {RELOAD_INTERVAL:g}s)"
            )
        if self.tokens:
            lines += ["", "  Development tokens (8h; send as 'Authorization: Bearer <token>'):"]
            lines += [f"  Token ({name}): {token}" for name, token in self.tokens]
        lines += ["", "Stop with Ctrl+C.", ""]
        return "\n".join(lines)


def build_listeners(
    settings: Settings,
    db: AsyncDatabase[Document],
    composition: Composition,
    events: EventStream | None = None,
    access: Access | None = None,
    registry: Path = DEMO_REGISTRY,
) -> list[Listener]:
    """The gateway (serving `composition` and reloading from `registry`; subscriptions from
    `events`, the relay's stream; policies and auth from `access`, else everything denied)
    and the three subgraphs."""
    from subgraphs.deals.app import create_app as deals_app
    from subgraphs.inventory.app import create_app as inventory_app
    from subgraphs.partners.app import create_app as partners_app

    host = settings.host
    return [
        Listener(
            "gateway",
            _gateway_app(settings, composition, registry, events, access),
            host,
            settings.gateway_port,
        ),
        Listener("partners", partners_app(db), host, settings.partners_port),
        Listener("deals", deals_app(db), host, settings.deals_port),
        Listener("inventory", inventory_app(db), host, settings.inventory_port),
    ]


def _gateway_app(
    settings: Settings,
    composition: Composition,
    registry: Path,
    events: EventStream | None = None,
    access: Access | None = None,
) -> Any:
    from gateway.config import GatewayConfig
    from gateway.gateway import Gateway
    from gateway.reload.reloader import SupergraphReloader
    from gateway.server import create_app

    base = f"http://{settings.host}"
    ports = {
        "partners": settings.partners_port,
        "deals": settings.deals_port,
        "inventory": settings.inventory_port,
    }
    # The bundled subgraphs listen where `settings` put them, whatever the registry says.
    config = GatewayConfig(
        host=settings.host,
        port=settings.gateway_port,
        subgraph_urls={
            name: f"{base}:{port}/graphql"
            for name, port in ports.items()
            if name in composition.supergraph.subgraph_urls
        },
    )
    options = access.gateway_options() if access is not None else {}
    gateway = Gateway(composition.supergraph, config, events=events, **options)
    reloader = SupergraphReloader.for_registry(gateway, registry, RELOAD_INTERVAL)
    if access is not None:
        access.follow_reloads(reloader)
    return create_app(gateway, config, reloader=reloader, access=access, events=events)


async def run_dev(settings: Settings, registry: Path = DEMO_REGISTRY) -> None:
    from resolvers.relay import OutboxRelay
    from resolvers.streams import open_event_stream

    composition = await compose_at_start(registry)
    async with open_database(settings) as db:
        if await prepare_database(db):
            print("Loaded the demo data.")
        stream = open_event_stream(settings.redis_url, maxlen=settings.stream_maxlen)
        relay = OutboxRelay(db, stream)
        await relay.start()
        # The relay's stream object itself (in-process without REDIS_URL): the gateway reads
        # what the relay appends.
        access = await _start_access(settings, db, composition)
        listeners = build_listeners(settings, db, composition, stream, access, registry)
        tokens = persona_tokens(access.auth.jwt_secret)
        ecosystem = DemoEcosystem(settings, listeners, tokens, registry)
        stop = asyncio.Event()
        serving = asyncio.create_task(serve_all(ecosystem.listeners, stop))
        try:
            await wait_started(ecosystem.listeners)
            print(ecosystem.banner(), flush=True)
            await serving
        finally:
            stop.set()
            await asyncio.gather(serving, return_exceptions=True)
            await relay.stop()
            await stream.close()
            await access.aclose()


async def compose_at_start(registry: Path) -> Composition:
    """The registry's subgraphs composed; exits with the errors when they do not compose."""
    from gateway.composition import CompositionFailed
    from gateway.composition.registry import RegistryError, compose_registry

    try:
        return await compose_registry(registry)
    except (RegistryError, CompositionFailed) as exc:
        raise SystemExit(f"partnergraph dev: cannot compose {registry}:\n{exc}") from exc


async def _start_access(
    settings: Settings, db: AsyncDatabase[Document], composition: Composition
) -> Access:
    from gateway.subscriptions import with_subscriptions

    supergraph = composition.supergraph
    # Rules are checked against what clients see, live `Subscription` fields included.
    serving_schema, _ = with_subscriptions(supergraph.api_schema, supergraph.api_sdl)
    return await start_access(
        serving_schema,
        db=db,
        redis_url=settings.redis_url,
        seed=DEMO_POLICIES,
    )


async def run_seed(settings: Settings) -> None:
    async with open_database(settings) as db:
        await prepare_database(db, reset=True)
        counts = {
            name: await db[name].count_documents({})
            for name in sorted(await db.list_collection_names())
            if name not in ("outbox", "counters")
        }
    print("Seeded the demo ecosystem: " + ", ".join(f"{n} {c}" for n, c in counts.items()))
