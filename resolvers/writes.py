"""How a repository write runs: one transaction, a version check, one change event.

Every write of the bundled subgraphs goes through `atomic`: the data change and its outbox
entry (`resolvers.outbox.record_change`) commit or abort together. Transient transaction
errors (a concurrent writer touched the same document) are retried by PyMongo's
`with_transaction`; a `DomainError` aborts and reaches the caller unchanged, so a rejected
request writes nothing and records no event.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from resolvers.errors import DomainError, ErrorCode
from resolvers.events import now_ms

T = TypeVar("T")


async def atomic(
    db: AsyncDatabase[Any],
    work: Callable[[AsyncClientSession], Awaitable[T]],
    *,
    duplicate_message: str = "a record with the same key already exists",
) -> T:
    """Run `work(session)` in one transaction and return its result.

    A unique-index violation becomes `CONFLICT` with `duplicate_message`.
    """
    async with db.client.start_session() as session:
        try:
            return await session.with_transaction(work)
        except DuplicateKeyError:
            raise DomainError(ErrorCode.CONFLICT, duplicate_message) from None


def check_version(doc: dict[str, Any], expected: int, what: str) -> None:
    """Optimistic concurrency: the caller must have read the current version."""
    current = int(doc["version"])
    if current != expected:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"{what} was changed by someone else (version {current}, you sent {expected}); "
            "read it again and retry",
            currentVersion=current,
        )


def not_found(what: str) -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, f"{what} does not exist")


async def apply_versioned(
    db: AsyncDatabase[Any],
    session: AsyncClientSession,
    collection: str,
    doc: dict[str, Any],
    changes: dict[str, Any],
    *,
    unset: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Write `changes` to `doc` if its version is still the one read; return the new doc.

    Inside a transaction a concurrent writer makes this a transient write conflict (retried
    by `atomic`, which then re-reads and fails `check_version`); the version in the filter
    makes the write safe on its own as well.
    """
    stamp = now_ms()  # what a later read returns: MongoDB keeps milliseconds
    update: dict[str, Any] = {
        "$set": {**changes, "updated_at": stamp},
        "$inc": {"version": 1},
    }
    if unset:
        update["$unset"] = dict.fromkeys(unset, "")
    result = await db[collection].update_one(
        {"_id": doc["_id"], "version": doc["version"]}, update, session=session
    )
    if result.matched_count != 1:
        raise DomainError(
            ErrorCode.CONFLICT, "the record was changed by someone else; read it again and retry"
        )
    updated = {**doc, **changes, "updated_at": stamp, "version": int(doc["version"]) + 1}
    for name in unset:
        updated.pop(name, None)
    return updated
