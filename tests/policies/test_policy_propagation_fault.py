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
from tests.redis_process import RedisProcess, running_redis

GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)
CHANNEL = "policies-fault"
ADMIN = "admin@vendor"


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisProcess]:
    async with running_redis() as server:
        yield server


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
