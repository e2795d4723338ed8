"""Both `EventStream` implementations, held to the same semantics (resolvers/stream.py).

Every test runs against the in-process stream and against the shared real Redis (keys under
the test's own prefix).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from resolvers.embedded_mongo import free_port
from resolvers.events import ChangeEvent, stream_name
from resolvers.memory_stream import MemoryEventStream
from resolvers.redis_stream import RedisEventStream
from resolvers.stream import (
    EventsExpired,
    EventStream,
    InvalidEventId,
    StreamEntry,
    StreamUnavailable,
    parse_id,
)

DEALS = stream_name("Deal")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
MakeStream = Callable[[int], EventStream]


@pytest.fixture(params=["memory", "redis"])
async def make_stream(
    request: pytest.FixtureRequest, redis_client: aioredis.Redis, key_prefix: str
) -> AsyncIterator[MakeStream]:
    """A factory, so a test can choose the retention (`maxlen`)."""

    def make(maxlen: int) -> EventStream:
        if request.param == "memory":
            return MemoryEventStream(maxlen=maxlen)
        # Block long enough that a live read returns on an append, not on the cap, and
        # below the client's 5 s socket timeout.
        return RedisEventStream(
            redis_client, maxlen=maxlen, key_prefix=key_prefix, max_block_ms=4_000
        )

    yield make
    keys = [key async for key in redis_client.scan_iter(match=f"{key_prefix}*")]
    if keys:
        await redis_client.delete(*keys)


def event(n: int, outbox_id: str | None = None) -> ChangeEvent:
    return ChangeEvent(
        entity_type="Deal",
        key={"id": f"D-{n}"},
        changed_fields=("stage", "amount"),
        version=n,
        partner_ids=("P-1", "P-2"),
        occurred_at=T0 + timedelta(milliseconds=n),
        outbox_id=f"ob-{n}" if outbox_id is None else outbox_id,
    )


async def append_many(stream: EventStream, numbers: range) -> list[str]:
    return [await stream.append(DEALS, event(n)) for n in numbers]


async def test_ids_increase_and_entries_read_back_in_order(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    assert await stream.last_id(DEALS) == "0-0"
    assert await stream.read_after(DEALS, "0") == []

    ids = await append_many(stream, range(50))

    assert [parse_id(i) for i in ids] == sorted({parse_id(i) for i in ids})  # strictly up
    entries = await stream.read_after(DEALS, "0")
    assert entries == [StreamEntry(i, event(n)) for n, i in enumerate(ids)]
    assert await stream.read_after(DEALS, "0-0") == entries
    assert await stream.last_id(DEALS) == ids[-1]
    assert await stream.read_after(stream_name("Product"), "0") == []  # streams are separate


async def test_append_is_idempotent_on_outbox_id(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    first, second = await append_many(stream, range(2))

    assert await stream.append(DEALS, event(0)) == first  # a relay's retry
    assert await stream.append(DEALS, event(1)) == second

    assert [e.id for e in await stream.read_after(DEALS, "0")] == [first, second]


async def test_events_without_an_outbox_id_are_all_appended(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    await stream.append(DEALS, event(1, outbox_id=""))
    await stream.append(DEALS, event(1, outbox_id=""))
    assert len(await stream.read_after(DEALS, "0")) == 2


async def test_read_after_an_id_in_the_middle(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    ids = await append_many(stream, range(20))

    assert [e.id for e in await stream.read_after(DEALS, ids[9])] == ids[10:]
    assert [e.id for e in await stream.read_after(DEALS, ids[9], count=3)] == ids[10:13]
    assert await stream.read_after(DEALS, ids[-1]) == []
    # A bare `<ms>` means `<ms>-0`, as in Redis: entries after it, whichever they are.
    ms, _ = parse_id(ids[9])
    later = [i for i in ids if parse_id(i) > (ms, 0)]
    assert [e.id for e in await stream.read_after(DEALS, str(ms))] == later


async def test_retention_trims_old_entries_and_old_positions_expire(
    make_stream: MakeStream,
) -> None:
    stream = make_stream(10)
    ids = await append_many(stream, range(300))  # Redis trims whole nodes of 100 entries

    # At least `maxlen` entries stay; a position inside them still reads on.
    assert [e.id for e in await stream.read_after(DEALS, ids[-10])] == ids[-9:]
    # Positions before what is retained expire: the reader would have missed events.
    for old in ("0", "0-0", ids[0]):
        with pytest.raises(EventsExpired) as raised:
            await stream.read_after(DEALS, old)
        assert raised.value.code == "EVENTS_EXPIRED"
    with pytest.raises(EventsExpired):
        await stream.read_live(DEALS, ids[0], timeout_ms=0)

    # Outbox ids of trimmed entries are forgotten (bounded memory): a very late retry of
    # the first event appends it again, after everything else.
    again = await stream.append(DEALS, event(0))
    assert parse_id(again) > parse_id(ids[-1])


async def test_bad_positions_are_refused_with_a_clear_error(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    ids = await append_many(stream, range(3))

    for bad in ("", "abc", "1-2-3", "-1", "12-x", "99999999999999999999999-0"):
        with pytest.raises(InvalidEventId) as raised:
            await stream.read_after(DEALS, bad)
        assert raised.value.code == "BAD_USER_INPUT"
        assert "expected '<milliseconds>-<sequence>'" in str(raised.value)
        with pytest.raises(InvalidEventId):
            await stream.read_live(DEALS, bad, timeout_ms=0)
    with pytest.raises(InvalidEventId, match="read_live"):
        await stream.read_after(DEALS, "$")

    assert [e.id for e in await stream.read_after(DEALS, "0")] == ids  # nothing changed


async def test_read_live_waits_for_an_append(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    [last] = await append_many(stream, range(1))

    reader = asyncio.create_task(stream.read_live(DEALS, last, timeout_ms=60_000))
    await asyncio.sleep(0.1)
    assert not reader.done()  # nothing new yet: it waits
    [new_id] = await append_many(stream, range(1, 2))

    assert await asyncio.wait_for(reader, 30) == [StreamEntry(new_id, event(1))]


async def test_read_live_returns_retained_entries_at_once(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    ids = await append_many(stream, range(5))
    assert [e.id for e in await stream.read_live(DEALS, ids[1], timeout_ms=60_000)] == ids[2:]


async def test_read_live_times_out_empty(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    ids = await append_many(stream, range(2))
    assert await stream.read_live(DEALS, ids[-1], timeout_ms=50) == []
    assert await stream.read_live(DEALS, ids[-1], timeout_ms=0) == []


async def test_read_live_from_dollar_sees_only_later_entries(make_stream: MakeStream) -> None:
    stream = make_stream(1000)
    old = await append_many(stream, range(3))

    reader = asyncio.create_task(stream.read_live(DEALS, "$", timeout_ms=60_000))
    appended: list[str] = []
    async with asyncio.timeout(30):  # guards a hang only
        while not reader.done():
            appended += await append_many(stream, range(100 + len(appended), 101 + len(appended)))
            await asyncio.sleep(0.02)
    entries = reader.result()

    assert entries, "the reader returned without an entry"
    assert {e.id for e in entries} <= set(appended)
    assert all(parse_id(e.id) > parse_id(old[-1]) for e in entries)


async def test_concurrent_readers_each_see_every_entry_in_order(
    make_stream: MakeStream,
) -> None:
    stream = make_stream(1000)
    [start] = await append_many(stream, range(1))

    async def follow(n: int) -> list[str]:
        seen: list[str] = []
        while len(seen) < n:
            batch = await stream.read_live(DEALS, seen[-1] if seen else start, 60_000)
            seen += [e.id for e in batch]
        return seen

    readers = [asyncio.create_task(follow(30)) for _ in range(8)]
    await asyncio.sleep(0.05)
    written: list[str] = []
    for n in range(1, 31):
        written += await append_many(stream, range(n, n + 1))
        await asyncio.sleep(0)  # let readers interleave with the writer

    results = await asyncio.wait_for(asyncio.gather(*readers), 30)
    assert results == [written] * 8


async def test_maxlen_must_be_positive(redis_client: aioredis.Redis) -> None:
    with pytest.raises(ValueError, match="maxlen"):
        MemoryEventStream(maxlen=0)
    with pytest.raises(ValueError, match="maxlen"):
        RedisEventStream(redis_client, maxlen=0)


async def test_redis_client_must_decode_responses() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        with pytest.raises(ValueError, match="decode_responses"):
            RedisEventStream(client, maxlen=10)
    finally:
        await client.aclose()


async def test_redis_outbox_id_index_stays_as_small_as_the_stream(
    redis_client: aioredis.Redis, key_prefix: str
) -> None:
    stream = RedisEventStream(redis_client, maxlen=10, key_prefix=key_prefix)
    key = key_prefix + DEALS
    try:
        await append_many(stream, range(500))
        length = await redis_client.xlen(key)
        assert length < 500  # trimmed
        assert await redis_client.hlen(f"{key}:outbox-ids") == length
        assert await redis_client.llen(f"{key}:outbox-order") == length
    finally:
        await redis_client.delete(key, f"{key}:outbox-ids", f"{key}:outbox-order")


async def test_unreachable_redis_raises_stream_unavailable() -> None:
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    stream = RedisEventStream(client, maxlen=10, owns_client=True)
    calls: list[Callable[[], Awaitable[object]]] = [
        lambda: stream.append(DEALS, event(1)),
        lambda: stream.read_after(DEALS, "0"),
        lambda: stream.read_live(DEALS, "0", timeout_ms=10),
        lambda: stream.last_id(DEALS),
    ]
    try:
        for call in calls:
            with pytest.raises(StreamUnavailable) as raised:
                await call()
            assert raised.value.code == "STREAM_UNAVAILABLE"
    finally:
        await stream.close()
