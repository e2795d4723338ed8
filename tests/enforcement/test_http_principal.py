"""Over HTTP the principal comes from the request's credentials; bad ones are 401, never
anonymous."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from enforcement_harness import Graph, reseller

from gateway.server import create_app
from policies.auth import Authenticator, JwtVerifier, mint_token
from policies.auth.keys import hmac_key
from policies.model import PolicySet

SECRET = b"j" * 32
QUERY = {"query": "{ deals { id } }"}


@pytest.fixture
async def client(graph: Graph, policies: PolicySet) -> AsyncIterator[httpx.AsyncClient]:
    authenticator = Authenticator(JwtVerifier(keys=[hmac_key(SECRET)]))
    gateway = graph.gateway(policies, authenticator=authenticator)
    transport = httpx.ASGITransport(app=create_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client
    await gateway.aclose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_sees_its_view(client: httpx.AsyncClient) -> None:
    token = mint_token(reseller(), SECRET, ttl=60)
    response = await client.post("/graphql", json=QUERY, headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"data": {"deals": [{"id": "d1"}, {"id": "d3"}]}}


async def test_no_credentials_is_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json=QUERY)
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "headers",
    [
        bearer("not-a-jwt"),
        bearer(mint_token(reseller(), b"w" * 32, ttl=60)),  # another secret
        bearer(mint_token(reseller(), SECRET, ttl=60, now=time.time() - 3600)),  # expired
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"X-API-Key": "pk_whatever"},  # API keys are not configured here
    ],
    ids=["garbage", "wrong-key", "expired", "basic", "api-key-disabled"],
)
async def test_bad_credentials_are_refused_with_401(
    client: httpx.AsyncClient, graph: Graph, headers: dict[str, str]
) -> None:
    graph.deals.requests.clear()
    response = await client.post("/graphql", json=QUERY, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert graph.deals.requests == []


async def test_credentials_without_an_authenticator_are_refused(
    graph: Graph, policies: PolicySet
) -> None:
    gateway = graph.gateway(policies)
    transport = httpx.ASGITransport(app=create_app(gateway))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            token = mint_token(reseller(), SECRET, ttl=60)
            response = await client.post("/graphql", json=QUERY, headers=bearer(token))
    finally:
        await gateway.aclose()
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
