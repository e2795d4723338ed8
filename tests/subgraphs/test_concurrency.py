"""Optimistic concurrency: of two updates sent with the same version, one wins and the
other gets CONFLICT; stock stays consistent under concurrent reservations."""

from __future__ import annotations

import asyncio

from pymongo.asynchronous.database import AsyncDatabase
from subgraph_harness import Subgraph, outbox

from resolvers.mongo import Document
from resolvers.seed import seed_documents

OPEN_DEAL = next(d for d in seed_documents()["deals"] if d["stage"] == "REGISTERED")
UPDATE = (
    "mutation ($id: ID!, $v: Int!, $amount: Float!) "
    "{ updateDeal(id: $id, version: $v, input: {amount: $amount}) { amount version } }"
)


async def test_same_version_one_wins(deals: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    first, second = await asyncio.gather(
        deals.post(UPDATE, {"id": OPEN_DEAL["_id"], "v": 1, "amount": 111.0}),
        deals.post(UPDATE, {"id": OPEN_DEAL["_id"], "v": 1, "amount": 222.0}),
    )
    outcomes = [first, second]
    winners = [r for r in outcomes if "errors" not in r]
    losers = [r for r in outcomes if "errors" in r]
    assert len(winners) == 1 and len(losers) == 1
    assert losers[0]["errors"][0]["extensions"]["code"] == "CONFLICT"
    won = winners[0]["data"]["updateDeal"]
    assert won["version"] == 2
    stored = await seeded["deals"].find_one({"_id": OPEN_DEAL["_id"]})
    assert stored is not None
    assert (stored["amount_cents"], stored["version"]) == (round(won["amount"] * 100), 2)
    assert [e["version"] for e in await outbox(seeded)] == [2]


async def test_concurrent_reservations_never_oversell(
    inventory: Subgraph, seeded: AsyncDatabase[Document]
) -> None:
    item = await seeded["inventory"].find_one({"_id": "NW-SW-1024@WH-NA"})
    assert item is not None
    available = item["on_hand"] - item["reserved"]
    attempts = 6
    quantity = available // 4 + 1  # at most three of the six can succeed
    results = await asyncio.gather(
        *(
            inventory.post(
                'mutation ($q: Int!) { reserveStock(sku: "NW-SW-1024", warehouseId: '
                '"WH-NA", quantity: $q) { reserved } }',
                {"q": quantity},
            )
            for _ in range(attempts)
        )
    )
    succeeded = [r for r in results if "errors" not in r]
    codes = {r["errors"][0]["extensions"]["code"] for r in results if "errors" in r}
    assert codes <= {"INSUFFICIENT_STOCK"}
    assert len(succeeded) == available // quantity
    after = await seeded["inventory"].find_one({"_id": "NW-SW-1024@WH-NA"})
    assert after is not None
    assert after["reserved"] == item["reserved"] + quantity * len(succeeded)
    assert after["on_hand"] - after["reserved"] >= 0
    assert len(await outbox(seeded)) == len(succeeded)


async def test_concurrent_registrations_first_wins(
    deals: Subgraph, seeded: AsyncDatabase[Document]
) -> None:
    """Two partners register the same customer and product at once: one gets the deal."""
    register = "mutation ($i: RegisterDealInput!) { registerDeal(input: $i) { id } }"
    inputs = [
        {"customer": "Zephyr Robotics", "productSku": "NW-SW-2048", "partnerId": partner,
         "amount": 500.0, "expectedClose": "2026-05-01"}
        for partner in ("P-R01", "P-D02")
    ]  # fmt: skip
    results = await asyncio.gather(*(deals.post(register, {"i": i}) for i in inputs))
    codes = sorted(r["errors"][0]["extensions"]["code"] for r in results if "errors" in r)
    assert codes == ["CONFLICT"]
    created = [r["data"]["registerDeal"]["id"] for r in results if "errors" not in r]
    assert created == ["D-000121"]
    assert await seeded["deals"].count_documents({"customer": "Zephyr Robotics"}) == 1
    assert [e["key"] for e in await outbox(seeded)] == [{"id": "D-000121"}]
