"""Entity joins across real subgraphs: representations, batching, dedupe, merge, shaping."""

from __future__ import annotations

import pytest
from executor_commerce import (
    API_SDL,
    PRODUCT_KEY,
    billing_subgraph,
    catalog_subgraph,
    entity_fetch,
    field,
    on,
    orders_subgraph,
    shipping_subgraph,
)
from executor_harness import Subgraph, gateway
from graphql import parse

from gateway.planner.plan import Condition, Fetch, Flatten, KeyRenamer, QueryPlan, Sequence

ITEMS = ("order", "items", "@")


def order_fetch(selection: str) -> Fetch:
    return Fetch(
        "orders",
        f"query($id: ID!) {{ order(id: $id) {{ {selection} }} }}",
        variable_usages=("id",),
    )


WORKED_EXAMPLE = QueryPlan(
    Sequence(
        (
            order_fetch("items { __typename sku }"),
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


async def test_jump_under_a_list_with_requires_is_one_call_per_subgraph_and_step() -> None:
    """PLANNER.md cases 3 and 27: `Flatten(order.items.@)`; the duplicate item p1 is sent
    once and its result lands at both of its positions."""
    orders, catalog, shipping = orders_subgraph(), catalog_subgraph(), shipping_subgraph()
    document = parse("query Q($id: ID!) { order(id: $id) { items { name shippingCost } } }")
    async with gateway(API_SDL, orders, catalog, shipping) as executor:
        response = await executor.execute(WORKED_EXAMPLE, document, "Q", {"id": "o1"})
    assert response == {
        "data": {
            "order": {
                "items": [
                    {"name": "Desk", "shippingCost": 20},
                    {"name": "Lamp", "shippingCost": 5},
                    {"name": "Desk", "shippingCost": 20},
                ]
            }
        }
    }
    assert catalog.entity_calls == [
        [{"__typename": "Product", "sku": "p1"}, {"__typename": "Product", "sku": "p2"}]
    ]
    assert shipping.entity_calls == [
        [
            {"__typename": "Product", "sku": "p1", "weight": 2.0},
            {"__typename": "Product", "sku": "p2", "weight": 0.5},
        ]
    ]


async def test_only_used_variables_are_forwarded_and_configured_headers_are_sent() -> None:
    orders, catalog = orders_subgraph(), catalog_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("items { __typename sku }"),
                Flatten(ITEMS, entity_fetch("catalog", "... on Product { name }")),
            )
        )
    )
    document = parse("query Q($id: ID!, $unused: Int) { order(id: $id) { items { name } } }")
    async with gateway(API_SDL, orders, catalog, headers={"x-gateway": "pg"}) as executor:
        variables = {"id": "o1", "unused": 3}
        await executor.execute(plan, document, "Q", variables, headers={"x-principal": "p1"})
        with pytest.raises(ValueError, match="invalid HTTP header"):
            await executor.execute(plan, document, "Q", variables, headers={"x-p": "a\r\nb: c"})
    assert orders.requests[0]["variables"] == {"id": "o1"}
    assert set(catalog.requests[0]["variables"]) == {"representations"}
    assert orders.headers[0]["x-gateway"] == catalog.headers[0]["x-gateway"] == "pg"
    assert orders.headers[0]["x-principal"] == catalog.headers[0]["x-principal"] == "p1"
    assert len(orders.requests) == 1  # the refused request sent nothing


async def test_nested_lists_get_the_right_indices() -> None:
    """Case 4: `order.boxes.@.items.@`."""
    orders, catalog = orders_subgraph(), catalog_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("boxes { label items { __typename sku } }"),
                Flatten(
                    ("order", "boxes", "@", "items", "@"),
                    entity_fetch("catalog", "... on Product { name }"),
                ),
            )
        )
    )
    document = parse('query { order(id: "o1") { boxes { label items { sku name } } } }')
    async with gateway(API_SDL, orders, catalog) as executor:
        response = await executor.execute(plan, document, None, {"id": "o1"})
    assert response["data"]["order"]["boxes"] == [
        {"label": "A", "items": [{"sku": "p1", "name": "Desk"}, {"sku": "p2", "name": "Lamp"}]},
        {"label": "B", "items": [{"sku": "p3", "name": "Chair"}]},
    ]
    assert len(catalog.entity_calls) == 1
    assert [r["sku"] for r in catalog.entity_calls[0]] == ["p1", "p2", "p3"]


