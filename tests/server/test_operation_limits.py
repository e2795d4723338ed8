"""Limits against hostile operations: depth, aliases, root fields, tokens. Each violation
gets its own code; fragments cannot multiply an operation past a limit; the defaults admit
GraphiQL's introspection query."""

from __future__ import annotations

import httpx
import pytest
from graphql import (
    FragmentDefinitionNode,
    OperationDefinitionNode,
    get_introspection_query,
    parse,
)
from serving_support import GRAPHQL_RESPONSE_JSON, codes

from gateway.config import ConfigError, GatewayConfig, Limits
from gateway.gateway import Gateway
from gateway.server.limits import Shape, measure
from gateway.server.operations import RequestError

TIGHT = GatewayConfig(limits=Limits(max_depth=3, max_aliases=2, max_tokens=40, max_root_fields=3))


def shape_of(query: str) -> Shape:
    document = parse(query)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return measure(operation.selection_set, fragments.get)


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        ("{ a }", Shape(depth=1, aliases=0, root_fields=1)),
        ("{ a { b { c } } d }", Shape(depth=3, aliases=0, root_fields=2)),
        ("{ x: a y: a { z: b } }", Shape(depth=2, aliases=3, root_fields=2)),
        # A fragment counts every time it is spread, and its fields are root fields here.
        ("{ ...F ...F } fragment F on Q { x: a y: b }", Shape(depth=1, aliases=4, root_fields=4)),
        ("{ ... on Q { a { b } } c }", Shape(depth=2, aliases=0, root_fields=2)),
        ("{ a { ...F } } fragment F on A { b { c } }", Shape(depth=3, aliases=0, root_fields=1)),
        # Spreads nested in spreads multiply (4 x 4 aliases), measured without expanding.
        (
            "{ ...G ...G ...G ...G } fragment G on Q { ...F ...F ...F ...F }"
            " fragment F on Q { x: a }",
            Shape(depth=1, aliases=16, root_fields=16),
        ),
        # A fragment cycle (a validation error of its own) does not loop forever.
        ("{ ...F } fragment F on Q { a ...F }", Shape(depth=1, aliases=0, root_fields=1)),
        # Introspection counts as one level; graphql-core's own rule bounds what is below.
        ("{ __schema { types { fields { name } } } }", Shape(depth=1, aliases=0, root_fields=1)),
    ],
)
def test_measure(query: str, shape: Shape) -> None:
    assert shape_of(query) == shape


@pytest.mark.parametrize("config", [TIGHT])
@pytest.mark.parametrize(
    "query",
    [
        "{ deals { partner { name } } }",
        "{ deals { partner { deals: name } } }",
        "query Q { deals { partner { name } } deal(id: 1) { partner { x: name } } }",
    ],
)
def test_within_the_limits_an_operation_is_planned(gateway: Gateway, query: str) -> None:
    plan = gateway.plan(query)
    assert plan.node is not None


@pytest.mark.parametrize("config", [TIGHT])
@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ a: __typename b: __typename c: __typename }", "MAX_ALIASES_EXCEEDED"),
        (
            "{ __typename deals { id } partners { id } deal(id: 1) { id } }",
            "MAX_ROOT_FIELDS_EXCEEDED",
        ),
        (
            "{ ...F ...F } fragment F on Query { deals { x: id y: id } }",
            "MAX_ALIASES_EXCEEDED",
        ),
        ("{ " + "__typename " * 40 + "}", "MAX_TOKENS_EXCEEDED"),
    ],
)
async def test_each_limit_has_its_code(gateway: Gateway, query: str, code: str) -> None:
    body = await gateway.execute(query)
    assert codes(body) == [code]
    assert "data" not in body
    assert body["errors"][0]["extensions"]["limit"] > 0
    with pytest.raises(RequestError) as refused:
        gateway.plan(query)
    assert codes({"errors": [e.formatted for e in refused.value.errors]}) == [code]


@pytest.mark.parametrize("config", [GatewayConfig(limits=Limits(max_depth=2))])
async def test_depth_over_the_limit(gateway: Gateway) -> None:
    body = await gateway.execute("query Deep { deals { partner { name } } }")
    assert codes(body) == ["MAX_DEPTH_EXCEEDED"]
    message = body["errors"][0]["message"]
    assert "'Deep'" in message and "depth 3" in message and "limit of 2" in message


@pytest.mark.parametrize("config", [GatewayConfig(limits=Limits(max_depth=1, max_aliases=1))])
async def test_several_violations_are_all_reported(gateway: Gateway) -> None:
    body = await gateway.execute("{ a: deals { id } b: deals { id } }")
    assert sorted(codes(body)) == ["MAX_ALIASES_EXCEEDED", "MAX_DEPTH_EXCEEDED"]


@pytest.mark.parametrize("config", [TIGHT])
async def test_a_syntax_error_in_a_short_document_is_a_parse_error(gateway: Gateway) -> None:
    assert codes(await gateway.execute("{ deals { id }")) == ["GRAPHQL_PARSE_FAILED"]


@pytest.mark.parametrize("config", [TIGHT])
async def test_comments_do_not_count_as_tokens(gateway: Gateway) -> None:
    query = "# a comment\n" * 100 + "{ __typename }"
    assert await gateway.execute(query) == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("config", [TIGHT])
async def test_limit_errors_over_http_are_request_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "{ a: __typename b: __typename c: __typename }"},
        headers={"accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400
    assert codes(response.json()) == ["MAX_ALIASES_EXCEEDED"]


async def test_the_defaults_admit_graphiqls_introspection_query(gateway: Gateway) -> None:
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = await gateway.execute(query)
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_deep_introspection_is_refused(gateway: Gateway) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    body = await gateway.execute(query)
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "introspection depth" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "limits",
    [{"max_depth": 0}, {"max_aliases": -1}, {"max_tokens": 1.5}, {"max_body_bytes": True}],
)
def test_limits_must_be_positive_integers(limits: dict) -> None:
    with pytest.raises(ConfigError, match=next(iter(limits))):
        Limits(**limits)
