"""The in-process event stream: Redis Stream semantics without Redis.

Used when no `REDIS_URL` is set (one process, `partnergraph dev`, tests). It keeps the
semantics of `resolvers.stream` so that nothing above it changes when Redis is configured:
`<ms>-<seq>` ids, idempotent appends on `outbox_id`, approximate `MAXLEN` retention,
`EventsExpired`, and `read_live` that waits without polling.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from dataclasses import dataclass, field

from resolvers.events import ChangeEvent
from resolvers.stream import (
    EventsExpired,
    InvalidEventId,
    StreamEntry,
    StreamId,
    format_id,
    parse_id,
)


@dataclass
class _Log:
    """One stream: entries in id order, with their parsed ids beside them for bisecting."""

    ids: list[StreamId] = field(default_factory=list)
    entries: list[StreamEntry] = field(default_factory=list)
    by_outbox_id: dict[str, str] = field(default_factory=dict)
    last_generated: StreamId = (0, 0)
    trimmed: bool = False
    # Set (and replaced) on every append: readers wait on it instead of polling.
    appended: asyncio.Event = field(default_factory=asyncio.Event)


class MemoryEventStream:
    """An `EventStream` held in this process's memory.

    Retention is approximate like Redis's `MAXLEN ~`: at least `maxlen` entries are kept,
    and the oldest are dropped in batches (about a tenth of `maxlen`) so trimming costs
    amortised O(1) per append. Outbox ids of dropped entries are forgotten, so memory stays
    bounded by the retention.
    """

    def __init__(self, *, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}")
        self._maxlen = maxlen
        self._slack = max(1, maxlen // 10)
        self._logs: dict[str, _Log] = {}

    def _log(self, stream: str) -> _Log:
        log = self._logs.get(stream)
        if log is None:
            log = self._logs[stream] = _Log()
        return log

    async def append(self, stream: str, event: ChangeEvent) -> str:
        log = self._log(stream)
        if event.outbox_id:
            existing = log.by_outbox_id.get(event.outbox_id)
            if existing is not None:
                return existing
        entry_id = self._next_id(log)
        text_id = format_id(entry_id)
        log.ids.append(entry_id)
        log.entries.append(StreamEntry(text_id, event))
        if event.outbox_id:
            log.by_outbox_id[event.outbox_id] = text_id
        self._trim(log)
        appended, log.appended = log.appended, asyncio.Event()
        appended.set()
        return text_id

    def _next_id(self, log: _Log) -> StreamId:
        """Like Redis: wall-clock milliseconds, a sequence within the same millisecond, and
        never going back when the clock does."""
        now_ms = time.time_ns() // 1_000_000
        last_ms, last_seq = log.last_generated
        log.last_generated = (now_ms, 0) if now_ms > last_ms else (last_ms, last_seq + 1)
        return log.last_generated

    def _trim(self, log: _Log) -> None:
        excess = len(log.entries) - self._maxlen
        if excess < self._slack:
            return
        for entry in log.entries[:excess]:
            outbox_id = entry.event.outbox_id
            if outbox_id and log.by_outbox_id.get(outbox_id) == entry.id:
                del log.by_outbox_id[outbox_id]
        del log.ids[:excess]
        del log.entries[:excess]
        log.trimmed = True

    async def read_after(self, stream: str, last_id: str, count: int = 1000) -> list[StreamEntry]:
        if last_id == "$":
            raise InvalidEventId("'$' is only meaningful for read_live; use last_id() instead")
        return self._read_after(self._log(stream), parse_id(last_id), count)

    def _read_after(self, log: _Log, after: StreamId, count: int) -> list[StreamEntry]:
        if log.trimmed and (not log.ids or after < log.ids[0]):
            # An empty trimmed stream cannot happen with maxlen >= 1, but stay fail-safe.
            raise EventsExpired(
                f"events after {format_id(after)} are no longer retained; "
                "refetch with a query and subscribe again"
            )
        start = bisect.bisect_right(log.ids, after)
        return log.entries[start : start + count]

    async def read_live(
        self, stream: str, last_id: str, timeout_ms: int = 1000, count: int = 1000
    ) -> list[StreamEntry]:
        log = self._log(stream)
        after = log.last_generated if last_id == "$" else parse_id(last_id)
        deadline = time.monotonic() + max(timeout_ms, 0) / 1000
        while True:
            entries = self._read_after(log, after, count)
            remaining = deadline - time.monotonic()
            if entries or remaining <= 0:
                return entries
            # No await between the read above and taking the event: no append can slip in.
            try:
                await asyncio.wait_for(log.appended.wait(), remaining)
            except TimeoutError:
                return self._read_after(log, after, count)

    async def last_id(self, stream: str) -> str:
        log = self._logs.get(stream)
        return log.entries[-1].id if log and log.entries else "0-0"

    async def close(self) -> None:
        """Nothing to release; entries live as long as this object."""
