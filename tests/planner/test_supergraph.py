"""Supergraph loading: join metadata, the API schema, and refusing what we cannot serve."""

from __future__ import annotations

import re

import pytest
from graphql import parse, validate
from planner_support import HERE, fetches, plan, supergraph

from gateway.planner import QueryPlanner
from gateway.supergraph import Supergraph, SupergraphError


def planner_for(sdl: str) -> QueryPlanner:
    return QueryPlanner(Supergraph.from_sdl(sdl))


SHOP = (HERE / "supergraphs" / "shop.graphql").read_text()


def test_subgraph_urls_use_join_graph_names() -> None:
    assert supergraph("shop").subgraph_urls == {
        "accounts": "http://accounts.example/graphql",
        "inventory": "http://inventory.example/graphql",
        "products": "http://products.example/graphql",
        "reviews": "http://reviews.example/graphql",
    }


def test_api_schema_strips_join_link_and_inaccessible() -> None:
    api = supergraph("shop").api_sdl
    for hidden in ("join__", "link__", "@link", "@join", "@inaccessible", "secretNote"):
        assert hidden not in api
    schema = supergraph("shop").api_schema
    assert "name" in schema.get_type("User").fields  # type: ignore[union-attr]
    assert "secretNote" not in schema.get_type("User").fields  # type: ignore[union-attr]
    # The full supergraph keeps it: a @requires may name an inaccessible field.
    assert "secretNote" in supergraph("shop").schema.get_type("User").fields  # type: ignore[union-attr]


def test_inaccessible_enum_values_arguments_and_types_are_stripped() -> None:
    schema = supergraph("shop").api_schema
    assert list(schema.get_type("Currency").values) == ["EUR", "USD"]  # type: ignore[union-attr]
    price = schema.get_type("Product").fields["price"]  # type: ignore[union-attr]
    assert list(price.args) == ["currency"]
    assert schema.get_type("Audit") is None
    assert "audit" not in schema.get_type("Product").fields  # type: ignore[union-attr]


def test_requires_may_name_an_inaccessible_field() -> None:
    result = plan("shop", "{ topProducts { label } }")
    (_, products), (_, inventory) = fetches(result)
    assert "internalCode" in products.operation
    assert "internalCode" in str(inventory.requires[0])


def test_older_join_versions_load_the_same_metadata() -> None:
    for version in ("v0.3", "v0.4"):
        older = Supergraph.from_sdl(SHOP.replace("join/v0.5", f"join/{version}"))
        assert older.join == supergraph("shop").join
        assert older.api_sdl == supergraph("shop").api_sdl


def test_inaccessible_field_fails_validation() -> None:
    errors = validate(supergraph("shop").api_schema, parse("{ me { secretNote } }"))
    assert errors and "secretNote" in errors[0].message


def test_join_metadata() -> None:
    join = supergraph("shop").join
    product = join.types["Product"]
    assert [k.fields for k in product.keys("products")] == ["upc", "sku org { id }"]
    user = join.types["User"]
    assert [(k.fields, k.resolvable) for k in user.keys("reviews")] == [("email", False)]
    estimate = product.fields["shippingEstimate"].in_graph("inventory")
    assert estimate is not None and estimate.requires == "dims{w}"
    name = user.fields["name"].in_graph("reviews")
    assert name is not None and name.external
    assert 'in reviews @key("email", resolvable: false)' in str(user)


def test_enum_values_know_their_subgraphs() -> None:
    currency = supergraph("shop").join.types["Currency"]
    assert currency.enum_values == {
        "EUR": frozenset({"products"}),
        "USD": frozenset({"products"}),
        "GBP": frozenset({"products"}),
    }


def test_renamed_join_spec_is_read_through_link() -> None:
    renamed = (
        SHOP.replace('join/v0.5", for: EXECUTION', 'join/v0.5", as: "j", for: EXECUTION')
        .replace("join__", "j__")
        .replace("@join__", "@j__")
    )
    loaded = Supergraph.from_sdl(renamed)
    assert loaded.join.types["Product"].keys("inventory")[0].fields == "sku org { id }"
    assert "j__" not in loaded.api_sdl


@pytest.mark.parametrize(
    "link",
    [
        # @requiresScopes, and @fromContext (context arguments are not planned yet).
        '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
        '@link(url: "https://specs.apollo.dev/context/v0.1", for: SECURITY)',
        '@link(url: "https://example.com/sharding/v1.0", for: EXECUTION)',
    ],
)
def test_refuses_unsupported_security_or_execution_features(link: str) -> None:
    sdl = SHOP.replace(
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        f'@link(url: "https://specs.apollo.dev/link/v1.0") {link}',
    )
    with pytest.raises(SupergraphError, match=r"for: (SECURITY|EXECUTION)\): the gateway"):
        Supergraph.from_sdl(sdl)


def test_ignores_unknown_feature_without_purpose() -> None:
    sdl = SHOP.replace(
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        '@link(url: "https://specs.apollo.dev/link/v1.0") '
        '@link(url: "https://example.com/audit/v1.0", import: ["@audit"])',
    )
    assert (
        Supergraph.from_sdl(sdl).join.subgraphs.keys() == supergraph("shop").join.subgraphs.keys()
    )


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        ("type Query {", "does not parse"),
        ("type Query { a: Int }", "does not @link the link spec"),
        (
            SHOP.replace("join/v0.5", "join/v0.9"),
            "version v0.9 of join is not supported",
        ),
        (
            SHOP.replace(
                '@join__type(graph: INVENTORY, key: "sku org { id }")',
                '@join__type(graph: NOWHERE, key: "sku org { id }")',
            ),
            "type Product @join__type: unknown join__Graph value 'NOWHERE'",
        ),
        (
            SHOP.replace('key: "sku org { id }"', 'key: "sku org {"', 1),
            "bad field set",
        ),
    ],
)
def test_bad_supergraphs_are_refused_with_a_clear_message(sdl: str, message: str) -> None:
    with pytest.raises(SupergraphError, match=message) as caught:
        Supergraph.from_sdl(sdl)
    assert caught.value.extensions == {"code": "INVALID_SUPERGRAPH"}


def test_subgraph_schema_is_recovered_from_the_join_metadata() -> None:
    ratings = supergraph("media").subgraph_schema("ratings")
    media = ratings.get_type("Media")
    # An @interfaceObject is an object type in its subgraph.
    assert media is not None and media.__class__.__name__ == "GraphQLObjectType"
    assert "_entities" in ratings.query_type.fields  # type: ignore[union-attr]
    books = supergraph("media").subgraph_schema("books")
    assert [t.name for t in books.get_possible_types(books.get_type("Media"))] == ["Book"]  # type: ignore[arg-type]
    assert "minutes" not in str(books.get_type("Book").fields)  # type: ignore[union-attr]
    with pytest.raises(SupergraphError, match="unknown subgraph 'nope'"):
        supergraph("media").subgraph_schema("nope")


def test_join_v02_union_without_member_records_keeps_all_members() -> None:
    sdl = (HERE / "supergraphs" / "media.graphql").read_text()
    sdl = sdl.replace("join/v0.5", "join/v0.2")
    sdl = re.sub(r' @join__unionMember\(graph: \w+, member: "\w+"\)', "", sdl)
    result = planner_for(sdl).plan(parse('{ search(text: "x") { ... on Movie { minutes } } }'))
    assert [fetch.service for _, fetch in fetches(result)] == ["search", "movies"]
