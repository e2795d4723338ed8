"""The fan-out of one event stream to this process's subscribers.

Subscribers are kept in cohorts of the same operation (selection and variables) and
principal, so the work per event grows with the number of cohorts, not of subscribers. Per
event, cohorts are merged into groups by (operation key, view key) — same selection, same
variables, same policy view *now* — and every member of a group gets the same payload
object, serialized once. Groups whose views plan alike (same plan key) share one execution
of the prepared document; only the policy pass (record conditions, masks) is per view.
Filters are checked once per cohort, before enriching (with one probe of the record per
event when a filter needs fields the event does not carry). Several events of a batch are
enriched at once (`concurrency`), but they are delivered in stream order, so every
subscriber receives them in id order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gateway.subscriptions.enrich import Enricher, LiveOperation, SharedRuns
from gateway.subscriptions.policy import EventVisibility
from gateway.subscriptions.schema import LiveField
from gateway.subscriptions.source import StreamReader
from gateway.subscriptions.subscriber import Delivery, EndCode, Subscriber
from policies.principal import Principal
from resolvers.stream import EventStream, StreamEntry

logger = logging.getLogger(__name__)


class FanOut:
    """All subscribers of one stream in this process, fed by one `StreamReader`."""

    def __init__(
        self,
        events: EventStream,
        stream: str,
        field: LiveField,
        enricher: Enricher,
        visibility: EventVisibility,
        concurrency: int = 16,
    ) -> None:
        self.stream = stream
        self.field = field
        self.enricher = enricher
        self.visibility = visibility
        self.subscribers: set[Subscriber] = set()
        # (operation key, principal) -> its subscribers (a dict: insertion-ordered set)
        self.cohorts: dict[tuple[str, Principal], dict[Subscriber, None]] = {}
        self.reader = StreamReader(events, stream, self.dispatch, self._expired)
        self.concurrency = concurrency
        self.dispatched = 0  # events handled (observability, tests)

    async def attach(self, subscriber: Subscriber) -> None:
        """From now on the subscriber's queue receives every event the reader reads."""
        self.reader.start()
        await self.reader.wait_started()
        self.subscribers.add(subscriber)
        key = (subscriber.operation.key, subscriber.principal)
        self.cohorts.setdefault(key, {})[subscriber] = None

    def detach(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        key = (subscriber.operation.key, subscriber.principal)
        cohort = self.cohorts.get(key)
        if cohort is not None:
            cohort.pop(subscriber, None)
            if not cohort:
                del self.cohorts[key]

    def end_all(self, code: EndCode, message: str) -> None:
        for subscriber in list(self.subscribers):
            subscriber.end(code, message)

    def _expired(self) -> None:
        self.end_all(
            EndCode.EVENTS_EXPIRED,
            "The gateway fell behind the event retention window: events may be missing. "
            "Refetch with a query and subscribe again.",
        )

    async def dispatch(self, entries: list[StreamEntry]) -> None:
        """Enrich up to `concurrency` events at once, deliver them in id order."""
        semaphore = asyncio.Semaphore(self.concurrency)

        async def prepare(entry: StreamEntry) -> list[tuple[list[Subscriber], Delivery]]:
            async with semaphore:
                return await self._prepare(entry)

        tasks = [asyncio.ensure_future(prepare(entry)) for entry in entries]
        try:
            for task in tasks:
                for members, delivery in await task:
                    for subscriber in members:
                        subscriber.offer(delivery)
                self.dispatched += 1
        finally:
            for task in tasks:
                task.cancel()

    async def _prepare(self, entry: StreamEntry) -> list[tuple[list[Subscriber], Delivery]]:
        """The deliveries of one event: which subscribers get which payload."""
        groups: dict[tuple[str, str], tuple[LiveOperation, Any, list[Subscriber]]] = {}
        probe: dict[str, Any] | None = None
        probed = False
        for (operation_key, principal), cohort in list(self.cohorts.items()):
            members = list(cohort)
            operation: LiveOperation = members[0].operation
            if not probed and self.field.needs_probe(operation.filter):
                probe, probed = await self.enricher.probe(self.field, entry), True
            view = self.visibility.view(principal)
            if not self.field.matches(operation.filter, entry.event, probe, view):
                continue
            key = (operation_key, self.visibility.view_key(view))
            group = groups.get(key)
            if group is None:
                groups[key] = (operation, view, members)
            else:
                group[2].extend(members)
        if not groups:
            return []
        shared: SharedRuns = {}
        payloads = await asyncio.gather(
            *(
                self.enricher.payload(op, view, entry, members[0].principal, shared)
                for op, view, members in groups.values()
            ),
            return_exceptions=True,
        )
        deliveries = []
        for (_, _, members), payload in zip(groups.values(), payloads, strict=True):
            if isinstance(payload, BaseException):
                logger.error("%s: enriching %s failed: %r", self.stream, entry.id, payload)
            elif payload is not None:  # None: the record is not visible to this view
                deliveries.append((members, Delivery(entry.id, payload)))
        return deliveries

    async def payload_for(self, subscriber: Subscriber, entry: StreamEntry) -> Delivery | None:
        """One event for one subscriber (the resume backfill): same filter and view rules."""
        operation: LiveOperation = subscriber.operation
        probe = None
        if self.field.needs_probe(operation.filter):
            probe = await self.enricher.probe(self.field, entry)
        view = self.visibility.view(subscriber.principal)
        if not self.field.matches(operation.filter, entry.event, probe, view):
            return None
        payload = await self.enricher.payload(operation, view, entry, subscriber.principal)
        return None if payload is None else Delivery(entry.id, payload)

    async def stop(self) -> None:
        await self.reader.stop()
