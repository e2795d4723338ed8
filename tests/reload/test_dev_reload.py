"""`partnergraph dev --registry FILE` for real: it composes the registry at start, and a
fourth subgraph appended to the file joins the running gateway (its fields exist; with no
visibility rule for them yet they are FORBIDDEN, fail closed); a subgraph that cannot be
reached leaves the gateway serving and shows on /readyz."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from asyncio.subprocess import PIPE, STDOUT, Process
from pathlib import Path
from typing import Any

import httpx

from tests.reload.reload_subgraphs import graphql_app, ratings_schema, served
from tests.test_dev_command import _free_port_block, tokens

ROOT = Path(__file__).resolve().parents[2]
RATINGS = "{ partnerRatings { stars } }"


async def start_dev(data_dir: Path, port: int, registry: Path) -> tuple[Process, str]:
    """The process and its banner, once it is up."""
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
    env |= {"PARTNERGRAPH_DATA_DIR": str(data_dir), "PARTNERGRAPH_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway.cli", "--log-level", "WARNING", "dev"),
        *("--registry", str(registry)),
        env=env,
        stdout=PIPE,
        stderr=STDOUT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or "Stop with" not in lines[-1]:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise AssertionError("partnergraph dev did not start:\n" + "".join(lines))
        lines.append(line)
    return process, "".join(lines)


async def poll(what: str, check: Any) -> Any:
    """The first truthy `await check()` (the reloader runs on its own interval)."""
    for _ in range(400):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


async def test_dev_composes_the_registry_and_a_fourth_subgraph_joins(tmp_path: Path) -> None:
    registry = tmp_path / "partnergraph.toml"
    registry.write_text((ROOT / "partnergraph.toml").read_text())
    port = _free_port_block()
    url = f"http://127.0.0.1:{port}"
    process, banner = await start_dev(tmp_path / "data", port, registry)
    try:
        assert f"Subgraph registry:             {registry}" in banner
        admin = {"Authorization": f"Bearer {tokens(banner)['admin']}"}
        async with (
            httpx.AsyncClient(base_url=url, headers=admin, timeout=30) as client,
            served(graphql_app(ratings_schema)) as ratings,
        ):

            async def ratings_code() -> str:
                body = (await client.post("/graphql", json={"query": RATINGS})).json()
                return str(body["errors"][0]["extensions"]["code"])

            async def readyz() -> dict[str, Any]:
                body: dict[str, Any] = (await client.get("/readyz")).json()
                return body

            assert (await readyz())["generation"] == 1
            assert await ratings_code() == "GRAPHQL_VALIDATION_FAILED"

            with registry.open("a") as file:
                file.write(f'\n[[subgraphs]]\nname = "ratings"\nurl = "{ratings}"\n')
            await poll("the ratings subgraph joined", lambda: _is(ratings_code, "FORBIDDEN"))
            status = await readyz()
            assert status["generation"] == 2 and status["lastReloadError"] is None

            with registry.open("a") as file:
                file.write('\n[[subgraphs]]\nname = "ghost"\nurl = "http://127.0.0.1:9/graphql"\n')
            failed = await poll("the failed reload shows", lambda: _failure(readyz))
            assert failed["codes"] == ["INVALID_REGISTRY"]
            assert (await readyz())["generation"] == 2
            assert await ratings_code() == "FORBIDDEN"  # still the last good schema
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
    assert process.returncode == 0


async def _is(check: Any, expected: str) -> bool:
    return bool(await check() == expected)


async def _failure(readyz: Any) -> Any:
    return (await readyz())["lastReloadError"]
