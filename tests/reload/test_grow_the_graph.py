"""Issue 4's "Done when", end to end with real servers: the bundled subgraphs compose in
Python and a running gateway serves the result; a fourth partner subgraph added to the
registry file becomes queryable through the running gateway within the reload interval,
while a live graphql-transport-ws subscription (the npm `graphql-ws` client) on another
subgraph's stream keeps receiving events with no gap."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.composition.registry import compose_registry
from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.reload.reloader import SupergraphReloader
from gateway.server import create_app
from gateway.supergraph import Supergraph
from policies.principal import ANONYMOUS
from resolvers.memory_stream import MemoryEventStream
from tests.interop.node_clients import NodeClient
from tests.reload.reload_subgraphs import graphql_app, ratings_schema, served
from tests.subscriptions.subscription_harness import (
    Subgraphs,
    append,
    deal_event,
    seeded_subgraphs,
    wait_for,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")

RELOAD_INTERVAL = 0.2
DEALS = "subscription { dealChanged { id stage partner { id name } } }"
RATINGS = "{ partnerRatings { partnerId stars } }"
RATED_PARTNER = '{ partner(id: "P-R01") { id name rating } }'


@pytest.fixture(scope="module")
async def subgraphs(mongo_client: Any) -> AsyncIterator[Subgraphs]:
    async with seeded_subgraphs(mongo_client) as served_subgraphs:
        yield served_subgraphs


def write_registry(path: Path, urls: dict[str, str], extra: dict[str, str] | None = None) -> None:
    """The bundled subgraphs (their Strawberry schemas, composed in process) at `urls`;
    `extra`: name -> URL of subgraphs whose SDL is fetched from the running server."""
    lines = []
    for name in ("partners", "deals", "inventory"):
        lines += [
            "[[subgraphs]]",
            f'name = "{name}"',
            f'url = "{urls[name]}"',
            f'schema = "subgraphs.{name}.schema:schema"',
        ]
    for name, url in (extra or {}).items():
        lines += ["[[subgraphs]]", f'name = "{name}"', f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n")


async def test_a_fourth_subgraph_joins_a_running_gateway_without_a_gap_in_a_subscription(
    subgraphs: Subgraphs, tmp_path: Path
) -> None:
    urls = Supergraph.from_sdl(subgraphs.supergraph_sdl).subgraph_urls
    registry = tmp_path / "partnergraph.toml"
    write_registry(registry, urls)
    events = MemoryEventStream(maxlen=1000)
    gateway = Gateway(
        (await compose_registry(registry)).supergraph, events=events, policies=UNRESTRICTED
    )
    reloader = SupergraphReloader.for_registry(gateway, registry, interval=RELOAD_INTERVAL)
    service = gateway.subscriptions
    assert service is not None
    async with (
        served(create_app(gateway, reloader=reloader)) as url,
        served(graphql_app(ratings_schema)) as ratings_url,
        httpx.AsyncClient(timeout=30) as http,
    ):

        async def query(text: str) -> dict[str, Any]:
            body: dict[str, Any] = (await http.post(url, json={"query": text})).json()
            return body

        # The composed graph is served; the fourth partner's fields are not there yet.
        deal = await query('{ deal(id: "D-000001") { id partner { id name } } }')
        assert deal["data"]["deal"]["id"] == "D-000001"
        assert "errors" in await query(RATINGS)

        client = await NodeClient.start(
            "ws_client.mjs", url=url.replace("http://", "ws://"), query=DEALS
        )
        try:
            await wait_for(lambda: service.subscriber_count == 1, "the client subscribed")
            appended = [await append(events, deal_event("D-000001", version=1))]
            received = [await client.message()]
            assert gateway.generation.number == 1

            # Events keep flowing while the fourth subgraph joins and the gateway swaps.
            write_registry(registry, urls, {"ratings": ratings_url})
            answer = await query(RATINGS)
            for version in range(2, 2000):
                if "errors" not in answer:
                    break
                appended.append(await append(events, deal_event("D-000001", version=version)))
                received.append(await client.message())
                answer = await query(RATINGS)
            assert answer == {"data": {"partnerRatings": [{"partnerId": "P-R01", "stars": 5}]}}
            assert gateway.generation.number == 2
            # Its field on a bundled entity joins across subgraphs too.
            rated = (await query(RATED_PARTNER))["data"]["partner"]
            assert rated["id"] == "P-R01" and rated["name"] and rated["rating"] == 1

            for version in range(3):
                appended.append(await append(events, deal_event("D-000002", version=version)))
                received.append(await client.message())
            assert service.subscriber_count == 1  # the same subscriber all along
        finally:
            await client.kill()

    # One uninterrupted stream: every event, in order, each enriched, no end in between.
    assert all("next" in message for message in received), received
    assert [m["next"]["extensions"]["eventId"] for m in received] == appended
    assert all(m["next"]["data"]["dealChanged"]["partner"]["name"] for m in received)


async def test_the_reloader_without_changes_keeps_the_generation(
    subgraphs: Subgraphs, tmp_path: Path
) -> None:
    urls = Supergraph.from_sdl(subgraphs.supergraph_sdl).subgraph_urls
    registry = tmp_path / "partnergraph.toml"
    write_registry(registry, urls)
    gateway = Gateway((await compose_registry(registry)).supergraph, policies=UNRESTRICTED)
    reloader = SupergraphReloader.for_registry(gateway, registry, interval=None)
    try:
        assert await reloader.reload() is False
        assert gateway.generation.number == 1 and reloader.status.last_failure is None
    finally:
        await gateway.aclose()


async def test_a_subscription_whose_fields_leave_the_graph_ends_with_schema_changed(
    subgraphs: Subgraphs, tmp_path: Path
) -> None:
    """The other subscription on the same stream keeps running across the same swap."""
    urls = Supergraph.from_sdl(subgraphs.supergraph_sdl).subgraph_urls
    registry = tmp_path / "partnergraph.toml"
    events = MemoryEventStream(maxlen=1000)
    async with served(graphql_app(ratings_schema)) as ratings_url:
        write_registry(registry, urls, {"ratings": ratings_url})
        gateway = Gateway(
            (await compose_registry(registry)).supergraph, events=events, policies=UNRESTRICTED
        )
        reloader = SupergraphReloader.for_registry(gateway, registry, interval=None)
        service = gateway.subscriptions
        assert service is not None
        rated = service.stream(
            "subscription { dealChanged { id partner { rating } } }", None, None, None, ANONYMOUS
        )
        plain = service.stream(
            "subscription { dealChanged { id stage } }", None, None, None, ANONYMOUS
        )
        try:
            first = [asyncio.ensure_future(anext(rated)), asyncio.ensure_future(anext(plain))]
            await wait_for(lambda: service.subscriber_count == 2, "both subscribed")
            before = await append(events, deal_event("D-000001"))
            for result in await asyncio.gather(*first):
                assert not result.errors and (result.extensions or {})["eventId"] == before

            write_registry(registry, urls)  # the ratings subgraph leaves
            assert await reloader.reload() is True

            ended = await anext(rated)
            assert ended.data is None and ended.errors
            assert ended.errors[0].extensions == {"code": "SCHEMA_CHANGED"}
            assert "rating" not in ended.errors[0].message  # names nothing of the schema
            after = await append(events, deal_event("D-000001", version=2))
            result = await anext(plain)
            assert not result.errors and (result.extensions or {})["eventId"] == after
            assert result.data is not None and result.data["dealChanged"]["id"] == "D-000001"
        finally:
            await rated.aclose()
            await plain.aclose()
            await gateway.aclose()
