"""Each bad request gets its stable `extensions.code`, writes nothing, records nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from subgraph_harness import GatewaySigner, Subgraph, snapshot

from resolvers.mongo import Document
from resolvers.seed import seed, seed_documents
from subgraphs.deals.app import create_app as create_deals
from subgraphs.inventory.app import create_app as create_inventory
from subgraphs.partners.app import create_app as create_partners

APPS = {"partners": create_partners, "deals": create_deals, "inventory": create_inventory}

SEEDED = seed_documents()
OPEN_DEAL = next(d for d in SEEDED["deals"] if d["stage"] == "REGISTERED")
WON_DEAL = next(d for d in SEEDED["deals"] if d["stage"] == "WON")
ITEM = next(i for i in SEEDED["inventory"] if i["reserved"] > 0)

REGISTER = "mutation ($i: RegisterDealInput!) { registerDeal(input: $i) { id } }"
ADVANCE = "mutation ($id: ID!, $v: Int!, $to: DealStage!) { advanceDealStage(id: $id, version: $v, to: $to) { id } }"  # noqa: E501
UPDATE_DEAL = "mutation ($id: ID!, $v: Int!, $i: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $i) { id } }"  # noqa: E501
RESERVE = "mutation ($s: ID!, $w: ID!, $q: Int!, $v: Int) { reserveStock(sku: $s, warehouseId: $w, quantity: $q, expectedVersion: $v) { sku } }"  # noqa: E501
RELEASE = "mutation ($s: ID!, $w: ID!, $q: Int!) { releaseStock(sku: $s, warehouseId: $w, quantity: $q) { sku } }"  # noqa: E501
ADJUST = "mutation ($s: ID!, $w: ID!, $d: Int!) { adjustStock(sku: $s, warehouseId: $w, delta: $d) { sku } }"  # noqa: E501
UPDATE_PARTNER = "mutation ($id: ID!, $v: Int!, $i: UpdatePartnerInput!) { updatePartner(id: $id, version: $v, input: $i) { id } }"  # noqa: E501
UPDATE_PRODUCT = "mutation ($s: ID!, $v: Int!, $i: UpdateProductInput!) { updateProduct(sku: $s, version: $v, input: $i) { sku } }"  # noqa: E501


def deal_input(**overrides: Any) -> dict[str, Any]:
    base = {
        "customer": "Zephyr Robotics", "productSku": "NW-SW-2048", "partnerId": "P-R03",
        "amount": 1000.0, "discount": 5.0, "expectedClose": "2026-06-30",
    }  # fmt: skip
    return {"i": {**base, **overrides}}


def stock(quantity: Any, sku: str = ITEM["sku"], warehouse: str = ITEM["warehouse_id"]) -> dict:
    return {"s": sku, "w": warehouse, "q": quantity}


AVAILABLE = ITEM["on_hand"] - ITEM["reserved"]
CASES: list[tuple[str, str, str, dict[str, Any], str]] = [
    # (case id, subgraph, document, variables, code)
    ("unknown product", "deals", REGISTER, deal_input(productSku="NW-NOPE"), "NOT_FOUND"),
    ("unknown partner", "deals", REGISTER, deal_input(partnerId="P-NOPE"), "NOT_FOUND"),
    ("supplier registers", "deals", REGISTER, deal_input(partnerId="P-S01"), "BAD_USER_INPUT"),
    ("oversized customer", "deals", REGISTER, deal_input(customer="x" * 201), "BAD_USER_INPUT"),
    ("blank customer", "deals", REGISTER, deal_input(customer="   "), "BAD_USER_INPUT"),
    ("oversized notes", "deals", REGISTER, deal_input(notes="n" * 2001), "BAD_USER_INPUT"),
    ("negative amount", "deals", REGISTER, deal_input(amount=-1.0), "BAD_USER_INPUT"),
    ("fractional cents", "deals", REGISTER, deal_input(amount=10.001), "BAD_USER_INPUT"),
    ("non-numeric amount", "deals", REGISTER, deal_input(amount="lots"), "BAD_USER_INPUT"),
    ("discount too deep", "deals", REGISTER, deal_input(discount=45), "BAD_USER_INPUT"),
    ("bad date", "deals", REGISTER, deal_input(expectedClose="someday"), "BAD_USER_INPUT"),
    (
        "duplicate open registration", "deals", REGISTER,
        deal_input(customer=OPEN_DEAL["customer"].upper(), productSku=OPEN_DEAL["product_sku"]),
        "CONFLICT",
    ),
    ("advance unknown deal", "deals", ADVANCE, {"id": "D-999999", "v": 1, "to": "APPROVED"},
     "NOT_FOUND"),
    ("skip approval", "deals", ADVANCE, {"id": OPEN_DEAL["_id"], "v": 1, "to": "WON"},
     "INVALID_TRANSITION"),
    ("reopen a won deal", "deals", ADVANCE, {"id": WON_DEAL["_id"], "v": 3, "to": "APPROVED"},
     "INVALID_TRANSITION"),
    ("stale version", "deals", ADVANCE, {"id": OPEN_DEAL["_id"], "v": 7, "to": "APPROVED"},
     "CONFLICT"),
    ("unknown stage", "deals", ADVANCE, {"id": OPEN_DEAL["_id"], "v": 1, "to": "SIGNED"},
     "BAD_USER_INPUT"),
    ("empty update", "deals", UPDATE_DEAL, {"id": OPEN_DEAL["_id"], "v": 1, "i": {}},
     "BAD_USER_INPUT"),
    ("edit a closed deal", "deals", UPDATE_DEAL, {"id": WON_DEAL["_id"], "v": 3,
     "i": {"amount": 5.0}}, "INVALID_TRANSITION"),
    ("page too large", "deals", "{ deals(first: 500) { nextCursor } }", {}, "BAD_USER_INPUT"),
    ("forged cursor", "deals", '{ deals(after: "bm90IGEgY3Vyc29y") { nextCursor } }', {},
     "BAD_USER_INPUT"),
    ("reserve more than available", "inventory", RESERVE, stock(AVAILABLE + 1),
     "INSUFFICIENT_STOCK"),
    ("remove reserved stock", "inventory", ADJUST,
     {"s": ITEM["sku"], "w": ITEM["warehouse_id"], "d": -(AVAILABLE + 1)}, "INSUFFICIENT_STOCK"),
    ("zero delta", "inventory", ADJUST, {"s": ITEM["sku"], "w": ITEM["warehouse_id"], "d": 0},
     "BAD_USER_INPUT"),
    ("negative quantity", "inventory", RESERVE, stock(-3), "BAD_USER_INPUT"),
    ("non-numeric quantity", "inventory", RESERVE, stock("three"), "BAD_USER_INPUT"),
    ("quantity beyond Int", "inventory", RESERVE, stock(2**40), "BAD_USER_INPUT"),
    ("literal non-numeric quantity", "inventory",
     'mutation { reserveStock(sku: "NW-SW-1008", warehouseId: "WH-NA", quantity: "x") '
     "{ sku } }",
     {}, "BAD_USER_INPUT"),
    ("release more than reserved", "inventory", RELEASE, stock(ITEM["reserved"] + 1),
     "BAD_USER_INPUT"),
    ("unknown sku", "inventory", RESERVE, stock(1, sku="NW-NOPE"), "NOT_FOUND"),
    ("unknown warehouse", "inventory", RESERVE, stock(1, warehouse="WH-MOON"), "NOT_FOUND"),
    ("stale stock version", "inventory", RESERVE, {**stock(1), "v": 9}, "CONFLICT"),
    ("unknown partner update", "partners", UPDATE_PARTNER,
     {"id": "P-NOPE", "v": 1, "i": {"name": "X"}}, "NOT_FOUND"),
    ("unknown region", "partners", UPDATE_PARTNER, {"id": "P-R01", "v": 1,
     "i": {"region": "MARS"}}, "BAD_USER_INPUT"),
    ("oversized partner name", "partners", UPDATE_PARTNER, {"id": "P-R01", "v": 1,
     "i": {"name": "p" * 500}}, "BAD_USER_INPUT"),
    ("bad email", "partners", UPDATE_PARTNER, {"id": "P-R01", "v": 1,
     "i": {"contacts": [{"name": "A", "email": "not-an-email", "role": "Sales"}]}},
     "BAD_USER_INPUT"),
    ("stale partner version", "partners", UPDATE_PARTNER, {"id": "P-R01", "v": 2,
     "i": {"name": "Acme"}}, "CONFLICT"),
    ("negative price", "partners", UPDATE_PRODUCT, {"s": "NW-OP-0010", "v": 1,
     "i": {"listPrice": -5}}, "BAD_USER_INPUT"),
    ("syntax error", "partners", "{ partners(first: ", {}, "GRAPHQL_PARSE_FAILED"),
    ("unknown field", "partners", "{ partners { secret } }", {}, "GRAPHQL_VALIDATION_FAILED"),
]  # fmt: skip


@pytest.fixture(scope="module")
async def seeded_once(
    mongo_client: AsyncMongoClient[Document],
) -> AsyncIterator[AsyncDatabase[Document]]:
    """One seeded database for all cases: each case checks it is unchanged afterwards."""
    name = f"t_bad_{uuid.uuid4().hex[:8]}"
    await seed(mongo_client[name], reset=True)
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.mark.parametrize(
    ("subgraph", "document", "variables", "code"),
    [case[1:] for case in CASES if case[4]],
    ids=[case[0] for case in CASES if case[4]],
)
async def test_bad_request(
    seeded_once: AsyncDatabase[Document],
    subgraph: str,
    document: str,
    variables: dict[str, Any],
    code: str,
) -> None:
    before = await snapshot(seeded_once)
    transport = httpx.ASGITransport(app=APPS[subgraph](seeded_once))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://subgraph", auth=GatewaySigner()
    ) as client:
        body = await Subgraph(client).post(document, variables)
    assert [e["extensions"]["code"] for e in body["errors"]] == [code], body
    assert "Traceback" not in str(body)
    after = await snapshot(seeded_once)
    assert after == before  # nothing written, no outbox entry, no counter taken
    assert after.get("outbox", []) == []
