"""`run_server` (what `partnergraph serve` calls) in a real process: it serves the
supergraph, reports ready, and exits 0 on SIGTERM; a bad supergraph exits 1 with a message."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from asyncio.subprocess import PIPE, Process
from pathlib import Path

import httpx
from serving_support import supergraph_sdl

RUN = (
    "import sys; from gateway.server import run_server; "
    "run_server(sys.argv[1], '127.0.0.1', int(sys.argv[2]), unrestricted=True)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start(*args: str) -> Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUN, *args, stdout=PIPE, stderr=PIPE
    )


async def wait_until_ready(process: Process, url: str) -> httpx.Response:
    """Poll /readyz until the server answers (or the process dies)."""
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError(f"the server exited early with {process.returncode}")
            try:
                return await client.get(f"{url}/readyz")
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError("the server never answered")


async def test_serves_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl())
    port = free_port()
    process = await start(str(supergraph), str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        ready = await wait_until_ready(process, url)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        async with httpx.AsyncClient(base_url=url) as client:
            assert (await client.get("/healthz")).json() == {"status": "alive"}
            answer = await client.post("/graphql", json={"query": "{ __typename }"})
            assert answer.json() == {"data": {"__typename": "Query"}}

        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr


async def test_a_bad_supergraph_exits_1_with_a_message(tmp_path: Path) -> None:
    missing = tmp_path / "nope.graphql"
    process = await start(str(missing), str(free_port()))
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert "cannot read the supergraph file" in stderr.decode()
    assert "nope.graphql" in stderr.decode()

    broken = tmp_path / "broken.graphql"
    broken.write_text("type Query {")
    process = await start(str(broken), str(free_port()))
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert "does not parse" in stderr.decode()
