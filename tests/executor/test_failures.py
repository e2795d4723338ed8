"""Failing, slow and misbehaving subgraphs: partial data plus errors, never an exception."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from executor_commerce import (
    API_SDL,
    catalog_subgraph,
    entity_fetch,
    field,
    on,
    orders_subgraph,
    shipping_subgraph,
)
from executor_harness import free_socket, gateway
from graphql import build_schema, parse
from starlette.responses import Response

from gateway.executor import Executor
from gateway.planner.plan import Fetch, Flatten, QueryPlan, Sequence

ITEMS = ("order", "items", "@")
ORDER_ITEMS = Fetch(
    "orders",
    "query($id: ID!) { order(id: $id) { id items { __typename sku } } }",
    variable_usages=("id",),
)


def items_plan(selection: str = "... on Product { name weight }") -> QueryPlan:
    return QueryPlan(Sequence((ORDER_ITEMS, Flatten(ITEMS, entity_fetch("catalog", selection)))))


WITH_SHIPPING = QueryPlan(
    Sequence(
        (
            ORDER_ITEMS,
            Flatten(ITEMS, entity_fetch("catalog", "... on Product { name weight }")),
            Flatten(
                ITEMS,
                entity_fetch(
                    "shipping",
                    "... on Product { shippingCost }",
                    requires=(on("Product", field("__typename"), field("sku"), field("weight")),),
                ),
            ),
        )
    )
)


def answer(payload: Any, status: int = 200, media_type: str = "application/json") -> Any:
    """A `respond` hook that always answers `payload` (JSON-encoded unless bytes)."""
    body = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return lambda _body: Response(body, status_code=status, media_type=media_type)


def codes(response: dict[str, Any]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in response.get("errors", [])]


async def test_entity_error_moves_to_the_client_path_and_nulls_bubble() -> None:
    """Case 29: `_entities[1]` null with an error at `_entities/1/name`: the error is at
    `order.items.1.name` (locations dropped, extensions kept); `name` is non-null, so the
    null bubbles through `[Product!]!` to the nullable `order`, with no extra error."""
    catalog = catalog_subgraph(
        respond=answer(
            {
                "data": {"_entities": [{"name": "Desk"}, None]},
                "errors": [
                    {
                        "message": "Lamp details are being edited",
                        "path": ["_entities", 1, "name"],
                        "locations": [{"line": 1, "column": 80}],
                        "extensions": {"code": "CATALOG_LOCKED"},
                    }
                ],
            }
        )
    )
    document = parse("query Q($id: ID!) { order(id: $id) { id items { sku name } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert response == {
        "data": {"order": None},
        "errors": [
            {
                "message": "Lamp details are being edited",
                "path": ["order", "items", 1, "name"],
                "extensions": {"code": "CATALOG_LOCKED"},
            }
        ],
    }


async def test_entity_error_is_copied_to_every_position_of_a_deduplicated_entity() -> None:
    catalog = catalog_subgraph(
        respond=answer(
            {
                "data": {"_entities": [{"name": "Desk", "weight": None}, {"name": "Lamp"}]},
                "errors": [{"message": "scale offline", "path": ["_entities", 0, "weight"]}],
            }
        )
    )
    document = parse("query Q($id: ID!) { order(id: $id) { items { name weight } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert response["data"]["order"]["items"] == [
        {"name": "Desk", "weight": None},
        {"name": "Lamp", "weight": None},
        {"name": "Desk", "weight": None},
    ]
    assert [e["path"] for e in response["errors"]] == [
        ["order", "items", 0, "weight"],
        ["order", "items", 2, "weight"],
    ]


async def test_http_500_gives_partial_data_one_error_and_skips_dependants() -> None:
    """Case 30: catalog answers HTTP 500; shipping needs catalog's `weight`, so it is not
    called; orders' data is still there."""
    catalog = catalog_subgraph(respond=answer(b"Internal Server Error", 500, "text/plain"))
    shipping = shipping_subgraph()
    document = parse(
        "query Q($id: ID!) { order(id: $id) { id items { sku weight shippingCost } } }"
    )
    async with gateway(API_SDL, orders_subgraph(), catalog, shipping) as executor:
        response = await executor.execute(WITH_SHIPPING, document, "Q", {"id": "o1"})
    blank = {"weight": None, "shippingCost": None}
    assert response["data"] == {
        "order": {
            "id": "o1",
            "items": [{"sku": "p1", **blank}, {"sku": "p2", **blank}, {"sku": "p1", **blank}],
        }
    }
    assert codes(response) == ["SUBGRAPH_BAD_RESPONSE"]
    assert "path" not in response["errors"][0]  # about the fetch, not a field (as Apollo)
    assert response["errors"][0]["extensions"]["http"] == {"status": 500}
    assert shipping.requests == []


