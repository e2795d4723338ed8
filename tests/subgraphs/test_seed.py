"""The demo data: deterministic, idempotent, the promised shape, and no change events."""

from __future__ import annotations

import uuid
from collections import Counter

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from subgraph_harness import outbox, snapshot

from resolvers.mongo import Document
from resolvers.seed import seed


async def test_counts_and_shape(seeded: AsyncDatabase[Document]) -> None:
    kinds = Counter([p["kind"] async for p in seeded["partners"].find()])
    assert set(kinds) == {"RESELLER", "DISTRIBUTOR", "SUPPLIER"}
    assert all(4 <= n <= 6 for n in kinds.values())
    skus = {p["_id"] async for p in seeded["products"].find()}
    assert len(skus) >= 20
    stages = Counter([d["stage"] async for d in seeded["deals"].find()])
    assert sum(stages.values()) >= 100
    assert set(stages) == {"REGISTERED", "APPROVED", "WON", "LOST", "EXPIRED"}
    regions = {w["region"] async for w in seeded["warehouses"].find()}
    assert len(regions) == 3
    items = [i async for i in seeded["inventory"].find()]
    assert {i["sku"] for i in items} == skus  # every product is stocked
    short = [i for i in items if i["on_hand"] - i["reserved"] < i["reorder_point"]]
    assert 0 < len(short) < len(items)
    assert all(i["reserved"] <= i["on_hand"] for i in items)
    # Every reference resolves, and suppliers are suppliers.
    partner_kinds = {p["_id"]: p["kind"] async for p in seeded["partners"].find()}
    async for deal in seeded["deals"].find():
        assert deal["product_sku"] in skus
        assert partner_kinds[deal["partner_id"]] in {"RESELLER", "DISTRIBUTOR"}
    async for product in seeded["products"].find():
        assert all(partner_kinds[s] == "SUPPLIER" for s in product["supplier_ids"])
    assert await outbox(seeded) == []


async def test_idempotent_and_deterministic(
    seeded: AsyncDatabase[Document], mongo_client: AsyncMongoClient[Document]
) -> None:
    first = await snapshot(seeded)
    await seed(seeded, reset=False)
    assert await snapshot(seeded) == first
    await seed(seeded, reset=True)
    assert await snapshot(seeded) == first
    other = mongo_client[f"t_{uuid.uuid4().hex[:12]}"]
    try:
        await seed(other, reset=False)
        assert await snapshot(other) == first  # same data in a fresh database
    finally:
        await mongo_client.drop_database(other.name)


async def test_reset_removes_what_came_after(seeded: AsyncDatabase[Document]) -> None:
    first = await snapshot(seeded)
    await seeded["deals"].insert_one({"_id": "D-900000", "stage": "REGISTERED"})
    await seeded["counters"].update_one({"_id": "deal_id"}, {"$set": {"seq": 900000}})
    await seed(seeded, reset=True)
    assert await snapshot(seeded) == first
