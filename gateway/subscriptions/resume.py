"""Resume without gap or duplicate (DESIGN.md, "Event semantics").

1. Attach the subscriber to the live fan-out first: from then on live events queue up.
2. Read the retained range after the client's last id and deliver it (filtered by the
   subscriber's policy now), in id order.
3. Then deliver the queued live events whose ids are above the last one delivered.

Anything appended before step 1 is in the range read in step 2; anything the reader fans
out after step 1 is queued; ids delivered twice are dropped by `Subscriber.deliveries`. A
last id older than the retention window raises `EventsExpired` before anything is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gateway.subscriptions.fanout import FanOut
from gateway.subscriptions.subscriber import Delivery, Ended, Subscriber
from resolvers.stream import EventStream, parse_id

_PAGE = 200


async def backlog(
    events: EventStream, fanout: FanOut, subscriber: Subscriber, last_event_id: str
) -> AsyncIterator[Delivery]:
    """Step 2: the retained events after `last_event_id` for this subscriber. The first
    read raises `EventsExpired` (or `InvalidEventId`) before anything is yielded."""
    after = last_event_id
    while True:
        entries = await events.read_after(fanout.stream, after, count=_PAGE)
        if not entries:
            return
        for entry in entries:
            after = entry.id
            delivery = await fanout.payload_for(subscriber, entry)
            subscriber.delivered_through = parse_id(entry.id)
            if delivery is not None:
                yield delivery


async def deliveries(
    events: EventStream,
    fanout: FanOut,
    subscriber: Subscriber,
    last_event_id: str | None,
) -> AsyncIterator[Delivery | Ended]:
    """The subscriber's whole stream: backlog (when resuming), then live events. The
    subscriber must already be attached (step 1)."""
    if last_event_id is not None:
        subscriber.delivered_through = parse_id(last_event_id)
        async for delivery in backlog(events, fanout, subscriber, last_event_id):
            yield delivery
    async for item in subscriber.deliveries():
        yield item
