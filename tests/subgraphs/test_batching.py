"""Entity loading is batched: one `find` per `_entities` call, whatever the number of
representations (counted with PyMongo's command monitoring on a real server)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from subgraph_harness import GatewaySigner, Subgraph

from resolvers.embedded_mongo import EmbeddedMongo
from resolvers.mongo import Document
from subgraphs.deals.app import create_app as create_deals
from subgraphs.inventory.app import create_app as create_inventory
from subgraphs.partners.app import create_app as create_partners


class FindCounter(monitoring.CommandListener):
    """Counts `find` commands per collection."""

    def __init__(self) -> None:
        self.finds: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds.append(str(event.command["find"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
async def counted(
    mongo_server: EmbeddedMongo, seeded: AsyncDatabase[Document]
) -> AsyncIterator[tuple[AsyncDatabase[Document], FindCounter]]:
    """The seeded database through a client that counts its commands."""
    counter = FindCounter()
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_server.url, tz_aware=True, event_listeners=[counter]
    )
    yield client[seeded.name], counter
    await client.close()


async def entities(app: Any, reps: list[dict[str, Any]], selection: str) -> list[Any]:
    query = f"query ($r: [_Any!]!) {{ _entities(representations: $r) {{ {selection} }} }}"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://subgraph", auth=GatewaySigner()
    ) as client:
        data = await Subgraph(client).data(query, {"r": reps})
    result: list[Any] = data["_entities"]
    return result


async def test_deals_one_find_for_many(
    counted: tuple[AsyncDatabase[Document], FindCounter],
) -> None:
    db, counter = counted
    reps = [{"__typename": "Deal", "id": f"D-{n:06d}"} for n in range(1, 41)]
    found = await entities(create_deals(db), reps, "... on Deal { id stage product { name } }")
    assert [d["id"] for d in found] == [r["id"] for r in reps]
    assert counter.finds == ["deals"]


async def test_partners_one_find_per_entity_type(
    counted: tuple[AsyncDatabase[Document], FindCounter],
) -> None:
    db, counter = counted
    ids = ["P-R01", "P-R02", "P-D01", "P-S03", "P-S04", "P-UNKNOWN"]
    reps = [{"__typename": "Partner", "id": pid} for pid in ids]
    found = await entities(create_partners(db), reps, "... on Partner { id name }")
    assert [p and p["id"] for p in found] == [*ids[:-1], None]
    assert counter.finds == ["partners"]


async def test_inventory_composite_keys_one_find(
    counted: tuple[AsyncDatabase[Document], FindCounter],
) -> None:
    db, counter = counted
    skus = ["NW-SW-1008", "NW-SW-1024", "NW-RT-1100", "NW-WL-0600", "NW-OP-0010"]
    reps = [
        {"__typename": "InventoryItem", "sku": sku, "warehouseId": wid}
        for sku in skus
        for wid in ("WH-NA", "WH-EU", "WH-AP")
    ]
    found = await entities(
        create_inventory(db), reps, "... on InventoryItem { sku warehouseId available }"
    )
    assert [(i["sku"], i["warehouseId"]) for i in found] == [
        (r["sku"], r["warehouseId"]) for r in reps
    ]
    assert counter.finds == ["inventory"]


async def test_inventory_products_batch_their_stock(
    counted: tuple[AsyncDatabase[Document], FindCounter],
) -> None:
    """Product entities need the catalog (existence) and the stock: one find for each,
    not one per product."""
    db, counter = counted
    skus = ["NW-SW-1008", "NW-SW-1024", "NW-RT-1100", "NW-WL-0600", "NW-OP-0010", "NW-PW-0750"]
    reps = [{"__typename": "Product", "sku": sku, "listPrice": 10.0} for sku in skus]
    found = await entities(
        create_inventory(db), reps, "... on Product { sku availableToPromise inventoryValue }"
    )
    assert [p["sku"] for p in found] == skus
    assert sorted(counter.finds) == ["inventory", "products"]
