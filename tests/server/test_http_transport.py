"""GraphQL over HTTP (the GraphQL-over-HTTP spec): methods, negotiation, status codes, the
body limit, GraphiQL and the health routes, through the real Starlette app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from serving_support import GRAPHQL_RESPONSE_JSON, codes

from gateway.config import GatewayConfig, Limits
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.server.view import negotiate

NEW_STYLE = {"accept": GRAPHQL_RESPONSE_JSON}
MUTATION = "mutation { advanceDeal(id: 1, stage: WON) { id } }"


async def test_post_json_query(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_get_query_with_variables_and_operation_name(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql",
        params={
            "query": "query A($s: Boolean!) { a: __typename @include(if: $s) }"
            " query B { b: __typename }",
            "variables": '{"s": true}',
            "operationName": "A",
        },
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"a": "Query"}}


async def test_get_mutation_is_refused_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": MUTATION})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert codes(response.json()) == ["OPERATION_NOT_ALLOWED"]


async def test_subscription_over_post_is_refused(client: httpx.AsyncClient) -> None:
    query = "subscription { dealChanged { id } }"
    legacy = await client.post("/graphql", json={"query": query})
    assert legacy.status_code == 200
    assert codes(legacy.json()) == ["OPERATION_NOT_ALLOWED"]
    assert "data" not in legacy.json()
    new_style = await client.post("/graphql", json={"query": query}, headers=NEW_STYLE)
    assert new_style.status_code == 400
    assert codes(new_style.json()) == ["OPERATION_NOT_ALLOWED"]


async def test_subscription_over_get_is_refused_with_405(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "subscription { dealChanged { id } }"})
    assert response.status_code == 405
    assert codes(response.json()) == ["OPERATION_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ deals { id ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ deals { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($s: Stage!) { deals(stage: $s) { id } }", {"s": "SOLD"}, "BAD_USER_INPUT"),
        ("query A { __typename } query B { __typename }", None, "OPERATION_RESOLUTION_FAILURE"),
    ],
)
async def test_request_errors_are_400_for_graphql_response_json_and_200_for_json(
    client: httpx.AsyncClient, query: str, variables: dict | None, code: str
) -> None:
    payload = {"query": query, "variables": variables}
    new_style = await client.post("/graphql", json=payload, headers=NEW_STYLE)
    assert new_style.status_code == 400
    assert new_style.headers["content-type"] == GRAPHQL_RESPONSE_JSON
    assert codes(new_style.json()) == [code]
    assert "data" not in new_style.json()  # a request error: the operation never ran

    legacy = await client.post("/graphql", json=payload, headers={"accept": "application/json"})
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "application/json"
    assert codes(legacy.json()) == [code]


async def test_a_successful_request_is_200_with_the_negotiated_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=NEW_STYLE)
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE_JSON


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"application/json, {GRAPHQL_RESPONSE_JSON};q=0.5", "application/json"),
        (f"{GRAPHQL_RESPONSE_JSON};q=0, application/*;q=0.1", "application/json"),
        ("text/plain", None),
        ("application/json;q=0", None),
    ],
)
def test_negotiation(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


async def test_an_unacceptable_accept_header_is_406(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"accept": "text/plain"}
    )
    assert response.status_code == 406
    assert codes(response.json()) == ["NOT_ACCEPTABLE"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"42", "application/json"),
        (b'{"query": 42}', "application/json"),
        (b'{"query": "{ __typename }", "variables": [1]}', "application/json"),
        (b'{"query": "{ __typename }", "operationName": 7}', "application/json"),
        (b'[{"query": "{ __typename }"}]', "application/json"),
        (b'{"variables": {}}', "application/json"),
        (b"query { __typename }", "text/plain"),
    ],
)
async def test_malformed_requests_are_400_bad_request(
    client: httpx.AsyncClient, content: bytes, content_type: str
) -> None:
    response = await client.post(
        "/graphql", content=content, headers={"content-type": content_type}
    )
    assert response.status_code == 400
    assert codes(response.json()) == ["BAD_REQUEST"]
    assert response.json()["errors"][0]["message"]


async def test_other_methods_are_405(client: httpx.AsyncClient) -> None:
    response = await client.put("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert codes(response.json()) == ["METHOD_NOT_ALLOWED"]


async def test_persisted_queries_are_refused(client: httpx.AsyncClient) -> None:
    payload = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ab" * 32}}}
    response = await client.post("/graphql", json=payload)
    assert response.status_code == 200
    assert codes(response.json()) == ["PERSISTED_QUERY_NOT_SUPPORTED"]


async def test_graphiql_for_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize("config", [GatewayConfig(graphiql=False)])
async def test_graphiql_can_be_turned_off(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "text/html"})
    assert "graphiql" not in response.text.lower()
    assert response.status_code == 404


async def test_health_and_readiness(fresh_gateway: Gateway) -> None:
    transport = httpx.ASGITransport(app=create_app(fresh_gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        assert (await client.get("/healthz")).json() == {"status": "alive"}
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})

        await fresh_gateway.aclose()  # what shutting down does
        assert (await client.get("/healthz")).status_code == 200
        not_ready = await client.get("/readyz")
        assert (not_ready.status_code, not_ready.json()) == (503, {"status": "not ready"})


# --- body limit ----------------------------------------------------------------------------

SMALL_BODY = GatewayConfig(limits=Limits(max_body_bytes=200))


@pytest.mark.parametrize("config", [SMALL_BODY])
async def test_a_declared_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(["__typename"] * 30) + " }"
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert codes(response.json()) == ["BODY_TOO_LARGE"]
    assert response.json()["errors"][0]["extensions"]["limit"] == 200


@pytest.mark.parametrize("config", [SMALL_BODY])
async def test_a_chunked_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ '
        for _ in range(30):
            yield b"__typename "
        yield b'}"}'

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert codes(response.json()) == ["BODY_TOO_LARGE"]


@pytest.mark.parametrize("config", [SMALL_BODY])
async def test_a_chunked_body_within_the_limit_is_served(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        body = orjson.dumps({"query": "{ a: __typename b: __typename }"})
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"a": "Query", "b": "Query"}}
