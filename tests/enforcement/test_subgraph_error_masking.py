"""A subgraph's error text never reaches a restricted caller: it may quote hidden values.

The deals subgraph here fails `Deal.flaky` with a message and extensions that quote the
deal's margin (hidden from resellers) and a code that carries it too, except for d3, whose
code is a well-known one. Restricted callers get the generic error with the allowed code and
the subgraph's name; callers whose view shows everything, unrestricted gateways and a gateway
set to `subgraph_errors="pass"` get the subgraph's own error.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from enforcement_harness import (
    DEALS,
    Graph,
    deals_subgraph,
    partners_subgraph,
    policy_set,
    reseller,
    serve_subgraphs,
    supergraph_sdl,
)
from graphql import GraphQLError, GraphQLObjectType

from gateway.config import ConfigError, GatewayConfig
from gateway.enforcement import UNRESTRICTED
from gateway.enforcement.subgraph_errors import MASKED_FIELD_MESSAGE, masked
from gateway.executor.errors import SubgraphError
from gateway.gateway import Gateway
from policies.model import PolicySet
from policies.principal import AuthMethod, Principal
from policies.view import compile_view

QUERY = "{ deals { id flaky } }"
ADMIN = Principal(subject="root", roles=("admin",), auth_method=AuthMethod.JWT)
EVERYTHING = [
    {"id": f"admin-{target.lower()}", "principals": {"roles": ["admin"]}, "target": target,
     "effect": "allow"}
    for target in ("Query", "Mutation", "Deal", "Partner", "Note", "Node")
]  # fmt: skip


def _secret(deal: dict[str, Any]) -> str:
    return f"MARGIN{deal['margin']}"


def _locked(deal: dict[str, Any], _info: Any) -> str:
    code = "NOT_FOUND" if deal["id"] == "d3" else f"LOCKED_{_secret(deal)}"
    raise GraphQLError(
        f"deal {deal['id']} with margin {deal['margin']} is locked",
        extensions={"code": code, "margin": deal["margin"], "hint": _secret(deal)},
    )


def secrets() -> set[str]:
    return {str(deal["margin"]) for deal in DEALS} | {_secret(deal) for deal in DEALS}


@pytest.fixture(scope="module")
async def locked_graph() -> AsyncIterator[Graph]:
    deals = deals_subgraph()
    deal_type = deals.schema.type_map["Deal"]
    assert isinstance(deal_type, GraphQLObjectType)
    deal_type.fields["flaky"].resolve = _locked
    graph = Graph(deals, partners_subgraph(), supergraph_sdl())
    async with serve_subgraphs(graph.deals, graph.partners):
        yield graph


async def run(
    graph: Graph,
    policies: Any,
    principal: Principal,
    query: str = QUERY,
    config: dict[str, Any] | None = None,
) -> dict[str, Any]:
    urls = {"deals": graph.deals.url, "partners": graph.partners.url}
    gateway = Gateway.from_sdl(
        graph.sdl,
        GatewayConfig(**{"subgraph_urls": urls, **(config or {})}),
        policies=policies,
    )
    try:
        return await gateway.execute(query, principal=principal)
    finally:
        await gateway.aclose()


def leaked(response: dict[str, Any]) -> set[str]:
    body = orjson.dumps(response).decode()
    return {secret for secret in secrets() if secret in body} | (
        {"locked"} if "locked" in body else set()
    )


def masked_error(path: list[Any], code: str) -> dict[str, Any]:
    return {
        "message": MASKED_FIELD_MESSAGE,
        "path": path,
        "extensions": {"code": code, "serviceName": "deals"},
    }


async def test_a_restricted_caller_gets_a_generic_error_without_the_subgraphs_words(
    locked_graph: Graph, policies: PolicySet, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="gateway.enforcement.subgraph_errors"):
        response = await run(locked_graph, policies, reseller())
    assert response["data"] == {"deals": [{"id": "d1", "flaky": None}, {"id": "d3", "flaky": None}]}
    # d2 does not exist for the caller (its error is gone); d3's code is a well-known one.
    assert response["errors"] == [
        masked_error(["deals", 0, "flaky"], "SUBGRAPH_ERROR"),
        masked_error(["deals", 1, "flaky"], "NOT_FOUND"),
    ]
    assert leaked(response) == set()
    # Operators still read what the subgraph said, in the server log.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "deal d1 with margin 33301 is locked" in logged


async def test_an_operation_the_view_leaves_unchanged_is_masked_too(locked_graph: Graph) -> None:
    """No record condition and nothing hidden selected: the result pass has nothing to
    rewrite, but the view still hides `Deal.margin`, which the message quotes."""
    policies = policy_set(
        {"id": "q", "target": "Query", "effect": "allow"},
        {"id": "deal", "target": "Deal", "effect": "allow"},
        {"id": "margin", "target": "Deal.margin", "effect": "deny"},
        {"id": "partner", "target": "Partner", "effect": "allow"},
    )
    response = await run(locked_graph, policies, reseller())
    assert [e["extensions"] for e in response["errors"]] == [
        {"code": "SUBGRAPH_ERROR", "serviceName": "deals"},
        {"code": "SUBGRAPH_ERROR", "serviceName": "deals"},
        {"code": "NOT_FOUND", "serviceName": "deals"},
    ]
    assert {e["message"] for e in response["errors"]} == {MASKED_FIELD_MESSAGE}
    assert leaked(response) == set()


async def test_a_caller_whose_view_shows_everything_gets_the_subgraphs_error(
    locked_graph: Graph,
) -> None:
    policies = policy_set(*EVERYTHING)
    view = compile_view(policies, ADMIN, Gateway.from_sdl(locked_graph.sdl).visibility.api_schema)
    assert view.shows_everything
    response = await run(locked_graph, policies, ADMIN)
    assert response["errors"][0] == {
        "message": "deal d1 with margin 33301 is locked",
        "path": ["deals", 0, "flaky"],
        "extensions": {"code": "LOCKED_MARGIN33301", "margin": 33301, "hint": "MARGIN33301"},
    }
    assert len(response["errors"]) == 3


async def test_an_unrestricted_gateway_passes_subgraph_errors_through(
    locked_graph: Graph,
) -> None:
    response = await run(locked_graph, UNRESTRICTED, reseller())
    assert [e["message"] for e in response["errors"]] == [
        f"deal {deal['id']} with margin {deal['margin']} is locked" for deal in DEALS
    ]
    assert response["errors"][2]["extensions"]["code"] == "NOT_FOUND"


async def test_subgraph_errors_pass_keeps_the_old_behaviour_for_restricted_callers(
    locked_graph: Graph, policies: PolicySet
) -> None:
    response = await run(locked_graph, policies, reseller(), config={"subgraph_errors": "pass"})
    assert [(e["path"], e["message"]) for e in response["errors"]] == [
        (["deals", 0, "flaky"], "deal d1 with margin 33301 is locked"),
        (["deals", 1, "flaky"], "deal d3 with margin 33303 is locked"),
    ]


async def test_errors_the_gateway_makes_are_not_masked(
    locked_graph: Graph, policies: PolicySet
) -> None:
    """FORBIDDEN from enforcement and a subgraph that cannot be reached keep their words."""
    hidden = await run(locked_graph, policies, reseller(), query="{ deals { id margin } }")
    assert {(e["extensions"]["code"], e["message"]) for e in hidden["errors"]} == {
        ("FORBIDDEN", "This field is not visible to you.")
    }
    unreachable = await run(
        locked_graph,
        policies,
        reseller(),
        query="{ partners { id } }",
        config={"subgraph_urls": {"deals": locked_graph.deals.url,
                                  "partners": "http://127.0.0.1:9/graphql"}},
    )  # fmt: skip
    [error] = unreachable["errors"]
    assert error["extensions"] == {"code": "SUBGRAPH_UNAVAILABLE", "service": "partners"}
    assert error["message"].startswith("Subgraph 'partners' could not be reached")


def test_subgraph_errors_accepts_only_mask_or_pass() -> None:
    with pytest.raises(ConfigError, match="subgraph_errors must be one of 'mask', 'pass'"):
        GatewayConfig(subgraph_errors="hide")


def test_only_the_standard_non_null_message_about_a_visible_field_survives_masking(
    policies: PolicySet,
) -> None:
    """That message is what the gateway says for a record the view drops, so a missing
    record must get it too; naming a hidden field or type, it is masked like any other."""
    api_schema = Gateway.from_sdl(supergraph_sdl()).visibility.api_schema
    view = compile_view(policies, reseller(), api_schema)

    def mask(message: str) -> str:
        error = SubgraphError("deals", message=message, path=["deal"])
        return str(masked(error, view, ("deal",))["message"])

    kept = "Cannot return null for non-nullable field Deal.title."
    assert mask(kept) == kept
    for hidden in (
        "Cannot return null for non-nullable field Deal.margin.",
        "Cannot return null for non-nullable field Secret33301.title.",
        "Cannot return null for non-nullable field Deal.title. margin 33301",
    ):
        assert mask(hidden) == MASKED_FIELD_MESSAGE
