"""One subscriber of the fan-out: a bounded queue of deliveries, ended with a reason.

Strawberry runs each subscription as one task awaiting the socket and has no queue of its
own, so the fan-out pushes into this queue without ever waiting: when it is full the
subscriber is ended (`SLOW_CONSUMER`) instead of letting memory grow. The client can
resume from the last event id it received.

A subscriber with a `sink` (graphql-transport-ws) skips the queue while it is empty: the
fan-out loop writes the delivery straight to the socket (`DeliverySink.send`), with no task
wake-up per delivery. Only when the socket cannot take it at once (the client reads slowly)
does it queue, as do the deliveries after it until the queue is drained; the queue is
bounded as above.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

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
    utf8: bytes = field(init=False, repr=False)  # `json`, encoded
    # What transports made of it, to reuse for every subscriber (e.g. a WebSocket message)
    messages: dict[Any, Any] = field(init=False, repr=False, default_factory=dict)
    position: StreamId = field(init=False, repr=False)  # the id, parsed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "utf8", orjson.dumps(self.payload))
        object.__setattr__(self, "json", self.utf8.decode())
        object.__setattr__(self, "position", parse_id(self.event_id))


@dataclass(frozen=True, slots=True)
class Ended:
    code: EndCode
    message: str

    def error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": str(self.code)}}


class DeliverySink(Protocol):
    """Sends a delivery to the client from the fan-out loop, without waiting."""

    def send(self, delivery: Delivery) -> bool:
        """True: sent. False: the socket has no room now and nothing was sent. Raises when
        the client is gone."""
        ...


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
    sink: DeliverySink | None = None
    _queue: asyncio.Queue[Delivery | Ended] = field(init=False)
    _expiry: asyncio.TimerHandle | None = field(init=False, default=None)
    _live: bool = field(init=False, default=False)  # past the resume backfill
    _handed_out: bool = field(init=False, default=False)  # `deliveries` yielded, not resumed

    def __post_init__(self) -> None:
        self._queue = asyncio.Queue()

    def offer(self, delivery: Delivery) -> None:
        """Send or queue a delivery without waiting; a full queue ends the subscriber."""
        if self.ended is not None:
            return
        if self.sink is not None and self._may_send_now():
            if delivery.position <= self.delivered_through:
                return
            try:
                sent = self.sink.send(delivery)
            except Exception:  # the client is gone: the queued path meets it and ends
                self.sink, sent = None, False
            if sent:
                self.delivered_through = delivery.position
                return
        if self._queue.qsize() >= self.max_queue:
            self.end(
                EndCode.SLOW_CONSUMER,
                f"The client did not keep up: more than {self.max_queue} events were waiting. "
                "Resubscribe with extensions.lastEventId to continue where you stopped.",
            )
            return
        self._queue.put_nowait(delivery)

    def _may_send_now(self) -> bool:
        """Nothing sent or queued before may still be on its way (order is kept)."""
        return self._live and not self._handed_out and self._queue.empty()

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
        self._expiry = None
        self.revoke(
            EndCode.CREDENTIALS_EXPIRED,
            "Your credentials expired. Reconnect with a fresh token and resubscribe with "
            "extensions.lastEventId to continue where you stopped.",
        )

    def revoke(self, code: EndCode, message: str) -> None:
        """End now, dropping what is still queued: the credential no longer holds, so
        nothing more may be sent under it (the client resumes from its last event id)."""
        if self.ended is None:
            self.ended = Ended(code, message)
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(self.ended)

    async def deliveries(self) -> AsyncIterator[Delivery | Ended]:
        """Queued deliveries in order (skipping ids already sent), then the end if any.
        From here on the fan-out may send to the `sink` directly while the queue is empty."""
        self._live = True
        while True:
            self._handed_out = False
            item = await self._queue.get()
            if isinstance(item, Ended):
                yield item
                return
            if item.position <= self.delivered_through:
                continue
            self.delivered_through = item.position
            self._handed_out = True
            yield item
