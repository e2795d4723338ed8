"""The `Gateway` facade: loading, `execute` without HTTP (same pipeline, same codes as
HTTP), `plan`, configuration errors, closing."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from serving_support import codes, supergraph_sdl

from gateway.config import ConfigError, GatewayConfig
from gateway.gateway import Gateway
from gateway.planner.plan import QueryPlan
from gateway.server.operations import RequestError
from gateway.supergraph import SupergraphError


async def test_from_file_reads_the_supergraph(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_sdl())
    gateway = Gateway.from_file(path)
    assert set(gateway.supergraph.subgraph_urls) == {"deals", "partners"}
    assert gateway.ready
    await gateway.aclose()


def test_from_file_says_which_file_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(SupergraphError, match=r"cannot read the supergraph file .*absent"):
        Gateway.from_file(tmp_path / "absent.graphql")


def test_from_sdl_refuses_a_broken_supergraph() -> None:
    with pytest.raises(SupergraphError):
        Gateway.from_sdl("type Query {")


@pytest.mark.parametrize(
    ("query", "variables", "operation_name", "code"),
    [
        ("{ deals { id", None, None, "GRAPHQL_PARSE_FAILED"),
        ("{ deals { id secret } }", None, None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($id: ID!) { deal(id: $id) { id } }", {}, None, "BAD_USER_INPUT"),
        ("query($id: ID!) { deal(id: $id) { id } }", {"id": {"x": 1}}, None, "BAD_USER_INPUT"),
        ("query A { __typename }", None, "B", "OPERATION_RESOLUTION_FAILURE"),
        (
            "query A { __typename } query B { __typename }",
            None,
            None,
            "OPERATION_RESOLUTION_FAILURE",
        ),
        ("subscription { dealChanged { id } }", None, None, "OPERATION_NOT_ALLOWED"),
        ("", None, None, "BAD_REQUEST"),
    ],
)
async def test_execute_answers_bad_input_with_a_coded_request_error(
    gateway: Gateway, query: str, variables: dict | None, operation_name: str | None, code: str
) -> None:
    body = await gateway.execute(query, variables, operation_name)
    assert codes(body) == [code]
    assert "data" not in body
    assert body["errors"][0]["message"]


async def test_execute_and_http_give_the_same_answer(
    gateway: Gateway, client: httpx.AsyncClient
) -> None:
    for query in ("{ deals { id secret } }", "{ __typename }", "{ deal(id: 1) { id "):
        over_http = await client.post("/graphql", json={"query": query})
        assert over_http.json() == await gateway.execute(query)


async def test_an_unreachable_subgraph_is_an_error_in_the_response(gateway: Gateway) -> None:
    body = await gateway.execute("{ deals { id } }")
    assert body["data"] is None
    assert codes(body) == ["SUBGRAPH_UNAVAILABLE"]


async def test_an_operation_that_cannot_be_planned_is_explained_in_the_log_only(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        body = await gateway.execute("query Q { partners { openDeals } }")
    assert body["data"] is None
    assert codes(body) == ["QUERY_PLANNING_FAILED"]
    assert "openDeals" not in body["errors"][0]["message"]
    assert "Partner.openDeals" in caplog.text


def test_plan_returns_the_cached_plan(gateway: Gateway) -> None:
    query = "{ deals { title partner { name } } }"
    plan = gateway.plan(query)
    assert isinstance(plan, QueryPlan)
    text = str(plan)
    assert 'Fetch(service: "deals")' in text and 'Fetch(service: "partners")' in text
    assert gateway.plan(query) is plan


@pytest.mark.parametrize(
    ("query", "operation_name", "code"),
    [
        ("{ deals {", None, "GRAPHQL_PARSE_FAILED"),
        ("{ deals { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query A { deals { id } }", "B", "OPERATION_RESOLUTION_FAILURE"),
    ],
)
def test_plan_refuses_what_clients_could_not_run(
    gateway: Gateway, query: str, operation_name: str | None, code: str
) -> None:
    with pytest.raises(RequestError) as refused:
        gateway.plan(query, operation_name)
    assert [(error.extensions or {}).get("code") for error in refused.value.errors] == [code]


async def test_aclose_is_idempotent_and_ends_readiness(fresh_gateway: Gateway) -> None:
    await fresh_gateway.aclose()
    await fresh_gateway.aclose()
    assert not fresh_gateway.ready


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"port": 70_000}, "port"),
        ({"subgraph_timeout": 0}, "subgraph_timeout"),
        ({"operation_cache_size": 0}, "operation_cache_size"),
    ],
)
def test_config_values_out_of_range_are_refused(settings: dict, name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        GatewayConfig(**settings)
