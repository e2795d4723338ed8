"""One reader per event stream per process: read once, hand the entries to the fan-out.

Entries go to the fan-out in the batches one read returns (in id order); the fan-out
finishes a batch before the next read.

The reader starts at the stream's end (live events only; a resuming subscriber reads its
backlog itself, see `resume`), reads in a loop from the last id it got, and when the
backend goes away (`StreamUnavailable`) it backs off and continues from that same id, so
nothing is skipped. If it fell so far behind that its position was trimmed
(`EventsExpired`), its subscribers may have missed events: `on_expired` ends them with
EVENTS_EXPIRED and the reader continues from the stream's end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from resolvers.stream import EventsExpired, EventStream, StreamEntry, StreamUnavailable

logger = logging.getLogger(__name__)

_BACKOFF_START = 0.05
_BACKOFF_CAP = 2.0


class StreamReader:
    def __init__(
        self,
        events: EventStream,
        stream: str,
        on_entries: Callable[[list[StreamEntry]], Awaitable[None]],
        on_expired: Callable[[], None],
        *,
        block_ms: int = 1000,
    ) -> None:
        self.events = events
        self.stream = stream
        self.on_entries = on_entries
        self.on_expired = on_expired
        self.block_ms = block_ms
        self.last_id: str | None = None
        self.started = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"stream-reader {self.stream}")

    async def wait_started(self) -> None:
        """Until the reader knows its starting position: a subscriber attached after that
        misses nothing (anything later is read and fanned out)."""
        await self.started.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        backoff = _BACKOFF_START
        while True:
            try:
                if self.last_id is None:
                    self.last_id = await self.events.last_id(self.stream)
                    self.started.set()
                entries = await self.events.read_live(
                    self.stream, self.last_id, timeout_ms=self.block_ms
                )
                backoff = _BACKOFF_START
            except StreamUnavailable as exc:
                logger.warning("%s: %s; retrying in %.2fs", self.stream, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _BACKOFF_CAP)
                continue
            except EventsExpired:
                logger.error("%s: the reader fell behind the retention window", self.stream)
                self.on_expired()
                self.last_id = None
                continue
            if not entries:
                continue
            try:
                await self.on_entries(entries)
            except Exception:
                logger.exception("%s: fan-out up to %s failed", self.stream, entries[-1].id)
            self.last_id = entries[-1].id
