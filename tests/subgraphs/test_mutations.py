"""Every mutation writes and records exactly one outbox event describing the change."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from subgraph_harness import Subgraph, outbox

from resolvers.mongo import Document

DEAL_FIELDS = "id customer stage amount discount vendorMargin notes version partner { id }"


async def first_deal(deals: Subgraph, stage: str) -> dict[str, Any]:
    data = await deals.data(
        f"query ($s: DealStage) {{ deals(filter: {{stage: $s}}, first: 1) "
        f"{{ items {{ {DEAL_FIELDS} }} }} }}",
        {"s": stage},
    )
    deal: dict[str, Any] = data["deals"]["items"][0]
    return deal


def event_content(event: Document) -> dict[str, Any]:
    return {k: event[k] for k in ("entity_type", "key", "changed_fields", "version", "partner_ids")}


async def test_register_deal(deals: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    data = await deals.data(
        f"""mutation ($input: RegisterDealInput!) {{
              registerDeal(input: $input) {{ {DEAL_FIELDS} expectedClose product {{ sku name }} }}
            }}""",
        {
            "input": {
                "customer": "Zephyr Robotics", "productSku": "NW-SW-2048", "partnerId": "P-R03",
                "amount": 28990.0, "discount": 7.5, "expectedClose": "2026-06-30",
                "notes": "Two campuses.",
            }
        },
    )  # fmt: skip
    deal = data["registerDeal"]
    assert deal["id"] == "D-000121"  # numbering continues after the seeded deals
    assert deal["stage"] == "REGISTERED" and deal["version"] == 1
    assert deal["product"] == {"sku": "NW-SW-2048", "name": "Campus Switch 48-port PoE"}
    assert deal["discount"] == 7.5
    assert deal["vendorMargin"] == round(28990.0 * (0.35 - 0.075), 2)
    stored = await seeded["deals"].find_one({"_id": "D-000121"})
    assert stored is not None and stored["amount_cents"] == 2_899_000
    [event] = await outbox(seeded)
    assert event_content(event) == {
        "entity_type": "Deal", "key": {"id": "D-000121"},
        "changed_fields": ["customer", "product", "partner", "stage", "amount", "discount",
                           "vendorMargin", "expectedClose", "notes"],
        "version": 1, "partner_ids": ["P-R03"],
    }  # fmt: skip


async def test_advance_deal_stage(deals: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    deal = await first_deal(deals, "APPROVED")
    data = await deals.data(
        "mutation ($id: ID!, $v: Int!) { advanceDealStage(id: $id, version: $v, to: WON) "
        "{ stage version } }",
        {"id": deal["id"], "v": deal["version"]},
    )
    assert data["advanceDealStage"] == {"stage": "WON", "version": deal["version"] + 1}
    stored = await seeded["deals"].find_one({"_id": deal["id"]})
    assert stored is not None and "open_key" not in stored  # closed: no longer blocks others
    [event] = await outbox(seeded)
    assert event_content(event) == {
        "entity_type": "Deal", "key": {"id": deal["id"]}, "changed_fields": ["stage"],
        "version": deal["version"] + 1, "partner_ids": [deal["partner"]["id"]],
    }  # fmt: skip


async def test_update_deal(deals: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    deal = await first_deal(deals, "REGISTERED")
    data = await deals.data(
        "mutation ($id: ID!, $v: Int!, $input: UpdateDealInput!) "
        "{ updateDeal(id: $id, version: $v, input: $input) { amount notes version } }",
        {"id": deal["id"], "v": deal["version"], "input": {"amount": 1234.5, "notes": "Revised"}},
    )
    assert data["updateDeal"] == {"amount": 1234.5, "notes": "Revised", "version": 2}
    [event] = await outbox(seeded)
    assert event["changed_fields"] == ["amount", "vendorMargin", "notes"]
    assert (event["key"], event["version"]) == ({"id": deal["id"]}, 2)


ITEM = "sku warehouseId onHand reserved available version"
ITEM_ARGS = '(sku: "NW-SW-1024", warehouseId: "WH-NA"'


async def item_now(inventory: Subgraph) -> dict[str, Any]:
    data = await inventory.data(f"{{ inventoryItem{ITEM_ARGS}) {{ {ITEM} }} }}")
    item: dict[str, Any] = data["inventoryItem"]
    return item


async def test_adjust_stock(inventory: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    before = await item_now(inventory)
    data = await inventory.data(f"mutation {{ adjustStock{ITEM_ARGS}, delta: 25) {{ {ITEM} }} }}")
    after = data["adjustStock"]
    assert after["onHand"] == before["onHand"] + 25
    assert after["available"] == before["available"] + 25
    assert after["version"] == before["version"] + 1
    assert await item_now(inventory) == after
    [event] = await outbox(seeded)
    assert event_content(event) == {
        "entity_type": "InventoryItem", "key": {"sku": "NW-SW-1024", "warehouseId": "WH-NA"},
        "changed_fields": ["onHand", "available"], "version": after["version"],
        "partner_ids": ["P-S02", "P-S05"],  # the product's suppliers
    }  # fmt: skip


async def test_reserve_then_release(inventory: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    before = await item_now(inventory)
    reserved = (
        await inventory.data(f"mutation {{ reserveStock{ITEM_ARGS}, quantity: 3) {{ {ITEM} }} }}")
    )["reserveStock"]
    assert reserved["reserved"] == before["reserved"] + 3
    assert reserved["available"] == before["available"] - 3
    released = (
        await inventory.data(
            f"mutation {{ releaseStock{ITEM_ARGS}, quantity: 2, expectedVersion: "
            f"{reserved['version']}) {{ {ITEM} }} }}"
        )
    )["releaseStock"]
    assert released["reserved"] == before["reserved"] + 1
    events = await outbox(seeded)
    assert [e["changed_fields"] for e in events] == [["reserved", "available"]] * 2
    assert [e["version"] for e in events] == [before["version"] + 1, before["version"] + 2]


async def test_update_partner(partners: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    data = await partners.data(
        'mutation { updatePartner(id: "P-R04", version: 1, input: {tier: GOLD, '
        'contacts: [{name: "Dana Lee", email: "dana@delta.example", role: "Sales"}]}) '
        "{ tier contacts { name } version } }"
    )
    assert data["updatePartner"] == {
        "tier": "GOLD", "contacts": [{"name": "Dana Lee"}], "version": 2,
    }  # fmt: skip
    [event] = await outbox(seeded)
    assert event_content(event) == {
        "entity_type": "Partner", "key": {"id": "P-R04"}, "changed_fields": ["tier", "contacts"],
        "version": 2, "partner_ids": ["P-R04"],
    }  # fmt: skip


async def test_update_product(partners: Subgraph, seeded: AsyncDatabase[Document]) -> None:
    data = await partners.data(
        'mutation { updateProduct(sku: "NW-OP-0100", version: 1, input: {listPrice: 599.99}) '
        "{ listPrice version } }"
    )
    assert data["updateProduct"] == {"listPrice": 599.99, "version": 2}
    [event] = await outbox(seeded)
    assert event_content(event) == {
        "entity_type": "Product", "key": {"sku": "NW-OP-0100"}, "changed_fields": ["listPrice"],
        "version": 2, "partner_ids": ["P-S01"],
    }  # fmt: skip


async def test_a_change_to_the_same_values_writes_nothing(
    partners: Subgraph, seeded: AsyncDatabase[Document]
) -> None:
    data = await partners.data(
        'mutation { updatePartner(id: "P-R01", version: 1, input: {tier: PLATINUM}) { version } }'
    )
    assert data["updatePartner"] == {"version": 1}
    assert await outbox(seeded) == []
