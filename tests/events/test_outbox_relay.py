"""The outbox relay against a real MongoDB-protocol server and real Redis.

Events are recorded with `record_change` inside real transactions (next to a real data
write), relayed, and read back from the stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis.asyncio as aioredis
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.errors import DomainError, ErrorCode
from resolvers.events import ChangeEvent, stream_name
from resolvers.memory_stream import MemoryEventStream
from resolvers.outbox import OUTBOX, record_change
from resolvers.redis_stream import RedisEventStream
from resolvers.relay import OutboxRelay
from resolvers.stream import EventStream, StreamEntry, StreamUnavailable

Document = dict[str, Any]
DEALS = stream_name("Deal")


@pytest.fixture(params=["memory", "redis"])
async def stream(
    request: pytest.FixtureRequest, redis_client: aioredis.Redis, key_prefix: str
) -> AsyncIterator[EventStream]:
    if request.param == "memory":
        yield MemoryEventStream(maxlen=1000)
        return
    yield RedisEventStream(redis_client, maxlen=1000, key_prefix=key_prefix)
    keys = [key async for key in redis_client.scan_iter(match=f"{key_prefix}*")]
    if keys:
        await redis_client.delete(*keys)


def deal_event(deal_id: str, version: int, *changed: str) -> ChangeEvent:
    return ChangeEvent(
        entity_type="Deal",
        key={"id": deal_id},
        changed_fields=changed or ("stage",),
        version=version,
        partner_ids=("P-RESELLER-1", "P-VENDOR"),
    )


async def write(db: AsyncDatabase[Document], event: ChangeEvent) -> str:
    """A data write and its change event, in one transaction; returns the outbox id."""

    async def work(session: AsyncClientSession) -> str:
        await db["deals"].update_one(
            {"_id": event.key.get("id", str(event.key))},
            {"$set": {"version": event.version}},
            upsert=True,
            session=session,
        )
        return await record_change(db, session, event)

    async with db.client.start_session() as session:
        return await session.with_transaction(work)


async def read_all(stream: EventStream, name: str) -> list[StreamEntry]:
    return await stream.read_after(name, "0")


async def test_relays_each_event_once_in_order_with_its_content(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    deals = [deal_event("D-1", 1), deal_event("D-2", 1, "stage", "amount"), deal_event("D-1", 2)]
    product = ChangeEvent("Product", {"sku": "SKU-1", "warehouseId": "WH-EU"}, ("stock",), 7)
    outbox_ids = [await write(db, event) for event in deals]
    product_outbox_id = await write(db, product)
    relay = OutboxRelay(db, stream)

    assert await relay.run_once() == 4
    assert await relay.run_once() == 0  # a second run appends nothing

    entries = await read_all(stream, DEALS)
    assert [entry.event.outbox_id for entry in entries] == outbox_ids
    for entry, recorded, outbox_id in zip(entries, deals, outbox_ids, strict=True):
        # Exactly what was recorded, plus the outbox id (times are stored to the ms).
        assert entry.event == ChangeEvent(**{**_fields(recorded), "outbox_id": outbox_id})
    [product_entry] = await read_all(stream, stream_name("Product"))
    assert product_entry.event.key == {"sku": "SKU-1", "warehouseId": "WH-EU"}
    assert product_entry.event.outbox_id == product_outbox_id

    docs = await db[OUTBOX].find({"entity_type": "Deal"}).sort("seq", 1).to_list()
    assert [doc["seq"] for doc in docs] == [1, 2, 3]
    assert all(doc["relayed"] for doc in docs)
    assert [doc["stream_id"] for doc in docs] == [entry.id for entry in entries]


def _fields(event: ChangeEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in ChangeEvent.__dataclass_fields__}


class CrashAfterAppend:
    """A real stream whose `append` "crashes" right after the n-th append has happened,
    like a relay process dying between the append and marking the entry relayed."""

    def __init__(self, inner: EventStream, crash_on: int) -> None:
        self._inner = inner
        self._crash_on = crash_on
        self.appends = 0

    async def append(self, stream: str, event: ChangeEvent) -> str:
        entry_id = await self._inner.append(stream, event)
        self.appends += 1
        if self.appends == self._crash_on:
            raise RuntimeError("relay crashed after the append")
        return entry_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_crash_between_append_and_mark_does_not_duplicate(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    outbox_ids = [await write(db, deal_event(f"D-{i}", 1)) for i in range(5)]
    crashing = CrashAfterAppend(stream, crash_on=3)

    with pytest.raises(RuntimeError, match="crashed"):
        await OutboxRelay(db, crashing).run_once()

    unmarked = await db[OUTBOX].find({"relayed": False}).sort("seq", 1).to_list()
    # The third was appended but not marked: it will be appended again.
    assert [doc["_id"] for doc in unmarked] == outbox_ids[2:]
    assert len(await read_all(stream, DEALS)) == 3

    assert await OutboxRelay(db, stream).run_once() == 3
    entries = await read_all(stream, DEALS)
    assert [entry.event.outbox_id for entry in entries] == outbox_ids
    assert await db[OUTBOX].count_documents({"relayed": False}) == 0


async def test_aborted_transaction_records_no_event(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    async def rejected(session: AsyncClientSession) -> None:
        await db["deals"].insert_one({"_id": "D-9", "stage": "won"}, session=session)
        await record_change(db, session, deal_event("D-9", 1))
        raise DomainError(ErrorCode.INVALID_TRANSITION, "a new deal cannot start as won")

    async with db.client.start_session() as session:
        with pytest.raises(DomainError):
            await session.with_transaction(rejected)

    assert await db["deals"].count_documents({}) == 0
    assert await db[OUTBOX].count_documents({}) == 0
    assert await OutboxRelay(db, stream).run_once() == 0
    assert await read_all(stream, DEALS) == []


async def test_record_change_outside_a_transaction_is_refused(db: AsyncDatabase[Document]) -> None:
    async with db.client.start_session() as session:
        with pytest.raises(RuntimeError, match="inside the write's transaction"):
            await record_change(db, session, deal_event("D-1", 1))
    assert await db[OUTBOX].count_documents({}) == 0


async def test_concurrent_writes_are_relayed_in_commit_order(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    """Ten transactions race on one deal (read, increment, write); each event carries the
    version its transaction wrote, so commit order shows as versions 1..10 in the stream."""
    await db["deals"].insert_one({"_id": "D-1", "version": 0})

    async def bump(session: AsyncClientSession) -> None:
        doc = await db["deals"].find_one({"_id": "D-1"}, session=session)
        assert doc is not None
        version = doc["version"] + 1
        await db["deals"].update_one(
            {"_id": "D-1"}, {"$set": {"version": version}}, session=session
        )
        await record_change(db, session, deal_event("D-1", version))

    async def one_write() -> None:
        async with db.client.start_session() as session:
            await session.with_transaction(bump)

    await asyncio.gather(*(one_write() for _ in range(10)))
    await OutboxRelay(db, stream).run_once()

    entries = await read_all(stream, DEALS)
    assert [entry.event.version for entry in entries] == list(range(1, 11))


async def test_relays_in_batches_without_losing_order(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    outbox_ids = [await write(db, deal_event(f"D-{i}", 1)) for i in range(7)]
    assert await OutboxRelay(db, stream, batch_size=3).run_once() == 7
    assert [e.event.outbox_id for e in await read_all(stream, DEALS)] == outbox_ids


async def test_a_failing_stream_leaves_entries_pending_in_order(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    class Down:
        async def append(self, stream: str, event: ChangeEvent) -> str:
            raise StreamUnavailable("Redis is unavailable: connection refused")

    outbox_ids = [await write(db, deal_event(f"D-{i}", 1)) for i in range(3)]
    with pytest.raises(StreamUnavailable):
        await OutboxRelay(db, Down()).run_once()  # type: ignore[arg-type]
    assert await db[OUTBOX].count_documents({"relayed": False}) == 3

    assert await OutboxRelay(db, stream).run_once() == 3
    assert [e.event.outbox_id for e in await read_all(stream, DEALS)] == outbox_ids


async def test_started_relay_delivers_new_writes_without_waiting_for_a_poll(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    # A poll interval far longer than the guard below: only the change stream can wake it.
    relay = OutboxRelay(db, stream, poll_interval=120.0)
    before = await write(db, deal_event("D-0", 1))
    await relay.start()
    try:
        first = await _wait_for_entries(stream, "0", 1)
        after = await write(db, deal_event("D-1", 1))
        second = await _wait_for_entries(stream, first[-1].id, 1)
    finally:
        await relay.stop()
    assert [entry.event.outbox_id for entry in first + second] == [before, after]


async def _wait_for_entries(stream: EventStream, last_id: str, n: int) -> list[StreamEntry]:
    """Live-read until `n` entries after `last_id` arrived (the guard only stops a hang)."""
    got: list[StreamEntry] = []
    async with asyncio.timeout(30):
        while len(got) < n:
            got += await stream.read_live(DEALS, got[-1].id if got else last_id, 500)
    return got


async def test_purge_deletes_only_entries_relayed_before_the_retention(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    relay = OutboxRelay(db, stream, retention=timedelta(hours=1))
    for i in range(2):
        await write(db, deal_event(f"D-{i}", 1))
    await relay.run_once()
    pending = await write(db, deal_event("D-9", 1))

    assert await relay.purge_relayed() == 0  # relayed just now: kept
    later = datetime.now(UTC) + timedelta(hours=1, minutes=1)
    assert await relay.purge_relayed(now=later) == 2
    remaining = await db[OUTBOX].find().to_list()
    assert [doc["_id"] for doc in remaining] == [pending]  # never relayed: never purged


async def test_two_relays_at_once_append_each_event_once_in_order(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    """Replicas may each run a relay: both append in `seq` order and the stream skips
    outbox ids it already has, so the result is one copy of each, in order."""
    outbox_ids = [await write(db, deal_event(f"D-{i}", 1)) for i in range(20)]
    relays = [OutboxRelay(db, stream, batch_size=4) for _ in range(2)]

    await asyncio.gather(*(relay.run_once() for relay in relays))

    assert [e.event.outbox_id for e in await read_all(stream, DEALS)] == outbox_ids
    assert await db[OUTBOX].count_documents({"relayed": False}) == 0


async def test_started_relay_keeps_relaying_after_the_outbox_is_dropped(
    db: AsyncDatabase[Document], stream: EventStream
) -> None:
    """Dropping the collection invalidates the change stream; the relay watches again
    (or polls) and later writes still arrive."""
    relay = OutboxRelay(db, stream, poll_interval=0.2)
    first = await write(db, deal_event("D-0", 1))
    await relay.start()
    try:
        await _wait_for_entries(stream, "0", 1)
        await db[OUTBOX].drop()
        second = await write(db, deal_event("D-1", 1))
        entries = await _wait_for_entries(stream, "0", 2)
    finally:
        await relay.stop()
    assert [entry.event.outbox_id for entry in entries] == [first, second]