async def test_graphql_errors_in_a_500_body_pass_through() -> None:
    catalog = catalog_subgraph(
        respond=answer({"errors": [{"message": "catalog is read-only"}]}, 500)
    )
    document = parse("query Q($id: ID!) { order(id: $id) { id items { weight } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert response["errors"] == [{"message": "catalog is read-only", "path": ["order", "items"]}]
    assert response["data"]["order"]["id"] == "o1"


async def test_nulls_bubbling_to_the_root_give_null_data() -> None:
    """Case 31: `orders: [Order!]!` with a non-null `name` that could not be fetched."""
    catalog = catalog_subgraph(respond=answer({"data": None, "errors": [{"message": "boom"}]}))
    plan = QueryPlan(
        Sequence(
            (
                Fetch("orders", "{ orders { id items { __typename sku } } }"),
                Flatten(
                    ("orders", "@", "items", "@"),
                    entity_fetch("catalog", "... on Product { name }"),
                ),
            )
        )
    )
    document = parse("{ orders { id items { name } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(plan, document, None, {})
    assert response == {"data": None, "errors": [{"message": "boom", "path": ["orders"]}]}


async def test_null_bubbling_without_an_explaining_error_adds_one_error() -> None:
    """A subgraph returns null for a non-null field without saying why: one error at the
    field's path, none for the ancestors the null bubbles through."""
    catalog = catalog_subgraph(
        respond=answer({"data": {"_entities": [{"name": "Desk"}, {"name": None}]}})
    )
    document = parse("query Q($id: ID!) { order(id: $id) { items { name } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert response["data"] == {"order": None}
    assert [(e["path"], e["extensions"]["code"]) for e in response["errors"]] == [
        (["order", "items", 1, "name"], "RESPONSE_VALIDATION_FAILED")
    ]


async def test_entities_length_mismatch_is_a_fetch_error() -> None:
    """Case 32."""
    catalog = catalog_subgraph(respond=answer({"data": {"_entities": [{"weight": 1.0}]}}))
    document = parse("query Q($id: ID!) { order(id: $id) { id items { sku weight } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert [item["weight"] for item in response["data"]["order"]["items"]] == [None] * 3
    assert codes(response) == ["SUBGRAPH_BAD_RESPONSE"]
    assert "1 entities for 2 representations" in response["errors"][0]["message"]


async def test_unknown_enum_value_is_null_plus_an_error() -> None:
    """Case 33: catalog knows PURPLE; the API schema does not."""
    plan = QueryPlan(
        Sequence(
            (
                Fetch(
                    "orders",
                    "query($id: ID!) { order(id: $id) { boxes { items { __typename sku } } } }",
                    variable_usages=("id",),
                ),
                Flatten(
                    ("order", "boxes", "@", "items", "@"),
                    entity_fetch("catalog", "... on Product { color }"),
                ),
            )
        )
    )
    document = parse("query Q($id: ID!) { order(id: $id) { boxes { items { sku color } } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog_subgraph()) as executor:
        response = await executor.execute(plan, document, "Q", {"id": "o1"})
    assert response["data"]["order"]["boxes"] == [
        {"items": [{"sku": "p1", "color": "RED"}, {"sku": "p2", "color": "GREEN"}]},
        {"items": [{"sku": "p3", "color": None}]},
    ]
    assert [(e["path"], e["extensions"]["code"]) for e in response["errors"]] == [
        (["order", "boxes", 1, "items", 0, "color"], "RESPONSE_VALIDATION_FAILED")
    ]


async def test_slow_subgraph_hits_the_timeout_and_the_rest_is_answered() -> None:
    release = asyncio.Event()

    async def stall(_body: dict[str, Any]) -> None:
        await release.wait()

    catalog = catalog_subgraph(before=stall)
    document = parse("query Q($id: ID!) { order(id: $id) { id items { sku weight } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog, timeout=0.5) as executor:
        try:
            response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
        finally:
            release.set()
    assert response["data"]["order"]["items"][1] == {"sku": "p2", "weight": None}
    assert codes(response) == ["SUBGRAPH_TIMEOUT"]
    assert "path" not in response["errors"][0]
    assert response["errors"][0]["extensions"]["service"] == "catalog"


async def test_non_json_answer_is_a_bad_response() -> None:
    catalog = catalog_subgraph(respond=answer(b"<html>maintenance</html>", 200, "text/html"))
    document = parse("query Q($id: ID!) { order(id: $id) { id items { weight } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert codes(response) == ["SUBGRAPH_BAD_RESPONSE"]
    assert "not a GraphQL response" in response["errors"][0]["message"]
    assert response["data"]["order"]["id"] == "o1"


async def test_unreachable_or_unconfigured_subgraph_is_unavailable() -> None:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    executor = Executor(build_schema(API_SDL), {"orders": f"http://127.0.0.1:{port}/graphql"})
    try:
        refused = await executor.execute(
            QueryPlan(Fetch("orders", "{ orders { id } }")), parse("{ orders { id } }"), None, {}
        )
        unknown = await executor.execute(
            QueryPlan(Fetch("nowhere", "{ topProducts { sku } }")),
            parse("{ topProducts { sku } }"),
            None,
            {},
        )
    finally:
        await executor.aclose()
    assert refused["data"] is None
    assert codes(refused) == ["SUBGRAPH_UNAVAILABLE"]
    assert "path" not in refused["errors"][0]
    assert unknown["data"] is None
    assert codes(unknown) == ["SUBGRAPH_UNAVAILABLE"]


async def test_root_fetch_errors_keep_their_path_trimmed_to_the_query() -> None:
    orders = orders_subgraph(
        respond=answer(
            {
                "data": {"order": {"id": "o1", "note": None, "items": []}},
                "errors": [
                    {"message": "note hidden", "path": ["order", "note"]},
                    {"message": "key lookup failed", "path": ["order", "items", 0, "sku"]},
                ],
            }
        )
    )
    plan = QueryPlan(ORDER_ITEMS)
    document = parse("query Q($id: ID!) { order(id: $id) { id note items { name } } }")
    async with gateway(API_SDL, orders) as executor:
        response = await executor.execute(plan, document, "Q", {"id": "o1"})
    assert response["data"] == {"order": {"id": "o1", "note": None, "items": []}}
    assert [e["path"] for e in response["errors"]] == [
        ["order", "note"],
        ["order", "items", 0],  # `sku` was added by the planner: trimmed away
    ]


async def test_a_failed_fetch_explains_the_non_null_fields_it_leaves_null() -> None:
    """One error for the failed fetch; the nulls it causes bubble without errors of their own."""
    catalog = catalog_subgraph(respond=answer(b"busy", 503, "text/plain"))
    document = parse("query Q($id: ID!) { order(id: $id) { id items { name } } }")
    async with gateway(API_SDL, orders_subgraph(), catalog) as executor:
        response = await executor.execute(items_plan(), document, "Q", {"id": "o1"})
    assert response["data"] == {"order": None}
    assert codes(response) == ["SUBGRAPH_BAD_RESPONSE"]
