"""The transactional outbox: change events written in the same transaction as the data.

A write and its event commit or abort together, so an event exists exactly when its write
does. The relay (`resolvers.relay`) moves outbox entries, in order, to the streams.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.events import ChangeEvent

OUTBOX = "outbox"


async def record_change(
    db: AsyncDatabase[Any], session: AsyncClientSession, event: ChangeEvent
) -> str:
    """Record `event` inside the caller's transaction; return its outbox id.

    `seq` is a per-entity-type counter taken in the same transaction, so two writes to the
    same stream are ordered by commit (the second waits on, or conflicts with and retries
    after, the first). The relay appends each stream's entries in `seq` order.
    Outside a transaction the write and its event could part ways, so that is refused.
    """
    if not session.in_transaction:
        raise RuntimeError(
            "record_change must run inside the write's transaction "
            "(session.start_transaction() or session.with_transaction(...))"
        )
    counter = await db["counters"].find_one_and_update(
        {"_id": f"outbox:{event.entity_type}"},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=True,
        session=session,
    )
    assert counter is not None  # upsert with ReturnDocument.AFTER always returns it
    seq = int(counter["seq"])
    outbox_id = str(ObjectId())
    await db[OUTBOX].insert_one(
        {
            "_id": outbox_id,
            "seq": seq,
            "entity_type": event.entity_type,
            "key": event.key,
            "changed_fields": list(event.changed_fields),
            "version": event.version,
            "partner_ids": list(event.partner_ids),
            "occurred_at": event.occurred_at,
            "relayed": False,
        },
        session=session,
    )
    return outbox_id


async def ensure_outbox_indexes(db: AsyncDatabase[Any]) -> None:
    """Indexes the relay reads by; the unique one guards the one-`seq`-per-event promise."""
    outbox = db[OUTBOX]
    await outbox.create_index([("relayed", 1), ("entity_type", 1), ("seq", 1)])
    await outbox.create_index([("entity_type", 1), ("seq", 1)], unique=True)


def event_from_outbox(doc: dict[str, Any]) -> ChangeEvent:
    occurred_at = doc["occurred_at"]
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    return ChangeEvent(
        entity_type=doc["entity_type"],
        key=doc["key"],
        changed_fields=tuple(doc["changed_fields"]),
        version=int(doc["version"]),
        partner_ids=tuple(doc["partner_ids"]),
        occurred_at=occurred_at,
        outbox_id=str(doc["_id"]),
    )
