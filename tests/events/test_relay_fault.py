"""Fault test: Redis goes away while writes continue, then comes back.

The test runs its own `redis-server` child process (the shared one stays up), stops it by
PID, and starts it again on the same port. It keeps nothing on disk, so the restarted Redis
starts with empty streams: what was relayed before the outage was read before it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.events import ChangeEvent, stream_name
from resolvers.outbox import OUTBOX, record_change
from resolvers.relay import OutboxRelay
from resolvers.stream import EventStream, StreamEntry, StreamUnavailable
from resolvers.streams import open_event_stream
from tests.redis_process import RedisProcess, running_redis

Document = dict[str, Any]
DEALS = stream_name("Deal")


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisProcess]:
    async with running_redis() as server:
        yield server


async def write(db: AsyncDatabase[Document], deal_id: str, version: int) -> str:
    """A deal write and its change event in one transaction; returns the outbox id."""
    event = ChangeEvent("Deal", {"id": deal_id}, ("stage",), version, ("P-1",))

    async def work(session: AsyncClientSession) -> str:
        await db["deals"].update_one(
            {"_id": deal_id}, {"$set": {"version": version}}, upsert=True, session=session
        )
        return await record_change(db, session, event)

    async with db.client.start_session() as session:
        return await session.with_transaction(work)


async def wait_for_entries(stream: EventStream, n: int) -> list[StreamEntry]:
    """Live-read from the start until `n` entries arrived (the guard only stops a hang)."""
    got: list[StreamEntry] = []
    async with asyncio.timeout(30):
        while len(got) < n:
            got += await stream.read_live(DEALS, got[-1].id if got else "0", 500)
    return got


async def wait_until_all_relayed(db: AsyncDatabase[Document]) -> None:
    """Appended is not yet marked: wait for the marks (the guard only stops a hang)."""
    async with asyncio.timeout(30):
        while True:
            if not await db[OUTBOX].count_documents({"relayed": False}):
                return
            await asyncio.sleep(0.05)


@pytest.mark.fault
async def test_events_written_while_redis_is_down_arrive_once_in_order_after_restart(
    db: AsyncDatabase[Document], own_redis: RedisProcess
) -> None:
    stream = open_event_stream(own_redis.url, maxlen=1000)
    relay = OutboxRelay(db, stream, poll_interval=0.2, initial_backoff=0.05, max_backoff=0.2)
    await relay.start()
    try:
        before = [await write(db, f"D-{i}", 1) for i in range(3)]
        relayed_before = await wait_for_entries(stream, 3)
        # Marked relayed before Redis goes: the restarted, empty Redis has no outbox ids
        # left to skip a re-append with.
        await wait_until_all_relayed(db)

        await own_redis.stop()
        during = [await write(db, f"D-{i}", 2) for i in range(3)]  # writes still succeed
        with pytest.raises(StreamUnavailable):
            await stream.last_id(DEALS)
        assert await db[OUTBOX].count_documents({"relayed": False}) == 3

        await own_redis.start()  # same port, empty: it kept nothing on disk
        after = [await write(db, "D-0", 3)]
        relayed_after = await wait_for_entries(stream, 4)
        await wait_until_all_relayed(db)
        assert await stream.read_after(DEALS, relayed_after[-1].id) == []
    finally:
        await relay.stop()
        await stream.close()

    delivered = [entry.event.outbox_id for entry in relayed_before + relayed_after]
    assert delivered == before + during + after
    assert [entry.event.version for entry in relayed_after] == [2, 2, 2, 3]