async def test_compound_key_gives_a_nested_representation() -> None:
    """Case 5: `@key(fields: "id org { id }")`."""
    orders, billing = orders_subgraph(), billing_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("account { __typename id org { id } }"),
                Flatten(
                    ("order", "account"),
                    entity_fetch(
                        "billing",
                        "... on Account { balance }",
                        requires=(
                            on(
                                "Account",
                                field("__typename"),
                                field("id"),
                                field("org", field("id")),
                            ),
                        ),
                    ),
                ),
            )
        )
    )
    document = parse('{ order(id: "o1") { account { id balance } } }')
    async with gateway(API_SDL, orders, billing) as executor:
        response = await executor.execute(plan, document, None, {"id": "o1"})
    assert response == {"data": {"order": {"account": {"id": "a1", "balance": 400}}}}
    assert billing.entity_calls == [[{"__typename": "Account", "id": "a1", "org": {"id": "org9"}}]]


async def test_null_parent_and_zero_representations_skip_the_fetch() -> None:
    """Case 28: no order, or an order without items: catalog is never called."""
    orders, catalog = orders_subgraph(), catalog_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("id items { __typename sku }"),
                Flatten(ITEMS, entity_fetch("catalog", "... on Product { name }")),
            )
        )
    )
    document = parse("query Q($id: ID!) { order(id: $id) { id items { name } } }")
    async with gateway(API_SDL, orders, catalog) as executor:
        missing = await executor.execute(plan, document, "Q", {"id": "nope"})
        empty = await executor.execute(plan, document, "Q", {"id": "empty"})
    assert missing == {"data": {"order": None}}
    assert empty == {"data": {"order": {"id": "empty", "items": []}}}
    assert catalog.requests == []


async def test_one_field_under_two_aliases_with_different_arguments() -> None:
    """Case 22: both aliases are sent and both come back."""
    orders, catalog = orders_subgraph(), catalog_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("items { __typename sku }"),
                Flatten(
                    ITEMS,
                    entity_fetch(
                        "catalog",
                        '... on Product { usd: price(currency: "USD") '
                        'eur: price(currency: "EUR") }',
                    ),
                ),
            )
        )
    )
    document = parse(
        '{ order(id: "o1") { items { usd: price(currency: "USD") eur: price(currency: "EUR") } } }'
    )
    async with gateway(API_SDL, orders, catalog) as executor:
        response = await executor.execute(plan, document, None, {"id": "o1"})
    assert response["data"]["order"]["items"][0] == {"usd": 10.0, "eur": 9.0}


async def test_alias_clashing_with_the_key_uses_an_internal_alias_and_rewrite() -> None:
    """Case 23: the client asks `sku: name`; the key `sku` travels under an internal alias
    in the orders fetch, and catalog's `name` comes back renamed to the client's `sku`."""
    orders, catalog = orders_subgraph(), catalog_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("items { __typename sku__key: sku }"),
                Flatten(
                    ITEMS,
                    entity_fetch(
                        "catalog",
                        "... on Product { sku__alias_0: name }",
                        requires=(
                            on("Product", field("__typename"), field("sku", alias="sku__key")),
                        ),
                        output_rewrites=(KeyRenamer(("... on Product", "sku__alias_0"), "sku"),),
                    ),
                ),
            )
        )
    )
    document = parse('{ order(id: "o1") { items { sku: name } } }')
    async with gateway(API_SDL, orders, catalog) as executor:
        response = await executor.execute(plan, document, None, {"id": "o1"})
    assert response == {
        "data": {"order": {"items": [{"sku": "Desk"}, {"sku": "Lamp"}, {"sku": "Desk"}]}}
    }
    assert catalog.entity_calls[0][0] == {"__typename": "Product", "sku": "p1"}


