"""A served demo ecosystem for subscription tests: the three subgraphs and the gateway on
real HTTP servers (free ports), over a seeded database and a real event stream.

Events are appended to the stream directly (the outbox relay is tested on its own): their
keys name seeded records, so enrichment goes through the real subgraphs.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from pymongo.asynchronous.database import AsyncDatabase

from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.servers import WEBSOCKETS
from gateway.supergraph import Supergraph
from policies.model import PolicySet, rules_from_dicts
from policies.principal import AuthMethod, Principal
from resolvers.embedded_mongo import free_port
from resolvers.events import ChangeEvent, stream_name
from resolvers.mongo import Document
from resolvers.stream import EventStream, StreamUnavailable
from subgraphs.deals.app import create_app as create_deals
from subgraphs.inventory.app import create_app as create_inventory
from subgraphs.partners.app import create_app as create_partners

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH = ROOT / "gateway" / "demo" / "supergraph.graphql"
SUBGRAPH_APPS = {"4001": create_partners, "4002": create_deals, "4003": create_inventory}

# Seeded records (resolvers/seed.py).
R01 = "P-R01"


class QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: Any, port: int) -> tuple[QuietServer, asyncio.Task[None]]:
    server = QuietServer(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws=WEBSOCKETS
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError(f"the server on port {port} did not start")
        await asyncio.sleep(0.02)
    return server, task


async def stop(server: QuietServer, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await asyncio.gather(task, return_exceptions=True)


@dataclass
class Subgraphs:
    """The three demo subgraphs served over one seeded database."""

    supergraph_sdl: str
    servers: list[tuple[QuietServer, asyncio.Task[None]]] = field(default_factory=list)

    @classmethod
    async def start(cls, db: AsyncDatabase[Document]) -> Subgraphs:
        text = SUPERGRAPH.read_text()
        servers = []
        for default_port, create in SUBGRAPH_APPS.items():
            port = free_port()
            text = text.replace(f"127.0.0.1:{default_port}/", f"127.0.0.1:{port}/")
            servers.append(await serve(create(db), port))
        return cls(text, servers)

    async def stop(self) -> None:
        for server, task in self.servers:
            await stop(server, task)


@dataclass
class ServedGateway:
    gateway: Gateway
    port: int
    server: QuietServer
    task: asyncio.Task[None]

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def stop(self) -> None:
        await stop(self.server, self.task)


async def start_gateway(subgraphs: Subgraphs, events: EventStream, **options: Any) -> ServedGateway:
    """`options`: Gateway keyword arguments (`policies` defaults to UNRESTRICTED)."""
    options.setdefault("policies", UNRESTRICTED)
    gateway = Gateway(Supergraph.from_sdl(subgraphs.supergraph_sdl), events=events, **options)
    port = free_port()
    server, task = await serve(create_app(gateway), port)
    return ServedGateway(gateway, port, server, task)


@contextlib.asynccontextmanager
async def served_gateway(
    subgraphs: Subgraphs, events: EventStream, **options: Any
) -> AsyncIterator[ServedGateway]:
    served = await start_gateway(subgraphs, events, **options)
    try:
        yield served
    finally:
        await served.stop()


def deal_event(deal_id: str = "D-000001", partner: str = R01, version: int = 1) -> ChangeEvent:
    return ChangeEvent("Deal", {"id": deal_id}, ("stage",), version, (partner,))


def stock_event(sku: str, warehouse: str, version: int = 1) -> ChangeEvent:
    return ChangeEvent(
        "InventoryItem", {"sku": sku, "warehouseId": warehouse}, ("onHand",), version, ()
    )


async def append(events: EventStream, event: ChangeEvent) -> str:
    """Append, retrying while the backend is away (as the outbox relay does)."""
    while True:
        try:
            return await events.append(stream_name(event.entity_type), event)
        except StreamUnavailable:
            await asyncio.sleep(0.05)


async def wait_for(predicate: Any, what: str, attempts: int = 400) -> None:
    """Poll a condition (not a timing assertion: fails only if it never holds)."""
    for _ in range(attempts):
        if predicate():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


@contextlib.asynccontextmanager
async def seeded_subgraphs(mongo_client: Any) -> AsyncIterator[Subgraphs]:
    """A freshly seeded database of its own, served by the three subgraphs."""
    from resolvers.seed import seed

    name = f"t_sub_{uuid.uuid4().hex[:10]}"
    db = mongo_client[name]
    await seed(db, reset=True)
    subgraphs = await Subgraphs.start(db)
    try:
        yield subgraphs
    finally:
        await subgraphs.stop()
        await mongo_client.drop_database(name)


async def deal_of(subgraphs: Subgraphs, partner_id: str) -> str:
    """A seeded deal of `partner_id` (read through an unrestricted gateway)."""
    gateway = Gateway(Supergraph.from_sdl(subgraphs.supergraph_sdl), policies=UNRESTRICTED)
    try:
        response = await gateway.execute("{ deals(first: 100) { items { id partner { id } } } }")
    finally:
        await gateway.aclose()
    items = response["data"]["deals"]["items"]
    return str(next(d["id"] for d in items if d["partner"]["id"] == partner_id))


def reseller(partner_id: str) -> Principal:
    return Principal(
        subject=f"user-{partner_id}",
        partner_id=partner_id,
        partner_kind="RESELLER",
        auth_method=AuthMethod.JWT,
    )


def policies(*, notes_visible: bool, version: int) -> PolicySet:
    resellers = {"partnerKinds": ["RESELLER"]}
    own = "record.partner.id == principal.partnerId"
    rules: list[dict[str, Any]] = [
        {"id": "sub", "principals": resellers, "target": "Subscription", "effect": "allow"},
        {
            "id": "own",
            "principals": resellers,
            "target": "Deal",
            "effect": "allow",
            "condition": own,
        },
        {"id": "partner", "principals": resellers, "target": "Partner", "effect": "allow"},
    ]
    if not notes_visible:
        rules.append(
            {"id": "notes", "principals": resellers, "target": "Deal.notes", "effect": "deny"}
        )
    return PolicySet(version=version, rules=tuple(rules_from_dicts(rules)))
