"""End to end: a client over TCP → the gateway under uvicorn → real subgraph servers.

Queries are planned and joined across the two subgraphs through `_entities`; a mutation
changes the deals subgraph; refused requests reach no subgraph and change nothing.
"""

from __future__ import annotations

import asyncio
import json
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from serving_subgraphs import Subgraph, serving, subgraphs_served
from serving_support import GRAPHQL_RESPONSE_JSON, codes, supergraph_sdl

from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app


@dataclass
class Ecosystem:
    client: httpx.AsyncClient
    gateway: Gateway
    deals: Subgraph
    partners: Subgraph


@pytest.fixture
async def ecosystem() -> AsyncIterator[Ecosystem]:
    async with subgraphs_served() as (deals, partners):
        gateway = Gateway.from_sdl(supergraph_sdl(deals.url, partners.url), policies=UNRESTRICTED)
        async with (
            serving(create_app(gateway)) as url,
            httpx.AsyncClient(base_url=url) as client,
        ):
            yield Ecosystem(client, gateway, deals, partners)


async def test_a_query_joins_two_subgraphs(ecosystem: Ecosystem) -> None:
    response = await ecosystem.client.post(
        "/graphql",
        json={
            "query": "query Open($stage: Stage) { deals(stage: $stage) "
            "{ id title partner { name tier } } }",
            "variables": {"stage": "OPEN"},
        },
        headers={"accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "deals": [
                {
                    "id": "d1",
                    "title": "Fleet renewal",
                    "partner": {"name": "Acme Resell", "tier": 1},
                }
            ]
        }
    }
    assert any("_entities" in query for query in ecosystem.partners.received)


async def test_get_query_over_tcp(ecosystem: Ecosystem) -> None:
    response = await ecosystem.client.get(
        "/graphql", params={"query": '{ deal(id: "d2") { stage partner { name } } }'}
    )
    assert response.json() == {"data": {"deal": {"stage": "WON", "partner": {"name": "Globex"}}}}


async def test_a_mutation_changes_the_subgraph(ecosystem: Ecosystem) -> None:
    mutation = 'mutation { advanceDeal(id: "d1", stage: WON) { id stage } }'
    response = await ecosystem.client.post("/graphql", json={"query": mutation})
    assert response.json() == {"data": {"advanceDeal": {"id": "d1", "stage": "WON"}}}
    after = await ecosystem.client.post("/graphql", json={"query": "{ deals(stage: WON) { id } }"})
    assert after.json() == {"data": {"deals": [{"id": "d1"}, {"id": "d2"}]}}


async def test_refused_requests_reach_no_subgraph_and_change_nothing(
    ecosystem: Ecosystem,
) -> None:
    client = ecosystem.client
    mutation = 'mutation { advanceDeal(id: "d1", stage: LOST) { id } }'
    over_get = await client.get("/graphql", params={"query": mutation})
    assert over_get.status_code == 405
    bad_input = await client.post(
        "/graphql",
        json={
            "query": 'mutation($s: Stage!) { advanceDeal(id: "d1", stage: $s) { id } }',
            "variables": {"s": "LOSTISH"},
        },
    )
    assert codes(bad_input.json()) == ["BAD_USER_INPUT"]
    hidden = await client.post("/graphql", json={"query": "{ deals { margin } }"})
    assert codes(hidden.json()) == ["GRAPHQL_VALIDATION_FAILED"]

    assert ecosystem.deals.received == []
    assert ecosystem.partners.received == []
    state = await client.post("/graphql", json={"query": '{ deal(id: "d1") { stage } }'})
    assert state.json() == {"data": {"deal": {"stage": "OPEN"}}}


async def test_parsing_and_validation_are_cached(ecosystem: Ecosystem) -> None:
    prepare = ecosystem.gateway.schema.pipeline.prepare
    query = {"query": "{ partners { id name } }"}
    first = await ecosystem.client.post("/graphql", json=query)
    hits = prepare.cache_info().hits
    second = await ecosystem.client.post("/graphql", json=query)
    assert first.json() == second.json()
    assert second.json()["data"]["partners"][0] == {"id": "p1", "name": "Acme Resell"}
    assert prepare.cache_info().hits > hits


async def test_apollo_client_gets_data_and_coded_errors(ecosystem: Ecosystem) -> None:
    """Apollo Client asks for application/graphql-response+json; request errors (HTTP 400
    then) must still reach it as GraphQL errors with their codes."""
    script = Path(__file__).parent / "apollo_client.mjs"
    url = str(ecosystem.client.base_url.join("/graphql"))
    process = await asyncio.create_subprocess_exec(
        "node", str(script), url, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()
    report = json.loads(stdout)
    assert report["query"] == {
        "data": {
            "deals": [
                {
                    "__typename": "Deal",
                    "id": "d1",
                    "partner": {"__typename": "Partner", "id": "p1", "name": "Acme Resell"},
                }
            ]
        }
    }
    assert report["validationError"] == {"graphqlErrors": ["GRAPHQL_VALIDATION_FAILED"]}
    assert report["badVariable"] == {"graphqlErrors": ["BAD_USER_INPUT"]}
    assert report["mutation"] == {
        "data": {"advanceDeal": {"__typename": "Deal", "id": "d1", "stage": "WON"}}
    }
    assert any("advanceDeal" in query for query in ecosystem.deals.received)