async def test_condition_on_include_variable_skips_the_fetch_when_false() -> None:
    """Case 21: `shippingCost @include(if: $s)` behind a jump."""
    orders, catalog, shipping = orders_subgraph(), catalog_subgraph(), shipping_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                order_fetch("items { __typename sku }"),
                Flatten(
                    ITEMS,
                    entity_fetch(
                        "catalog",
                        "... on Product { name ... on Product @include(if: $s) { weight } }",
                        variables=", $s: Boolean!",
                        variable_usages=("s",),
                    ),
                ),
                Condition(
                    "s",
                    Flatten(
                        ITEMS,
                        entity_fetch(
                            "shipping",
                            "... on Product { shippingCost }",
                            requires=(
                                on("Product", field("__typename"), field("sku"), field("weight")),
                            ),
                        ),
                    ),
                ),
            )
        )
    )
    document = parse(
        "query Q($id: ID!, $s: Boolean!) "
        "{ order(id: $id) { items { name shippingCost @include(if: $s) } } }"
    )
    async with gateway(API_SDL, orders, catalog, shipping) as executor:
        off = await executor.execute(plan, document, "Q", {"id": "o1", "s": False})
        assert shipping.requests == []
        on_ = await executor.execute(plan, document, "Q", {"id": "o1", "s": True})
    assert off["data"]["order"]["items"][0] == {"name": "Desk"}
    assert on_["data"]["order"]["items"][0] == {"name": "Desk", "shippingCost": 20}
    assert len(shipping.requests) == 1


async def test_union_members_only_matching_entities_are_sent() -> None:
    """A `requires` fragment applies by `__typename`: only the Products are represented."""
    orders, catalog = orders_subgraph(), catalog_subgraph()
    plan = QueryPlan(
        Sequence(
            (
                Fetch(
                    "orders",
                    "{ search { __typename ... on Product { sku } ... on Order { id } } }",
                ),
                Flatten(("search", "@"), entity_fetch("catalog", "... on Product { name }")),
            )
        )
    )
    document = parse("{ search { __typename ... on Product { name } ... on Order { id } } }")
    async with gateway(API_SDL, orders, catalog) as executor:
        response = await executor.execute(plan, document, None, {"id": "o1"})
    assert response == {
        "data": {
            "search": [
                {"__typename": "Product", "name": "Lamp"},
                {"__typename": "Order", "id": "o1"},
                {"__typename": "Product", "name": "Desk"},
            ]
        }
    }
    assert catalog.entity_calls == [
        [{"__typename": "Product", "sku": "p2"}, {"__typename": "Product", "sku": "p1"}]
    ]
    assert PRODUCT_KEY  # the default requires used above


async def test_root_fetch_under_a_flatten_merges_at_the_path_with_prefixed_errors() -> None:
    """Case 25: a field returning `Query` leads to a root fetch in another subgraph; its
    result lands under the field and its errors are prefixed with that path."""

    def unavailable(_info: object) -> str:
        raise ValueError("name unavailable")

    outer = Subgraph("outer", "type Query { a: A }\ntype A { q: Query }", root={"a": {"q": {}}})
    inner = Subgraph(
        "inner",
        "type Query { products: [P] }\ntype P { id: ID! name: String }",
        root={"products": [{"id": "1", "name": "n1"}, {"id": "2", "name": unavailable}]},
    )
    api = "type Query { a: A products: [P] }\ntype A { q: Query }\ntype P { id: ID! name: String }"
    plan = QueryPlan(
        Sequence(
            (
                Fetch("outer", "{ a { q { __typename } } }"),
                Flatten(("a", "q"), Fetch("inner", "{ products { id name } }")),
            )
        )
    )
    document = parse("{ a { q { products { id name } } } }")
    async with gateway(api, outer, inner) as executor:
        response = await executor.execute(plan, document, None, {})
    assert response["data"] == {
        "a": {"q": {"products": [{"id": "1", "name": "n1"}, {"id": "2", "name": None}]}}
    }
    assert [(e["message"], e["path"]) for e in response["errors"]] == [
        ("name unavailable", ["a", "q", "products", 1, "name"])
    ]
