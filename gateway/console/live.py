"""The live panel's data: recent change events and active subscriptions per partner.

Neither is in the admin API yet, so the console reads them here, from the same objects the
gateway runs on: the event stream (`resolvers.stream.EventStream`) and this process's
`SubscriptionService` (its fan-outs and their subscribers). Counts are per process: with
several replicas each console shows its own replica's subscribers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from gateway.subscriptions import SubscriptionService
from resolvers.events import stream_name
from resolvers.stream import EventStream, StreamEntry, StreamUnavailable, parse_id

RECENT_WINDOW_MS = 15 * 60 * 1000
RECENT_LIMIT = 25
LIVE_ENTITY_TYPES = ("Deal", "InventoryItem")


@dataclass(frozen=True, slots=True)
class LiveSources:
    """Where the live panel looks; either may be absent (the panel then says so)."""

    events: EventStream | None = None
    subscriptions: SubscriptionService | None = None
    entity_types: tuple[str, ...] = LIVE_ENTITY_TYPES


def subscription_counts(service: SubscriptionService) -> list[dict[str, Any]]:
    """Active subscribers of this process per (partner, field), most first."""
    counts: Counter[tuple[str, str]] = Counter()
    for fanout in service.fanouts.values():
        for subscriber in list(fanout.subscribers):
            principal = subscriber.principal
            who = principal.partner_id or principal.subject or "anonymous"
            counts[(who, fanout.field.name)] += 1
    return [
        {"partner": partner, "field": field, "count": count}
        for (partner, field), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


async def recent_events(
    events: EventStream, entity_types: tuple[str, ...], limit: int = RECENT_LIMIT
) -> list[dict[str, Any]]:
    """The newest events of the last `RECENT_WINDOW_MS` of each stream, newest first.

    The stream protocol reads forward only, so this reads from a moment before the newest
    entry; a burst of more than 1000 events in the window shows its oldest part.
    """
    entries: list[tuple[str, StreamEntry]] = []
    for entity_type in entity_types:
        stream = stream_name(entity_type)
        newest = await events.last_id(stream)
        if newest == "0-0":
            continue
        start = max(parse_id(newest)[0] - RECENT_WINDOW_MS, 0)
        found = await events.read_after(stream, f"{start}-0", count=1000)
        entries += [(entity_type, entry) for entry in found]
    entries.sort(key=lambda item: parse_id(item[1].id), reverse=True)
    return [_event_row(entity_type, entry) for entity_type, entry in entries[:limit]]


def _event_row(entity_type: str, entry: StreamEntry) -> dict[str, Any]:
    event = entry.event
    return {
        "stream": entity_type,
        "id": entry.id,
        "type": event.entity_type,
        "key": event.key,
        "changed": list(event.changed_fields),
        "version": event.version,
        "partners": list(event.partner_ids),
        "at": event.occurred_at.isoformat(),
    }


async def live_status(sources: LiveSources) -> dict[str, Any]:
    """What `/admin/live.json` answers: `subscriptions`, `events`, and what is missing."""
    status: dict[str, Any] = {"subscriptions": None, "events": None, "notes": []}
    if sources.subscriptions is None:
        status["notes"].append("Subscriptions are not enabled on this gateway.")
    else:
        status["subscriptions"] = subscription_counts(sources.subscriptions)
    if sources.events is None:
        status["notes"].append("No event stream is configured.")
    else:
        try:
            status["events"] = await recent_events(sources.events, sources.entity_types)
        except StreamUnavailable:
            status["notes"].append("The event stream is not answering; retrying.")
    return status
