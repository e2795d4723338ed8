"""The event stream on Redis Streams: shared by every gateway replica and relay.

Each entity type's stream is one Redis Stream (`XADD ... MAXLEN ~ n`). Beside it, two small
keys make appends idempotent on the event's outbox id:

- `<stream>:outbox-ids`, a hash outbox id -> entry id, and
- `<stream>:outbox-order`, a list of those outbox ids in append order,

updated by one Lua script together with the `XADD`, so "is it there? if not, append and
remember it" is atomic even with several relays. After each append the script drops the
outbox ids whose entries have been trimmed (the list is in stream order, so that is a walk
from its head), so both keys stay as bounded as the stream's retention.

Needs Redis >= 6.2 (exclusive `XRANGE` bounds); the tests run on Redis 7.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from resolvers.events import ChangeEvent
from resolvers.stream import (
    EventsExpired,
    InvalidEventId,
    StreamEntry,
    StreamUnavailable,
    format_id,
    parse_id,
)

logger = logging.getLogger(__name__)

# KEYS: stream, outbox-ids hash, outbox-order list.
# ARGV: outbox id ("" = not idempotent), maxlen, then field, value, field, value, ...
_APPEND = """
local outbox_id = ARGV[1]
if outbox_id ~= '' then
  local existing = redis.call('HGET', KEYS[2], outbox_id)
  if existing then
    if #redis.call('XRANGE', KEYS[1], existing, existing) > 0 then
      return existing
    end
    redis.call('HDEL', KEYS[2], outbox_id)
  end
end
local xadd = {'XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*'}
for i = 3, #ARGV do xadd[#xadd + 1] = ARGV[i] end
local id = redis.call(unpack(xadd))
if outbox_id ~= '' then
  redis.call('HSET', KEYS[2], outbox_id, id)
  redis.call('RPUSH', KEYS[3], outbox_id)
end
local function before(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  a_ms, b_ms = tonumber(a_ms), tonumber(b_ms)
  return a_ms < b_ms or (a_ms == b_ms and tonumber(a_seq) < tonumber(b_seq))
end
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1][1]
while true do
  local head = redis.call('LINDEX', KEYS[3], 0)
  if not head then break end
  local head_id = redis.call('HGET', KEYS[2], head)
  if head_id and not before(head_id, oldest) then break end
  redis.call('LPOP', KEYS[3])
  if head_id then redis.call('HDEL', KEYS[2], head) end
end
return id
"""


@contextmanager
def _unavailable_on_connection_errors() -> Iterator[None]:
    """Turn "Redis is not there" into the interface's `StreamUnavailable` (retry later)."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise StreamUnavailable(f"Redis is unavailable: {exc}") from exc


class RedisEventStream:
    """An `EventStream` on Redis Streams.

    `key_prefix` is put before every stream name (tests isolate their keys with it).
    The client must decode responses (`decode_responses=True`; `streams.open_event_stream`
    makes a suitable one). A blocking read waits at most `max_block_ms` per call, so it
    stays below the client's socket timeout; callers loop anyway.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        maxlen: int,
        key_prefix: str = "",
        owns_client: bool = False,
        max_block_ms: int = 2000,
    ) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}")
        if not client.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError("RedisEventStream needs a client made with decode_responses=True")
        self._redis = client
        self._maxlen = maxlen
        self._prefix = key_prefix
        self._owns_client = owns_client
        self._max_block_ms = max_block_ms
        self._append = client.register_script(_APPEND)

    def _key(self, stream: str) -> str:
        return self._prefix + stream

    async def append(self, stream: str, event: ChangeEvent) -> str:
        key = self._key(stream)
        args: list[str | int] = [event.outbox_id, self._maxlen]
        for name, value in event.to_fields().items():
            args += [name, value]
        with _unavailable_on_connection_errors():
            entry_id = await self._append(
                keys=[key, f"{key}:outbox-ids", f"{key}:outbox-order"], args=args
            )
        return cast(str, entry_id)

    async def read_after(self, stream: str, last_id: str, count: int = 1000) -> list[StreamEntry]:
        if last_id == "$":
            raise InvalidEventId("'$' is only meaningful for read_live; use last_id() instead")
        return await self._read_after(self._key(stream), format_id(parse_id(last_id)), count)

    async def _read_after(self, key: str, after: str, count: int) -> list[StreamEntry]:
        """The range after `after`, checked against trimming in the same MULTI/EXEC, so a
        trim cannot slip in between the check and the read."""
        with _unavailable_on_connection_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xinfo_stream(key)
                pipe.xrange(key, f"({after}", "+", count=count)
                info, rows = await pipe.execute(raise_on_error=False)
        if isinstance(info, ResponseError):
            if "no such key" in str(info).lower():
                return []  # never written: nothing can have expired
            raise info
        if isinstance(rows, Exception):
            raise rows
        self._check_retained(info, after)
        return self._entries(key, rows)

    @staticmethod
    def _check_retained(info: dict[str, Any], after: str) -> None:
        """Expired when the stream has been trimmed (entries added > entries kept) and
        `after` is older than the oldest entry kept: the reader may have missed events.

        (Redis 7's `max-deleted-entry-id` would be exact, but `XADD MAXLEN` trimming does not
        update it.) A reader whose last id is exactly the newest trimmed entry is told it
        expired too: conservative, never lossy.
        """
        if int(info.get("entries-added", info["length"])) <= int(info["length"]):
            return
        first = info.get("first-entry")
        oldest = first[0] if first else info["last-generated-id"]
        if parse_id(after) < parse_id(oldest):
            raise EventsExpired(
                f"events after {after} are no longer retained; "
                "refetch with a query and subscribe again"
            )

    @staticmethod
    def _entries(key: str, rows: list[tuple[str, dict[str, str]]]) -> list[StreamEntry]:
        entries = []
        for entry_id, fields in rows:
            try:
                entries.append(StreamEntry(entry_id, ChangeEvent.from_fields(fields)))
            except (KeyError, ValueError) as exc:
                # Not written by `append`; skipping it keeps readers moving.
                logger.error("skipping malformed entry %s in %s: %r", entry_id, key, exc)
        return entries

    async def read_live(
        self, stream: str, last_id: str, timeout_ms: int = 1000, count: int = 1000
    ) -> list[StreamEntry]:
        """Retained entries after `last_id` if there are any (checked for expiry), else a
        blocking `XREAD` from `last_id`; `timeout_ms <= 0` does not block."""
        key = self._key(stream)
        if last_id == "$":
            after = "$"
        else:
            after = format_id(parse_id(last_id))
            entries = await self._read_after(key, after, count)
            if entries:
                return entries
        block = min(timeout_ms, self._max_block_ms) if timeout_ms > 0 else None
        with _unavailable_on_connection_errors():
            result = await self._redis.xread({key: after}, count=count, block=block)
        if not result:
            return []
        # RESP2 gives [[key, rows]], RESP3 gives {key: [rows]}.
        rows = result[key][0] if isinstance(result, dict) else result[0][1]
        return self._entries(key, cast(list[tuple[str, dict[str, str]]], rows))

    async def last_id(self, stream: str) -> str:
        with _unavailable_on_connection_errors():
            rows = await self._redis.xrevrange(self._key(stream), "+", "-", count=1)
        return cast(str, rows[0][0]) if rows else "0-0"

    async def close(self) -> None:
        if self._owns_client:
            await self._redis.aclose()
