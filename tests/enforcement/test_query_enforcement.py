"""Queries and mutations through a policy view, against real subgraphs over HTTP.

The policies (conftest.RULES) let a reseller of region EU see the deals of EU partners, never
`Deal.margin`, `Partner.score` or `Note.secret`; `Deal.amount` is masked to 0 and
`Deal.stage` shows only where the (real, unmasked) amount is below 20000.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from enforcement_harness import Graph, reseller

from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from policies.model import PolicySet
from policies.principal import ANONYMOUS

FORBIDDEN = "FORBIDDEN"


@pytest.fixture
async def gateway(graph: Graph, policies: PolicySet) -> AsyncIterator[Gateway]:
    gateway = graph.gateway(policies)
    graph.deals.requests.clear()
    graph.partners.requests.clear()
    yield gateway
    await gateway.aclose()


def forbidden_paths(response: dict[str, Any]) -> list[list[str | int]]:
    return [e["path"] for e in response.get("errors", []) if e["extensions"]["code"] == FORBIDDEN]


async def test_hidden_field_is_null_with_forbidden_and_never_requested(
    gateway: Gateway, graph: Graph
) -> None:
    response = await gateway.execute(
        "{ deals { id partner { name score } } }", principal=reseller()
    )
    assert response["data"] == {
        "deals": [
            {"id": "d1", "partner": {"name": "Acme", "score": None}},
            {"id": "d3", "partner": {"name": "Acme", "score": None}},
        ]
    }
    assert forbidden_paths(response) == [
        ["deals", 0, "partner", "score"],
        ["deals", 1, "partner", "score"],
    ]
    assert all(e["message"] == "This field is not visible to you." for e in response["errors"])
    assert "score" not in graph.sent
    assert "77001" not in orjson.dumps(response).decode()


async def test_hidden_non_null_field_nulls_its_nearest_nullable_parent(
    gateway: Gateway, graph: Graph
) -> None:
    response = await gateway.execute('{ deal(id: "d1") { id margin } }', principal=reseller())
    assert response["data"] == {"deal": None}
    assert forbidden_paths(response) == [["deal", "margin"]]
    assert "margin" not in graph.sent


async def test_masked_field_gets_the_mask_value(gateway: Gateway) -> None:
    response = await gateway.execute("{ deals { id amount } }", principal=reseller())
    assert response == {"data": {"deals": [{"id": "d1", "amount": 0}, {"id": "d3", "amount": 0}]}}


async def test_record_condition_drops_records_from_lists(gateway: Gateway) -> None:
    response = await gateway.execute("{ deals { id title } }", principal=reseller())
    assert response == {
        "data": {"deals": [{"id": "d1", "title": "Fleet"}, {"id": "d3", "title": "Core"}]}
    }
    us = await gateway.execute("{ deals { id } }", principal=reseller("p2", ("US",)))
    assert us == {"data": {"deals": [{"id": "d2"}]}}


async def test_a_record_failing_its_condition_looks_exactly_like_a_missing_one(
    gateway: Gateway,
) -> None:
    for query in ('{ deal(id: "%s") { id title } }', '{ dealStrict(id: "%s") { id } }'):
        hidden = await gateway.execute(query % "d2", principal=reseller())
        missing = await gateway.execute(query % "nope", principal=reseller())
        assert hidden["data"] == missing["data"]
        # Same message at the same path (the code says who noticed the null: the subgraph
        # for its own root field, the gateway for a record it dropped).
        assert [(e["message"], e["path"]) for e in hidden.get("errors", [])] == [
            (e["message"], e["path"]) for e in missing.get("errors", [])
        ]
    assert (await gateway.execute('{ deal(id: "d2") { id } }', principal=reseller())) == {
        "data": {"deal": None}
    }


async def test_condition_inputs_are_fetched_through_an_entity_jump_and_never_returned(
    gateway: Gateway, graph: Graph
) -> None:
    response = await gateway.execute("{ deals { id } }", principal=reseller())
    assert response == {"data": {"deals": [{"id": "d1"}, {"id": "d3"}]}}
    assert "region" in graph.partners.queries  # the condition's input, through _entities
    text = orjson.dumps(response).decode()
    assert "EU" not in text and "__pg" not in text and "partner" not in text


async def test_conditional_field_shows_only_where_its_condition_holds(
    gateway: Gateway,
) -> None:
    response = await gateway.execute("{ deals { id stage } }", principal=reseller())
    assert response["data"] == {
        "deals": [{"id": "d1", "stage": "OPEN"}, {"id": "d3", "stage": None}]
    }
    assert forbidden_paths(response) == [["deals", 1, "stage"]]
    # The condition read the real amount, which the caller sees masked: never returned.
    text = orjson.dumps(response).decode()
    assert "12011" not in text and "30033" not in text and "LOST" not in text


async def test_aliases_fragments_variables_and_typename(gateway: Gateway, graph: Graph) -> None:
    query = """
        query One($id: ID!, $skip: Boolean!) {
          x: deal(id: $id) { ...F t: __typename p: partner @skip(if: $skip) { n: name } }
        }
        fragment F on Deal { m: margin title }
    """
    response = await gateway.execute(
        query, {"id": "d1", "skip": False}, "One", principal=reseller()
    )
    assert response["data"] is not None
    # `m` is non-null and hidden: `x` is null, with one error at the client's own path.
    assert response["data"] == {"x": None}
    assert forbidden_paths(response) == [["x", "m"]]
    response = await gateway.execute(
        query.replace("m: margin", "s: stage"), {"id": "d1", "skip": True}, principal=reseller()
    )
    assert response == {"data": {"x": {"s": "OPEN", "title": "Fleet", "t": "Deal"}}}
    assert "margin" not in graph.sent


async def test_client_keys_that_look_reserved_are_kept(gateway: Gateway) -> None:
    response = await gateway.execute(
        "{ deals { __pg_c_partner: title __pg_t: id partner { name } } }", principal=reseller()
    )
    assert response == {
        "data": {
            "deals": [
                {"__pg_c_partner": "Fleet", "__pg_t": "d1", "partner": {"name": "Acme"}},
                {"__pg_c_partner": "Core", "__pg_t": "d3", "partner": {"name": "Acme"}},
            ]
        }
    }


async def test_abstract_types_apply_the_concrete_types_rules(gateway: Gateway) -> None:
    response = await gateway.execute(
        "{ search { __typename ... on Deal { id } ... on Note { text secret } } }",
        principal=reseller(),
    )
    assert response["data"] == {
        "search": [
            {"__typename": "Deal", "id": "d1"},
            {"__typename": "Deal", "id": "d3"},
            {"__typename": "Note", "text": "CallBack", "secret": None},
        ]
    }
    assert forbidden_paths(response) == [["search", 2, "secret"]]
    assert "SECRET-NOTE" not in orjson.dumps(response).decode()


async def test_an_operation_left_empty_is_answered_without_any_subgraph_call(
    gateway: Gateway, graph: Graph
) -> None:
    response = await gateway.execute("{ deals { id } }", principal=ANONYMOUS)
    assert response == {
        "data": None,
        "errors": [
            {
                "message": "This field is not visible to you.",
                "path": ["deals"],
                "extensions": {"code": FORBIDDEN},
            }
        ],
    }
    assert graph.deals.requests == [] and graph.partners.requests == []


async def test_mutation_denied_by_its_rule_is_never_sent(gateway: Gateway, graph: Graph) -> None:
    response = await gateway.execute('mutation { deleteDeal(id: "d1") }', principal=reseller())
    assert response["data"] == {"deleteDeal": None}
    assert forbidden_paths(response) == [["deleteDeal"]]
    assert graph.deals.requests == []


async def test_mutation_payload_is_read_through_the_view(gateway: Gateway, graph: Graph) -> None:
    response = await gateway.execute(
        'mutation { registerDeal(title: "New") { id title amount partner { name score } } }',
        principal=reseller(),
    )
    assert response["data"] == {
        "registerDeal": {
            "id": "d9",
            "title": "New",
            "amount": 0,
            "partner": {"name": "Acme", "score": None},
        }
    }
    assert forbidden_paths(response) == [["registerDeal", "partner", "score"]]
    assert "registerDeal" in graph.deals.queries and "score" not in graph.sent


async def test_introspection_shows_only_the_callers_view(gateway: Gateway) -> None:
    query = """{
        d: __type(name: "Deal") { fields { name } }
        p: __type(name: "Partner") { fields { name } }
    }"""
    response = await gateway.execute(query, principal=reseller())
    deal_fields = {f["name"] for f in response["data"]["d"]["fields"]}
    partner_fields = {f["name"] for f in response["data"]["p"]["fields"]}
    assert deal_fields == {"id", "title", "amount", "stage", "partner", "note", "flaky"}
    assert partner_fields == {"id", "name", "region"}
    schema = await gateway.execute(
        "{ __schema { mutationType { fields { name } } types { name } } }",
        principal=reseller(),
    )
    assert schema["data"]["__schema"]["mutationType"] == {"fields": [{"name": "registerDeal"}]}
    anonymous = await gateway.execute(
        '{ __schema { types { name } } __type(name: "Deal") { name } }', principal=ANONYMOUS
    )
    names = {t["name"] for t in anonymous["data"]["__schema"]["types"]}
    assert anonymous["data"]["__type"] is None
    assert not names & {"Deal", "Partner", "Note", "Node", "SearchResult", "Mutation"}


async def test_no_validation_message_names_a_hidden_field(gateway: Gateway, graph: Graph) -> None:
    open_gateway = graph.gateway(UNRESTRICTED)
    try:
        unrestricted = await open_gateway.execute("{ deals { margn } }")
    finally:
        await open_gateway.aclose()
    assert "margin" in orjson.dumps(unrestricted).decode()  # graphql-core would suggest it
    for query in ("{ deals { margn } }", "{ deals { partner { scor } } }", "{ serch { x } }"):
        response = await gateway.execute(query, principal=reseller())
        assert response["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        text = orjson.dumps(response).decode()
        assert "margin" not in text and "score" not in text
    anonymous = await gateway.execute("{ deal { id } }", principal=ANONYMOUS)
    assert "deals" not in orjson.dumps(anonymous).decode()


async def test_no_policy_loaded_denies_everything(graph: Graph) -> None:
    gateway = graph.gateway(None)
    try:
        response = await gateway.execute("{ deals { id } }", principal=reseller())
    finally:
        await gateway.aclose()
    assert response["data"] is None
    assert forbidden_paths(response) == [["deals"]]


async def test_subgraph_errors_follow_the_records_the_caller_sees(gateway: Gateway) -> None:
    response = await gateway.execute("{ deals { id flaky } }", principal=reseller())
    assert response["data"] == {
        "deals": [{"id": "d1", "flaky": "steady"}, {"id": "d3", "flaky": None}]
    }
    # The subgraph failed for d2 and d3 (its paths 1 and 2); d2 does not exist for the
    # caller, so its error is gone, and d3's moved to the caller's index. The caller's view
    # is restricted, so it gets the generic words (test_subgraph_error_masking.py).
    assert [(e["path"], e["message"]) for e in response["errors"]] == [
        (["deals", 1, "flaky"], "A subgraph could not resolve this field.")
    ]
