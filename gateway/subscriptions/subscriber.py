"""One subscriber of the fan-out: a bounded queue of deliveries, ended with a reason.

Strawberry runs each subscription as one task awaiting the socket and has no queue of its
own, so the fan-out pushes into this queue without ever waiting: when it is full the
subscriber is ended (`SLOW_CONSUMER`) instead of letting memory grow. The client can
resume from the last event id it received.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from policies.principal import Principal
from resolvers.stream import StreamId, parse_id


class EndCode(StrEnum):
    """Why the gateway ended a subscription (`extensions.code` of the last error)."""

    SLOW_CONSUMER = "SLOW_CONSUMER"
    EVENTS_EXPIRED = "EVENTS_EXPIRED"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    CREDENTIALS_EXPIRED = "CREDENTIALS_EXPIRED"
    CREDENTIALS_REVOKED = "CREDENTIALS_REVOKED"
    SCHEMA_CHANGED = "SCHEMA_CHANGED"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event's payload for the client (`data`, maybe `errors`, `extensions.eventId`),
    and its JSON text: serialized once, shared by every subscriber of a fan-out group."""

    event_id: str
    payload: dict[str, Any]
    json: str = field(init=False, repr=False)
    position: StreamId = field(init=False, repr=False)  # the id, parsed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "json", orjson.dumps(self.payload).decode())
        object.__setattr__(self, "position", parse_id(self.event_id))


@dataclass(frozen=True, slots=True)
class Ended:
    code: EndCode
    message: str

    def error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": str(self.code)}}


_ids = itertools.count(1)


@dataclass(eq=False)
class Subscriber:
    """`operation` is the fan-out's `LiveOperation` (what to deliver), `principal` whose
    view filters it at delivery time."""

    operation: Any
    principal: Principal
    max_queue: int
    # When the caller's credential expires (epoch seconds): the subscription ends then.
    expires_at: float | None = None
    id: int = field(default_factory=lambda: next(_ids))
    ended: Ended | None = None
    # Deliveries with ids at or below this were already sent (by the resume backfill).
    delivered_through: StreamId = (0, 0)
    # The API key id that authenticated the subscription (its revocation ends it), if any.
    credential: str | None = None
    _queue: asyncio.Queue[Delivery | Ended] = field(init=False)
    _expiry: asyncio.TimerHandle | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue()

    def offer(self, delivery: Delivery) -> None:
        """Queue a delivery without waiting; a full queue ends the subscriber."""
        if self.ended is not None:
            return
        if self._queue.qsize() >= self.max_queue:
            self.end(
                EndCode.SLOW_CONSUMER,
                f"The client did not keep up: more than {self.max_queue} events were waiting. "
                "Resubscribe with extensions.lastEventId to continue where you stopped.",
            )
            return
        self._queue.put_nowait(delivery)

    def end(self, code: EndCode, message: str) -> None:
        """End after what is already queued (the end jumps no delivered event)."""
        if self.ended is None:
            self.ended = Ended(code, message)
            self._queue.put_nowait(self.ended)

    def watch_expiry(self) -> None:
        """Schedule the end at `expires_at` (one timer per subscriber, not per wait)."""
        if self.expires_at is None or self._expiry is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self.expires_at - time.time())
        self._expiry = loop.call_later(delay, self._expire)

    def close(self) -> None:
        """The subscription is over: drop the expiry timer."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _expire(self) -> None:
        """Ends now, jumping what is still queued: the credential no longer holds."""
        self._expiry = None
        if self.ended is None:
            self.ended = Ended(
                EndCode.CREDENTIALS_EXPIRED,
                "Your credentials expired. Reconnect with a fresh token and resubscribe with "
                "extensions.lastEventId to continue where you stopped.",
            )
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(self.ended)

    async def deliveries(self) -> AsyncIterator[Delivery | Ended]:
        """Queued deliveries in order (skipping ids already sent), then the end if any."""
        while True:
            item = await self._queue.get()
            if isinstance(item, Ended):
                yield item
                return
            if item.position <= self.delivered_through:
                continue
            self.delivered_through = item.position
            yield item
