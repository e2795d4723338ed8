"""Contract test of the Strawberry seam (`gateway.server.schema`).

`GatewaySchema` leans on Strawberry internals: it replaces the private `_schema` of a
`strawberry.Schema` and short-circuits execution from an extension. If a Strawberry upgrade
changes either, these tests fail: the runtime schema must be the one served (HTTP and
introspection), the federation plumbing must stay out of reach, and error masking must
hide what is unexpected while letting our coded errors through.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from graphql import DocumentNode, get_introspection_query
from serving_support import codes, supergraph_sdl
from strawberry.extensions import SchemaExtension

from gateway.config import Limits
from gateway.gateway import Gateway
from gateway.planner import QueryPlanner
from gateway.planner.plan import QueryPlan
from gateway.server.errors import ResponseError
from gateway.server.operations import OperationPipeline, response_body
from gateway.server.schema import GatewaySchema
from gateway.supergraph import Supergraph

SECRET = "mongodb://admin:hunter2@db.internal:27017"


async def test_the_api_schema_is_what_strawberry_serves(gateway: Gateway) -> None:
    schema = gateway.schema
    assert schema._schema is gateway.supergraph.api_schema
    assert str(schema) == schema.as_str() == gateway.supergraph.api_sdl


async def test_introspection_over_http_shows_the_api_types_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": get_introspection_query()})
    assert response.status_code == 200
    schema = response.json()["data"]["__schema"]
    types = {t["name"]: t for t in schema["types"]}
    assert {"Deal", "Partner", "Stage", "Mutation", "Subscription"} <= types.keys()
    assert schema["queryType"]["name"] == "Query"
    # Federation plumbing, join metadata and Strawberry's placeholder are not there.
    for hidden in ("_Entity", "_Any", "_Service", "join__Graph", "link__Purpose", "_Placeholder"):
        assert hidden not in types
    query_fields = {f["name"] for f in types["Query"]["fields"]}
    assert query_fields == {"deals", "deal", "partners"}
    deal_fields = {f["name"] for f in types["Deal"]["fields"]}
    assert "margin" not in deal_fields  # @inaccessible in the supergraph


@pytest.mark.parametrize(
    "query",
    [
        '{ _entities(representations: [{__typename: "Partner", id: "p1"}]) { __typename } }',
        "{ _service { sdl } }",
        "{ placeholder }",
        "{ deals { margin } }",
    ],
)
async def test_federation_fields_and_hidden_fields_are_not_reachable(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.post("/graphql", json={"query": query})
    body = response.json()
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "data" not in body


async def test_every_request_gets_fresh_extension_instances(gateway: Gateway) -> None:
    first = gateway.schema.get_extensions()
    second = gateway.schema.get_extensions()
    assert first and all(isinstance(e, SchemaExtension) for e in first)
    assert not {id(e) for e in first} & {id(e) for e in second}


class FailingExecutor:
    """An executor that fails the way a bug would: with an exception whose text must never
    reach a client."""

    async def execute(
        self,
        plan: QueryPlan,
        document: DocumentNode,
        name: str | None,
        variables: dict[str, Any],
        **options: Any,
    ) -> dict[str, Any]:
        raise RuntimeError(f"cannot connect to {SECRET}")


class ErrorExecutor:
    """An executor answering with an uncoded subgraph error, as the real one passes them."""

    async def execute(
        self,
        plan: QueryPlan,
        document: DocumentNode,
        name: str | None,
        variables: dict[str, Any],
        **options: Any,
    ) -> dict[str, Any]:
        return {"data": {"deals": None}, "errors": [{"message": "deal store is busy"}]}


def schema_with(executor: Any) -> GatewaySchema:
    supergraph = Supergraph.from_sdl(supergraph_sdl())
    pipeline = OperationPipeline(
        supergraph.api_schema, QueryPlanner(supergraph), executor, Limits(), cache_size=8
    )
    return GatewaySchema(supergraph.api_schema, supergraph.api_sdl, pipeline)


async def test_an_unexpected_failure_is_masked_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    schema = schema_with(FailingExecutor())
    with caplog.at_level(logging.ERROR):
        result = await schema.execute("{ deals { id } }")
    body = response_body(result)
    assert body == {
        "data": None,
        "errors": [
            {"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ],
    }
    assert SECRET in caplog.text  # the operator still learns what happened


async def test_executor_errors_pass_through_as_the_executor_shaped_them() -> None:
    result = await schema_with(ErrorExecutor()).execute("{ deals { id } }")
    assert result.errors and isinstance(result.errors[0], ResponseError)
    assert response_body(result) == {
        "data": {"deals": None},
        "errors": [{"message": "deal store is busy"}],
    }


async def test_coded_request_errors_are_not_masked(gateway: Gateway) -> None:
    body = await gateway.execute("{ deals { id ")
    assert codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert body["errors"][0]["message"].startswith("Syntax Error")
