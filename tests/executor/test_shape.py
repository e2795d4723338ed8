"""Shaping to the client's operation: aliases, fragments, `__typename`, skip/include,
planner-added fields, introspection answered by the gateway itself."""

from __future__ import annotations

from executor_commerce import API_SDL, orders_subgraph
from executor_harness import gateway
from graphql import build_schema, parse

from gateway.executor import Executor
from gateway.executor.schema_index import SchemaIndex
from gateway.executor.shape import Shaping
from gateway.planner.plan import Fetch, QueryPlan

CLIENT_QUERY = """
query Q($withNote: Boolean!, $skipId: Boolean = false) {
  search { ... on Order { orderId: id } ...ProductSku __typename }
  __typename
  first: order(id: "o1") { ...OrderParts note @include(if: $withNote) }
}
fragment OrderParts on Order { id @skip(if: $skipId) lines: items { ... { sku } } }
fragment ProductSku on Product { sku }
"""

# What a planner sends for it: everything, plus `__typename`s the client did not ask for.
ORDERS_FETCH = Fetch(
    "orders",
    "query { "
    'first: order(id: "o1") { __typename id lines: items { __typename sku } note } '
    "search { __typename ... on Order { orderId: id } ... on Product { sku } } }",
)


async def test_aliases_fragments_typename_and_skip_include() -> None:
    orders = orders_subgraph()
    document = parse(CLIENT_QUERY)
    async with gateway(API_SDL, orders) as executor:
        plain = await executor.execute(QueryPlan(ORDERS_FETCH), document, "Q", {"withNote": False})
        noted = await executor.execute(
            QueryPlan(ORDERS_FETCH), document, "Q", {"withNote": True, "skipId": True}
        )
    lines = [{"sku": "p1"}, {"sku": "p2"}, {"sku": "p1"}]
    assert plain == {
        "data": {
            "search": [
                {"sku": "p2", "__typename": "Product"},
                {"orderId": "o1", "__typename": "Order"},
                {"sku": "p1", "__typename": "Product"},
            ],
            "__typename": "Query",
            "first": {"id": "o1", "lines": lines},
        }
    }
    assert list(plain["data"]) == ["search", "__typename", "first"]
    assert list(plain["data"]["search"][1]) == ["orderId", "__typename"]
    assert noted["data"]["first"] == {"lines": lines, "note": "rush"}


async def test_introspection_and_root_typename_are_answered_locally() -> None:
    executor = Executor(build_schema(API_SDL), {})
    try:
        response = await executor.execute(
            QueryPlan(None),
            parse(
                "query I($t: String!) { __typename "
                "__schema { queryType { name } } "
                "product: __type(name: $t) { name kind fields { name } } }"
            ),
            "I",
            {"t": "Order"},
        )
    finally:
        await executor.aclose()
    assert response == {
        "data": {
            "__typename": "Query",
            "__schema": {"queryType": {"name": "Query"}},
            "product": {
                "name": "Order",
                "kind": "OBJECT",
                "fields": [{"name": n} for n in ("id", "items", "boxes", "account", "note")],
            },
        }
    }


async def test_introspection_beside_subgraph_fields() -> None:
    orders = orders_subgraph()
    document = parse('{ order(id: "o1") { id } __type(name: "Color") { enumValues { name } } }')
    plan = QueryPlan(Fetch("orders", '{ order(id: "o1") { id } }'))
    async with gateway(API_SDL, orders) as executor:
        response = await executor.execute(plan, document, None, {})
    assert response == {
        "data": {
            "order": {"id": "o1"},
            "__type": {"enumValues": [{"name": "RED"}, {"name": "GREEN"}]},
        }
    }
    assert len(orders.requests) == 1


