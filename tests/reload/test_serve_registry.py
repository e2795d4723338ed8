"""`partnergraph serve --registry FILE` in a real process: composes at start, picks up a
subgraph added to the registry within the reload interval, exits 0 on SIGTERM; a registry
that does not compose exits 1 with the errors."""

from __future__ import annotations

import asyncio
import signal
import sys
from asyncio.subprocess import PIPE, Process
from pathlib import Path
from typing import Any

import httpx

from resolvers.embedded_mongo import free_port
from tests.reload.reload_subgraphs import (
    catalog_v2_schema,
    graphql_app,
    ratings_schema,
    served,
)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gateway.cli", "--log-level", "WARNING", "serve", *args]


def registry_text(entries: dict[str, str]) -> str:
    """`entries`: name -> URL (the SDL is fetched from the running subgraph)."""
    return "".join(f'[[subgraphs]]\nname = "{n}"\nurl = "{u}"\n' for n, u in entries.items())


async def poll(client: httpx.AsyncClient, url: str, query: str, process: Process) -> Any:
    """The first answer without errors (the server may still be starting or reloading)."""
    for _ in range(600):
        if process.returncode is not None:
            raise AssertionError(f"the server exited early with {process.returncode}")
        try:
            body = (await client.post(url, json={"query": query})).json()
            if "errors" not in body:
                return body
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError(f"never answered without errors: {query}")


async def test_serve_registry_composes_and_reloads_live(tmp_path: Path) -> None:
    registry = tmp_path / "partnergraph.toml"
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    async with (
        served(graphql_app(catalog_v2_schema)) as catalog,
        served(graphql_app(ratings_schema)) as ratings,
    ):
        registry.write_text(registry_text({"catalog": catalog}))
        process = await asyncio.create_subprocess_exec(
            *cli("--registry", str(registry), "--reload-interval", "0.2"),
            "--port",
            str(port),
            "--unrestricted",
            stdout=PIPE,
            stderr=PIPE,
        )
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                assert await poll(client, url, "{ fresh }", process) == {
                    "data": {"fresh": "fresh answer"}
                }
                registry.write_text(registry_text({"catalog": catalog, "ratings": ratings}))
                answer = await poll(client, url, "{ partnerRatings { stars } }", process)
                assert answer == {"data": {"partnerRatings": [{"stars": 5}]}}
                readyz = (await client.get(url.replace("/graphql", "/readyz"))).json()
                assert readyz["generation"] == 2 and readyz["lastReloadError"] is None
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            await process.wait()
    assert process.returncode == 0


async def test_serve_registry_that_does_not_compose_exits_with_the_errors(
    tmp_path: Path,
) -> None:
    registry = tmp_path / "partnergraph.toml"
    registry.write_text('[[subgraphs]]\nname = "broken"\nurl = "http://127.0.0.1:9/graphql"\n')
    process = await asyncio.create_subprocess_exec(
        *cli("--registry", str(registry)), "--unrestricted", stdout=PIPE, stderr=PIPE
    )
    _, stderr = await process.communicate()
    assert process.returncode == 1
    assert "partnergraph serve: subgraph broken: cannot fetch" in stderr.decode()
