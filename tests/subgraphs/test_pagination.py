"""Cursor pagination: pages cover a list exactly once, in order, and end with null."""

from __future__ import annotations

from subgraph_harness import Subgraph

PAGE = (
    "query ($after: String, $stage: DealStage) { deals(first: 7, after: $after, "
    "filter: {stage: $stage}) { items { id stage } nextCursor } }"
)


async def test_pages_cover_the_list_once(deals: Subgraph) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = (await deals.data(PAGE, {"after": after}))["deals"]
        seen += [d["id"] for d in page["items"]]
        after = page["nextCursor"]
        if after is None:
            break
    assert len(seen) == 120
    assert seen == sorted(set(seen))


async def test_filtered_pages(deals: Subgraph) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = (await deals.data(PAGE, {"after": after, "stage": "WON"}))["deals"]
        assert {d["stage"] for d in page["items"]} <= {"WON"}
        seen += [d["id"] for d in page["items"]]
        if (after := page["nextCursor"]) is None:
            break
    assert len(seen) == 30


async def test_inventory_pages_and_filters(inventory: Subgraph) -> None:
    data = await inventory.data(
        '{ warehouse(id: "WH-EU") { items(first: 100) { items { sku warehouseId } nextCursor } } }'
    )
    page = data["warehouse"]["items"]
    assert len(page["items"]) == 24 and page["nextCursor"] is None
    assert {i["warehouseId"] for i in page["items"]} == {"WH-EU"}
    low = await inventory.data(
        "{ inventoryItems(belowReorderPoint: true, first: 100) "
        "{ items { available reorderPoint belowReorderPoint } } }"
    )
    items = low["inventoryItems"]["items"]
    assert items and all(i["available"] < i["reorderPoint"] for i in items)
    assert all(i["belowReorderPoint"] for i in items)