def shape(query: str, data: dict[str, object]) -> tuple[object, list[dict[str, object]]]:
    schema = build_schema(API_SDL)
    document = parse(query)
    errors: list[dict[str, object]] = []
    shaping = Shaping(SchemaIndex(schema), {}, {}, errors, set())
    operation = document.definitions[0]
    assert schema.query_type is not None
    shaped = shaping.shape_root(schema.query_type, operation.selection_set, data)  # type: ignore[attr-defined]
    return shaped, errors


def test_an_abstract_value_without_a_concrete_typename_is_null_with_an_error() -> None:
    shaped, errors = shape(
        "{ search { ... on Product { sku } } }",
        {"search": [{"__typename": "Product", "sku": "p1"}, {"__typename": "SearchResult"}]},
    )
    assert shaped is None  # `[SearchResult!]!` bubbles to the root
    assert [(e["path"], e["extensions"]) for e in errors] == [
        (["search", 1], {"code": "RESPONSE_VALIDATION_FAILED"})
    ]


def test_missing_fields_are_null_and_extra_fields_vanish() -> None:
    shaped, errors = shape(
        '{ order(id: "o1") { id note account { id } } }',
        {"order": {"id": "o1", "__typename": "Order", "_internal__0": 1, "account": None}},
    )
    assert shaped == {"order": {"id": "o1", "note": None, "account": None}}
    assert errors == []


def test_a_wrongly_shaped_value_is_null_with_an_error() -> None:
    shaped, errors = shape(
        '{ order(id: "o1") { note account { id } items { weight } } }',
        {"order": {"note": 5, "account": "a1", "items": [{"weight": "heavy"}, {"weight": 2}]}},
    )
    assert shaped == {
        "order": {"note": None, "account": None, "items": [{"weight": None}, {"weight": 2}]}
    }
    assert [e["path"] for e in errors] == [
        ["order", "note"],
        ["order", "account"],
        ["order", "items", 0, "weight"],
    ]


async def test_an_unknown_operation_name_is_a_request_error() -> None:
    executor = Executor(build_schema(API_SDL), {})
    try:
        document = parse("query A { __typename } query B { __typename }")
        unknown = await executor.execute(QueryPlan(None), document, "C", {})
        unnamed = await executor.execute(QueryPlan(None), document, None, {})
        subscription = await executor.execute(
            QueryPlan(None), parse("subscription { __typename }"), None, {}
        )
    finally:
        await executor.aclose()
    for response in (unknown, unnamed, subscription):
        assert "data" not in response
        assert [e["extensions"]["code"] for e in response["errors"]] == ["UNKNOWN_OPERATION"]


MEDIA_SDL = """
type Query { topRated: [Media] }
interface Media { id: ID! stars: Float }
type Book implements Media { id: ID! stars: Float pages: Int }
"""


def shape_media(query: str, data: dict[str, object]) -> tuple[object, list[dict[str, object]]]:
    schema = build_schema(MEDIA_SDL)
    errors: list[dict[str, object]] = []
    shaping = Shaping(SchemaIndex(schema), {}, {}, errors, set())
    assert schema.query_type is not None
    operation = parse(query).definitions[0]
    return shaping.shape_root(schema.query_type, operation.selection_set, data), errors  # type: ignore[attr-defined]


def test_an_interface_object_value_shapes_as_the_interface() -> None:
    """Case 16's fallback: the only subgraph asked knows `Media` as an interface object."""
    data: dict[str, object] = {
        "topRated": [
            {"__typename": "Media", "id": "m1", "stars": 4.5},
            {"__typename": "Book", "id": "b1", "pages": 3},
        ]
    }
    shaped, errors = shape_media("{ topRated { id stars ... on Book { pages } } }", data)
    assert shaped == {
        "topRated": [{"id": "m1", "stars": 4.5}, {"id": "b1", "stars": None, "pages": 3}]
    }
    assert errors == []
    shaped, errors = shape_media("{ topRated { __typename id } }", data)
    assert shaped == {"topRated": [None, {"__typename": "Book", "id": "b1"}]}
    assert [e["path"] for e in errors] == [["topRated", 0, "__typename"]]
