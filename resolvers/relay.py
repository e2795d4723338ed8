"""The outbox relay: moves committed change events from MongoDB to their streams.

Each pass reads the outbox entries not yet relayed, per entity type in `seq` order (the
commit order of that type's writes), appends each to its entity type's stream and then marks
it relayed. A crash between the append and the mark is harmless: the next pass appends again
and the stream, which is idempotent on `outbox_id`, skips it. When an append fails the pass
stops there, so nothing is skipped or reordered; the relay backs off (capped) and retries,
which is how writes keep succeeding while Redis is down and their events arrive, in order,
once it is back.

It wakes on a change stream on the outbox (prompt delivery) and also polls every
`poll_interval` seconds (a fallback for servers without change streams, and for a change
stream that dropped). Relayed entries are deleted after `retention`, so the outbox stays
small.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.events import stream_name
from resolvers.outbox import OUTBOX, ensure_outbox_indexes, event_from_outbox
from resolvers.stream import EventStream, StreamUnavailable

logger = logging.getLogger(__name__)


class OutboxRelay:
    """Relays `db`'s outbox to `stream`; run it with `start()`/`stop()` or `run_once()`."""

    def __init__(
        self,
        db: AsyncDatabase[Any],
        stream: EventStream,
        *,
        batch_size: int = 200,
        poll_interval: float = 1.0,
        initial_backoff: float = 0.05,
        max_backoff: float = 5.0,
        retention: timedelta = timedelta(hours=24),
        cleanup_interval: float = 300.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._db = db
        self._outbox = db[OUTBOX]
        self._stream = stream
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._initial_backoff = initial_backoff
        self._max_backoff = max_backoff
        self._retention = retention
        self._cleanup_interval = cleanup_interval
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def run_once(self) -> int:
        """Relay every entry not yet relayed; return how many were appended.

        Raises what the stream or the database raised (e.g. `StreamUnavailable`) after
        marking the entries appended before the failure.
        """
        total = 0
        while True:
            pending = (
                await self._outbox.find({"relayed": False})
                .sort([("entity_type", 1), ("seq", 1)])
                .limit(self._batch_size)
                .to_list()
            )
            appended: list[tuple[str, str]] = []
            try:
                for doc in pending:
                    event = event_from_outbox(doc)
                    entry_id = await self._stream.append(stream_name(event.entity_type), event)
                    appended.append((event.outbox_id, entry_id))
            finally:
                await self._mark_relayed(appended)
            total += len(appended)
            if len(pending) < self._batch_size:
                if total:
                    logger.debug("relayed %d change events", total)
                return total

    async def _mark_relayed(self, appended: list[tuple[str, str]]) -> None:
        if not appended:
            return
        now = datetime.now(UTC)
        await self._outbox.bulk_write(
            [
                UpdateOne(
                    {"_id": outbox_id},
                    {"$set": {"relayed": True, "relayed_at": now, "stream_id": entry_id}},
                )
                for outbox_id, entry_id in appended
            ],
            ordered=False,
        )

    async def purge_relayed(self, *, now: datetime | None = None) -> int:
        """Delete entries relayed more than `retention` ago; return how many."""
        cutoff = (now or datetime.now(UTC)) - self._retention
        result = await self._outbox.delete_many({"relayed": True, "relayed_at": {"$lt": cutoff}})
        if result.deleted_count:
            logger.info("deleted %d relayed outbox entries", result.deleted_count)
        return result.deleted_count

    async def start(self) -> None:
        if self._tasks:
            raise RuntimeError("the relay is already running")
        await ensure_outbox_indexes(self._db)
        self._wake.set()  # relay whatever is already waiting
        self._tasks = [
            asyncio.create_task(self._relay_forever(), name="outbox-relay"),
            asyncio.create_task(self._watch_outbox(), name="outbox-relay-watch"),
        ]
        logger.info("outbox relay started")

    async def stop(self) -> None:
        """Stop both tasks. Stopping mid-append is safe: the next start appends again and
        the stream skips what it already has."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if tasks:
            logger.info("outbox relay stopped")

    async def _relay_forever(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = self._initial_backoff
        failures = 0
        next_cleanup = loop.time()
        while True:
            self._wake.clear()  # an insert during the pass sets it again
            try:
                await self.run_once()
                if loop.time() >= next_cleanup:
                    await self.purge_relayed()
                    next_cleanup = loop.time() + self._cleanup_interval
            except Exception as exc:
                failures += 1
                self._log_failure(exc, failures, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if failures:
                logger.info("outbox relay recovered after %d failed attempts", failures)
                failures, backoff = 0, self._initial_backoff
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._wake.wait()

    def _log_failure(self, exc: Exception, failures: int, backoff: float) -> None:
        if isinstance(exc, StreamUnavailable):
            # Expected during an outage: one warning, then quiet retries.
            level = logging.WARNING if failures == 1 else logging.DEBUG
            logger.log(level, "event stream unavailable (%s); retrying in %.2fs", exc, backoff)
        else:
            logger.exception("outbox relay pass failed; retrying in %.2fs", backoff)

    async def _watch_outbox(self) -> None:
        """Set `_wake` on every outbox insert; watch again after an error or an invalidation
        (collection dropped), pausing first so a broken change stream cannot spin."""
        failures = 0
        while True:
            try:
                async with await self._outbox.watch(
                    [{"$match": {"operationType": "insert"}}]
                ) as changes:
                    failures = 0
                    self._wake.set()  # catch inserts made while (re)connecting
                    async for _change in changes:
                        self._wake.set()
                logger.debug("outbox change stream ended; watching again")
            except Exception as exc:
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                logger.log(
                    level,
                    "outbox change stream unavailable (%s); polling every %.1fs",
                    exc,
                    self._poll_interval,
                )
            # A server without change streams fails every time: retry ever more rarely.
            await asyncio.sleep(min(2.0**failures, 30.0) if failures else 0.5)
