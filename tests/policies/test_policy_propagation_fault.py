"""Fault test: the policy channel's Redis goes away and comes back.

Runs its own `redis-server` child process (the shared one stays up), stopped by PID and
started again on the same port. A change committed during the outage is still committed
(announcing it fails and is logged); the watcher resubscribes, catches up at once, and
follows announcements again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from policy_demo import demo_schema
from pymongo.asynchronous.database import AsyncDatabase

from policies.model import Rule
from policies.propagation import PolicyWatcher, RedisPublisher
from policies.store import PolicyStore
from resolvers.embedded_mongo import free_port

GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)
CHANNEL = "policies-fault"
ADMIN = "admin@vendor"


class RedisProcess:
    """A `redis-server` child process on a fixed port, stopped and started by PID."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await self.until(lambda client: client.ping())

    async def until(self, check: Any) -> Any:
        """Retry `check(client)` until it answers truthy (Redis starting, a subscriber
        reconnecting); give up after GUARD seconds."""
        client = aioredis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(GUARD):
                while True:
                    try:
                        result = await check(client)
                        if result:
                            return result
                    except (aioredis.ConnectionError, OSError):
                        pass
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.terminate()
        await self._process.wait()


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisProcess]:
    server = RedisProcess(free_port())
    try:
        await server.start()
        yield server
    finally:
        await server.stop()


async def subscribers(client: aioredis.Redis) -> int:
    [(_, count)] = await client.pubsub_numsub(CHANNEL)
    return int(count)


@pytest.mark.fault
async def test_a_watcher_catches_up_and_resubscribes_after_redis_comes_back(
    own_redis: RedisProcess, db: AsyncDatabase[Any]
) -> None:
    publisher_client = aioredis.Redis.from_url(own_redis.url)
    store = PolicyStore(db, demo_schema(), publisher=RedisPublisher(publisher_client, CHANNEL))
    # Another replica: polling is off, so only the channel can bring it changes.
    watcher = PolicyWatcher(
        PolicyStore(db, None), own_redis.url, channel=CHANNEL, poll_interval=3600
    )
    await watcher.start()
    try:
        await asyncio.wait_for(watcher.wait_subscribed(), GUARD)
        await own_redis.stop()

        first = Rule.from_dict({"id": "a", "target": "Deal.amount", "effect": "allow"})
        committed = await store.create_rule(
            first, actor=ADMIN, reason="during the outage", expected_version=0
        )
        assert committed.version == 1 and watcher.current.version == 0

        await own_redis.start()
        # Resubscribing reloads: the change made while the channel was down arrives.
        assert (await asyncio.wait_for(watcher.wait_for_version(1), GUARD)).version == 1
        await own_redis.until(subscribers)

        second = Rule.from_dict({"id": "b", "target": "Deal.stage", "effect": "allow"})
        await store.create_rule(second, actor=ADMIN, reason="after", expected_version=1)
        assert (await asyncio.wait_for(watcher.wait_for_version(2), GUARD)).version == 2
    finally:
        await watcher.stop()
        await publisher_client.aclose()
