"""Swapping the served supergraph under load: requests in flight finish on the schema they
started with, new requests see the new one, and the old generation is retired after."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from gateway.composition import SubgraphSource, compose
from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.supergraph import Supergraph
from tests.reload.reload_subgraphs import (
    CATALOG_V2_SDL,
    SLOW_GATE,
    catalog_schema,
    catalog_v2_schema,
    graphql_app,
    sdl_of,
    served,
)
from tests.subscriptions.ws_client import WsClient

IN_FLIGHT = 12


def catalog_supergraph(url: str, sdl: str) -> Supergraph:
    return compose([SubgraphSource("catalog", url, sdl)]).supergraph


async def post(client: httpx.AsyncClient, url: str, query: str) -> dict[str, Any]:
    response = await client.post(url, json={"query": query})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or [{}]
    return (errors[0].get("extensions") or {}).get("code")


async def wait_until(predicate: Any, what: str) -> None:
    for _ in range(400):
        if predicate():
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never happened: {what}")


async def test_in_flight_requests_finish_on_the_old_schema_new_ones_see_the_new() -> None:
    SLOW_GATE.clear()
    # The subgraph serves both versions' fields; the gateway serves what it composed.
    async with served(graphql_app(catalog_v2_schema)) as catalog_url:
        gateway = Gateway(
            catalog_supergraph(catalog_url, sdl_of(catalog_schema)),
            policies=UNRESTRICTED,
            signing_secret=None,
        )
        async with served(create_app(gateway)) as url, httpx.AsyncClient(timeout=30) as client:
            assert code(await post(client, url, "{ fresh }")) == "GRAPHQL_VALIDATION_FAILED"
            old = gateway.generation
            in_flight = [
                asyncio.create_task(post(client, url, "{ slow fast }")) for _ in range(IN_FLIGHT)
            ]
            try:
                await wait_until(
                    lambda: old.schema.in_flight.count == IN_FLIGHT, "every slow request started"
                )
                new = gateway.swap(catalog_supergraph(catalog_url, CATALOG_V2_SDL), grace=0)
                await check_new_schema_served(client, url)
                # The old generation waits for its requests before closing its connections.
                assert gateway.generation is new and new.number == old.number + 1
                assert len(gateway.retiring) == 1
                assert not any(task.done() for task in in_flight)
            finally:
                SLOW_GATE.set()
            answers = await asyncio.gather(*in_flight)

            assert answers == [{"data": {"slow": "slow answer", "fast": "fast answer"}}] * IN_FLIGHT
            await wait_until(lambda: not gateway.retiring, "the old generation was retired")
            assert await post(client, url, "{ fast }") == {"data": {"fast": "fast answer"}}


async def check_new_schema_served(client: httpx.AsyncClient, url: str) -> None:
    """`fresh` exists now, `slow` does not any more."""
    assert await post(client, url, "{ fresh fast }") == {
        "data": {"fresh": "fresh answer", "fast": "fast answer"}
    }
    assert code(await post(client, url, "{ slow }")) == "GRAPHQL_VALIDATION_FAILED"


async def test_requests_during_repeated_swaps_all_succeed() -> None:
    """Load while swapping back and forth: no request fails or sees a half-built schema."""
    async with served(graphql_app(catalog_v2_schema)) as catalog_url:
        first = catalog_supergraph(catalog_url, sdl_of(catalog_schema))
        second = catalog_supergraph(catalog_url, CATALOG_V2_SDL)
        gateway = Gateway(first, policies=UNRESTRICTED, signing_secret=None)
        async with served(create_app(gateway)) as url, httpx.AsyncClient(timeout=30) as client:
            stop = asyncio.Event()

            async def load() -> list[dict[str, Any]]:
                answers = []
                while not stop.is_set():
                    answers.append(await post(client, url, "{ fast }"))
                return answers

            workers = [asyncio.create_task(load()) for _ in range(4)]
            for number in range(6):
                gateway.swap(second if number % 2 == 0 else first, grace=0)
                await asyncio.sleep(0.05)
            stop.set()
            answers = [answer for worker in workers for answer in await worker]

            assert answers and all(a == {"data": {"fast": "fast answer"}} for a in answers)
            assert gateway.generation.number == 7
            await wait_until(lambda: not gateway.retiring, "every old generation was retired")


async def test_a_websocket_opened_before_a_swap_runs_new_operations_on_the_new_schema() -> None:
    async with served(graphql_app(catalog_v2_schema)) as catalog_url:
        gateway = Gateway(
            catalog_supergraph(catalog_url, sdl_of(catalog_schema)),
            policies=UNRESTRICTED,
            signing_secret=None,
        )
        async with served(create_app(gateway)) as url:
            async with WsClient(url.replace("http://", "ws://")) as ws:
                before = await ws.subscribe("{ fresh }")
                refused = await ws.receive()
                assert (refused["id"], refused["type"]) == (before, "error")
                assert refused["payload"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}

                gateway.swap(catalog_supergraph(catalog_url, CATALOG_V2_SDL), grace=0)

                after = await ws.subscribe("{ fresh }")
                assert await ws.receive() == {
                    "id": after,
                    "type": "next",
                    "payload": {"data": {"fresh": "fresh answer"}},
                }
