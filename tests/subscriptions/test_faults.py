"""Fault tests: Redis restarts, and a gateway process is killed, during a stream of events.
The client ends up with every event exactly once, in order.

Each test runs its own `redis-server` child process (append-only file, so a restart keeps
the stream, as a production Redis would), stopped and restarted by PID.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from subscription_harness import (
    ROOT,
    Subgraphs,
    append,
    deal_event,
    served_gateway,
    wait_for,
)
from ws_client import WsClient

from resolvers.embedded_mongo import free_port
from resolvers.streams import open_event_stream
from tests.redis_process import RedisProcess, running_redis

pytestmark = pytest.mark.fault

GUARD = 60  # seconds before a test that should never wait this long gives up (not a timing)
DEALS = "subscription { dealChanged { id } }"


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    async with running_redis(tmp_path) as server:
        yield server


async def collect(client: WsClient, count: int) -> list[str]:
    """Event ids of the next `count` events of the client's one subscription."""
    ids: list[str] = []
    async with asyncio.timeout(GUARD):
        while len(ids) < count:
            message = await client.receive()
            assert message["type"] == "next", message
            ids.append(message["payload"]["extensions"]["eventId"])
    return ids


async def test_redis_restart_mid_stream_loses_and_repeats_nothing(
    subgraphs: Subgraphs, own_redis: RedisProcess
) -> None:
    events = open_event_stream(own_redis.url, key_prefix="fault:")
    try:
        async with served_gateway(subgraphs, events) as served:
            service = served.gateway.subscriptions
            assert service is not None
            async with WsClient(served.ws_url) as client:
                await client.subscribe(DEALS)
                await wait_for(lambda: service.subscriber_count == 1, "subscribed")
                appended = [await append(events, deal_event(f"D-00000{n}")) for n in (1, 2, 3)]
                received = await collect(client, 3)
                await own_redis.stop()
                # Appends wait (as the outbox relay does) until Redis is back.
                later = asyncio.create_task(_append_all(events, [f"D-00000{n}" for n in (4, 5, 6)]))
                await asyncio.sleep(0.5)  # let the reader meet the outage (not asserted)
                await own_redis.start()
                appended += await later
                received += await collect(client, 3)
    finally:
        await events.close()
    assert received == appended


async def _append_all(events: Any, deal_ids: list[str]) -> list[str]:
    return [await append(events, deal_event(deal_id)) for deal_id in deal_ids]


async def _start_gateway_process(
    supergraph: Path, redis_url: str
) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).parent / "gateway_process.py"),
        str(supergraph),
        str(port),
        redis_url,
        "kill:",
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None
    async with asyncio.timeout(GUARD):
        line = await process.stdout.readline()
    assert line.strip() == b"ready", line
    return process, port


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
async def test_a_killed_gateway_is_resumed_on_another_without_gap_or_duplicate(
    subgraphs: Subgraphs, own_redis: RedisProcess, tmp_path: Path, stop: signal.Signals
) -> None:
    """Killed: the socket just drops. Stopped (SIGTERM): the subscription first ends with
    SHUTTING_DOWN. Either way the client resumes elsewhere from its last event id."""
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(subgraphs.supergraph_sdl)
    events = open_event_stream(own_redis.url, key_prefix="kill:")
    first, first_port = await _start_gateway_process(supergraph, own_redis.url)
    second, second_port = await _start_gateway_process(supergraph, own_redis.url)
    try:
        async with WsClient(f"ws://127.0.0.1:{first_port}/graphql") as client:
            # From the start of the (empty) stream: no race with the first append.
            await client.subscribe(DEALS, last_event_id="0")
            appended = [await append(events, deal_event("D-000001"))]
            received = await collect(client, 1)
            appended += await _append_all(events, ["D-000002", "D-000003"])
            received += await collect(client, 2)
            first.send_signal(stop)
            if stop == signal.SIGTERM:
                async with asyncio.timeout(GUARD):
                    ended = await client.receive()
                assert ended["type"] == "next", ended
                codes = [e["extensions"]["code"] for e in ended["payload"]["errors"]]
                assert codes == ["SHUTTING_DOWN"]
            await first.wait()
        # Events keep coming while the client reconnects elsewhere.
        appended += await _append_all(events, ["D-000004", "D-000005"])
        async with WsClient(f"ws://127.0.0.1:{second_port}/graphql") as client:
            await client.subscribe(DEALS, last_event_id=received[-1])
            received += await collect(client, 2)
            appended += await _append_all(events, ["D-000006"])
            received += await collect(client, 1)
    finally:
        for process in (first, second):
            if process.returncode is None:
                process.terminate()
                await process.wait()
        await events.close()
    assert received == appended
