"""Propagation through the real Redis server: every replica follows every committed change."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from policy_demo import demo_schema, partner
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from policies.model import DENY_ALL, PolicySet, Rule
from policies.propagation import PolicyWatcher, RedisPublisher
from policies.store import PolicyStore
from policies.view import Access, compile_view
from resolvers.embedded_mongo import EmbeddedMongo, free_port

REDIS_URL = os.environ.get("PARTNERGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
HERE = Path(__file__).resolve().parent
GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)
RESELLER = partner("RESELLER", "p-r1")
ADMIN = "admin@vendor"

ALLOW_DEALS = [
    Rule.from_dict({"id": "q", "target": "Query.deal", "effect": "allow"}),
    Rule.from_dict({"id": "all", "target": "Deal.*", "effect": "allow"}),
]
DENY_MARGIN = Rule.from_dict({"id": "no-margin", "target": "Deal.vendorMargin", "effect": "deny"})


@pytest.fixture
def channel(key_prefix: str) -> str:
    return f"{key_prefix}policies"


@pytest.fixture
async def watchers() -> AsyncIterator[list[PolicyWatcher]]:
    started: list[PolicyWatcher] = []
    yield started
    for watcher in started:
        await watcher.stop()


async def start(watchers: list[PolicyWatcher], watcher: PolicyWatcher) -> PolicyWatcher:
    await watcher.start()
    watchers.append(watcher)
    await asyncio.wait_for(watcher.wait_subscribed(), GUARD)
    return watcher


def margin(policy_set: PolicySet) -> Access:
    return compile_view(policy_set, RESELLER, demo_schema()).field("Deal", "vendorMargin").access


async def test_a_change_through_one_replica_reaches_another_over_redis(
    db: AsyncDatabase[Any],
    redis_client: aioredis.Redis,
    channel: str,
    watchers: list[PolicyWatcher],
) -> None:
    # Replica A writes; replica B has its own store object and its own Redis connection,
    # and never polls in this test: only the announcement can bring it the change.
    store_a = PolicyStore(db, demo_schema(), publisher=RedisPublisher(redis_client, channel))
    store_b = PolicyStore(db, demo_schema())
    watcher_a = await start(watchers, PolicyWatcher(store_a, REDIS_URL, channel=channel))
    watcher_b = PolicyWatcher(store_b, REDIS_URL, channel=channel, poll_interval=3600)
    await start(watchers, watcher_b)
    assert watcher_b.loaded and watcher_b.current.version == 0

    applied: list[int] = []
    watcher_b.on_change(lambda policy_set: applied.append(policy_set.version))
    with watcher_b.changes() as changes:
        await store_a.replace_all(ALLOW_DEALS, actor=ADMIN, reason="open", expected_version=0)
        first = await asyncio.wait_for(anext(changes), GUARD)
        assert first.version == 1 and margin(watcher_b.current) is Access.VISIBLE

        await store_a.create_rule(DENY_MARGIN, actor=ADMIN, reason="close", expected_version=1)
        second = await asyncio.wait_for(anext(changes), GUARD)
    assert second.version == 2
    assert margin(watcher_b.current) is Access.HIDDEN  # the next view follows the new rules
    assert applied == [1, 2]
    assert (await asyncio.wait_for(watcher_a.wait_for_version(2), GUARD)).version == 2


async def test_a_change_reaches_a_watcher_in_another_os_process(
    mongo_server: EmbeddedMongo,
    db: AsyncDatabase[Any],
    redis_client: aioredis.Redis,
    channel: str,
) -> None:
    script = HERE / "policy_watcher_process.py"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        mongo_server.url,
        db.name,
        REDIS_URL,
        channel,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(HERE.parents[1])},
    )
    assert process.stdout is not None
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), GUARD)
        assert ready.decode().strip() == "ready 0"
        store = PolicyStore(db, demo_schema(), publisher=RedisPublisher(redis_client, channel))
        await store.replace_all(ALLOW_DEALS, actor=ADMIN, reason="open", expected_version=0)
        line = await asyncio.wait_for(process.stdout.readline(), GUARD)
        assert line.decode().strip() == "version 1"
    finally:
        process.terminate()
        await process.wait()


async def test_in_one_process_a_commit_reaches_the_watcher_without_redis(
    db: AsyncDatabase[Any], watchers: list[PolicyWatcher]
) -> None:
    store = PolicyStore(db, demo_schema())
    watcher = await start(watchers, PolicyWatcher(store, None, poll_interval=3600))
    await store.replace_all(ALLOW_DEALS, actor=ADMIN, reason="open", expected_version=0)
    current = await asyncio.wait_for(watcher.wait_for_version(1), GUARD)
    assert [rule.id for rule in current.rules] == ["q", "all"]


async def test_a_missed_announcement_is_caught_up_by_the_periodic_check(
    db: AsyncDatabase[Any], watchers: list[PolicyWatcher], channel: str
) -> None:
    # The writer announces nothing (its publisher is absent, as if Redis dropped the message).
    writer = PolicyStore(db, demo_schema())
    watcher = PolicyWatcher(PolicyStore(db, None), REDIS_URL, channel=channel, poll_interval=0.05)
    await start(watchers, watcher)
    await writer.replace_all(ALLOW_DEALS, actor=ADMIN, reason="quiet", expected_version=0)
    assert (await asyncio.wait_for(watcher.wait_for_version(1), GUARD)).version == 1


async def test_before_its_first_load_a_watcher_denies_everything(
    watchers: list[PolicyWatcher],
) -> None:
    # A database that is not there: the load fails, and the watcher stays closed.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{free_port()}/?directConnection=true&serverSelectionTimeoutMS=200"
    )
    try:
        watcher = PolicyWatcher(PolicyStore(client["x"], None), None, poll_interval=3600)
        assert watcher.current is DENY_ALL and not watcher.loaded
        await start(watchers, watcher)
        assert watcher.current is DENY_ALL and not watcher.loaded
        view = compile_view(watcher.current, RESELLER, demo_schema())
        assert all(decision.is_hidden for decision in view.fields.values())
    finally:
        await client.close()


async def test_an_announcement_that_is_not_a_version_is_ignored(
    db: AsyncDatabase[Any],
    redis_client: aioredis.Redis,
    channel: str,
    watchers: list[PolicyWatcher],
) -> None:
    store = PolicyStore(db, demo_schema(), publisher=RedisPublisher(redis_client, channel))
    watcher = await start(watchers, PolicyWatcher(store, REDIS_URL, channel=channel))
    await redis_client.publish(channel, "not json")
    await redis_client.publish(channel, '{"version": "9"}')
    await store.replace_all(ALLOW_DEALS, actor=ADMIN, reason="open", expected_version=0)
    assert (await asyncio.wait_for(watcher.wait_for_version(1), GUARD)).version == 1
    assert watcher.current.version == 1
