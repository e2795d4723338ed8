"""Each subgraph speaks Federation v2: `_service { sdl }` and `_entities` for its entities."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from subgraph_harness import Subgraph

ROOT = Path(__file__).resolve().parents[2]
FED_LINK = '@link(url: "https://specs.apollo.dev/federation/v2.9"'


async def sdl(subgraph: Subgraph) -> str:
    return str((await subgraph.data("{ _service { sdl } }"))["_service"]["sdl"])


async def test_partners_sdl(partners: Subgraph) -> None:
    text = await sdl(partners)
    assert FED_LINK in text
    assert 'type Partner @key(fields: "id")' in text
    assert 'type Product @key(fields: "sku")' in text
    assert "name: String! @shareable" in text
    assert "internalNotes: String @inaccessible" in text
    assert '@tag(name: "partner-visible")' in text


async def test_deals_sdl(deals: Subgraph) -> None:
    text = await sdl(deals)
    assert FED_LINK in text
    assert 'type Deal @key(fields: "id")' in text
    assert 'type Product @key(fields: "sku", resolvable: false)' in text
    assert 'product: Product! @provides(fields: "name")' in text
    assert "name: String! @external" in text
    assert "riskScore: Float! @inaccessible" in text


async def test_inventory_sdl(inventory: Subgraph) -> None:
    text = await sdl(inventory)
    assert FED_LINK in text
    assert 'type InventoryItem @key(fields: "sku warehouseId")' in text
    assert 'type Warehouse @key(fields: "id")' in text
    assert "listPrice: Float! @external" in text
    assert 'inventoryValue: Float! @requires(fields: "listPrice")' in text


ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on Partner { id name kind }
    ... on Product { sku name listPrice suppliers { id kind } }
  }
}
"""


async def test_partners_entities(partners: Subgraph) -> None:
    reps = [
        {"__typename": "Partner", "id": "P-R01"},
        {"__typename": "Product", "sku": "NW-SW-1008"},
        {"__typename": "Partner", "id": "P-NOPE"},
    ]
    entities = (await partners.data(ENTITIES, {"representations": reps}))["_entities"]
    assert entities[0] == {
        "__typename": "Partner", "id": "P-R01", "name": "Acme IT Solutions", "kind": "RESELLER",
    }  # fmt: skip
    assert entities[1]["name"] == "Edge Switch 8-port"
    assert entities[1]["listPrice"] == 349.0
    assert {s["id"] for s in entities[1]["suppliers"]} == {"P-S02", "P-S05"}
    assert {s["kind"] for s in entities[1]["suppliers"]} == {"SUPPLIER"}
    assert entities[2] is None  # an unknown key resolves to null, as a missing record


async def test_deals_entities(deals: Subgraph) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on Deal { id stage partner { id } product { sku name } }
        ... on Partner { id deals(first: 100) { items { id partner { id } } } }
      }
    }
    """
    reps = [{"__typename": "Deal", "id": "D-000001"}, {"__typename": "Partner", "id": "P-R02"}]
    deal, partner = (await deals.data(query, {"representations": reps}))["_entities"]
    assert deal["id"] == "D-000001"
    assert deal["product"]["name"]  # provided from the copy taken at registration
    assert partner["deals"]["items"]
    assert {d["partner"]["id"] for d in partner["deals"]["items"]} == {"P-R02"}


async def test_inventory_entities(inventory: Subgraph) -> None:
    query = """
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        ... on InventoryItem { sku warehouseId onHand reserved available warehouse { region } }
        ... on Warehouse { id name region }
        ... on Product { sku name availableToPromise inventoryValue inventory { warehouseId } }
      }
    }
    """
    reps = [
        {"__typename": "InventoryItem", "sku": "NW-SW-1008", "warehouseId": "WH-EU"},
        {"__typename": "Warehouse", "id": "WH-AP"},
        {"__typename": "Product", "sku": "NW-SW-1008", "listPrice": 349.0},
    ]
    item, warehouse, product = (await inventory.data(query, {"representations": reps}))["_entities"]
    assert (item["sku"], item["warehouseId"]) == ("NW-SW-1008", "WH-EU")
    assert item["available"] == item["onHand"] - item["reserved"]
    assert item["warehouse"]["region"] == "EMEA"
    assert warehouse == {"id": "WH-AP", "name": "Singapore Logistics Park", "region": "APAC"}
    assert {i["warehouseId"] for i in product["inventory"]} == {"WH-NA", "WH-EU", "WH-AP"}
    stock = await inventory.data(
        '{ inventoryItems(sku: "NW-SW-1008") { items { onHand available } } }'
    )
    items = stock["inventoryItems"]["items"]
    assert product["availableToPromise"] == sum(i["available"] for i in items)
    # @requires: the value is computed from the listPrice the gateway passed in.
    assert product["inventoryValue"] == round(sum(i["onHand"] for i in items) * 349.0, 2)


async def test_requires_without_list_price_is_a_clear_error(inventory: Subgraph) -> None:
    body = await inventory.post(
        '{ inventoryItem(sku: "NW-SW-1008", warehouseId: "WH-NA") { product { inventoryValue } } }'
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "listPrice" in body["errors"][0]["message"]


async def test_unexpected_failure_is_masked_without_trace(inventory: Subgraph) -> None:
    # A representation with a field the key does not have makes resolve_reference fail.
    body = await inventory.post(
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Warehouse { id } } }",
        {"r": [{"__typename": "Warehouse", "id": "WH-NA", "bogus": 1}]},
    )
    error = body["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "bogus" not in error["message"]
    assert "Traceback" not in str(body)


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_demo_supergraph_is_current_and_composes() -> None:
    """The checked-in supergraph is what composing today's subgraph SDLs gives."""
    result = subprocess.run(
        ["node", str(ROOT / "gateway" / "demo" / "compose_with_node.mjs"), "--check"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
