"""API keys for partner apps: created once, stored hashed, revocable.

A key reads `pgk_<id>_<secret>`: the id (16 hex digits) finds the record, the secret (32
random bytes) proves possession. The record (collection `api_keys`) keeps only the SHA-256
of the whole key, compared in constant time, with the partner claims the key stands for
(same names as JWT claims, see `policies.auth.claims`). The key itself is shown once, by
`create`; it cannot be recovered, only revoked and replaced. Revocation applies to the next
request (`verify` reads the record every time) and is announced (`listen`, `publisher`, see
`policies.auth.revocations`) so that gateways end the live subscriptions the key opened.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from policies.auth.claims import ClaimError, claims_of, principal_from_claims
from policies.auth.errors import AuthError, AuthErrorCode, AuthReason, bad_input, unauthenticated
from policies.principal import AuthMethod, Principal

log = logging.getLogger(__name__)

API_KEYS = "api_keys"
KEY_PREFIX = "pgk_"
_KEY = re.compile(r"^pgk_(?P<id>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})$")
_UNKNOWN = "The API key is not valid; ask the partner admin for a current key."

RevocationListener = Callable[[str], object]
RevocationPublisher = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """What is stored about a key (never the key): who it stands for, and its state."""

    key_id: str
    name: str
    principal: Principal
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def __str__(self) -> str:
        state = f"revoked {self.revoked_at:%Y-%m-%d %H:%M}" if self.revoked_at else "active"
        return f"{self.key_id} {self.name!r} {self.principal} [{state}]"


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key and its record. `key` is shown to the caller this once and never stored."""

    key: str
    record: ApiKeyRecord


def key_id_of(key: str) -> str | None:
    """The id part of a well-formed key (not verified: say which key, not whether it holds)."""
    match = _KEY.match(key.strip())
    return None if match is None else match["id"]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def ensure_api_key_indexes(db: AsyncDatabase[Any]) -> None:
    await db[API_KEYS].create_indexes([IndexModel([("claims.partner_id", ASCENDING)])])


class ApiKeyStore:
    """API keys in one database. `publisher` announces each revocation to other processes
    (e.g. `policies.auth.revocations.RedisRevocationPublisher`)."""

    def __init__(
        self, db: AsyncDatabase[Any], publisher: RevocationPublisher | None = None
    ) -> None:
        self._keys = db[API_KEYS]
        self.publisher = publisher
        self._listeners: list[RevocationListener] = []

    def listen(self, listener: RevocationListener) -> None:
        """Call `listener(key_id)` in this process after every revocation through this store."""
        self._listeners.append(listener)

    def unlisten(self, listener: RevocationListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def create(
        self,
        name: str,
        *,
        partner_id: str,
        partner_kind: str,
        tier: str | None = None,
        regions: tuple[str, ...] = (),
        roles: tuple[str, ...] = (),
    ) -> CreatedApiKey:
        """A new key for a partner app. Bad input raises BAD_USER_INPUT and stores nothing."""
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise bad_input("name the key (1 to 100 characters), e.g. the partner app's name")
        key_id = secrets.token_hex(8)
        claims = {
            "sub": f"api-key:{key_id}",
            "partner_id": partner_id,
            "partner_kind": partner_kind,
            "tier": tier,
            "regions": list(regions),
            "roles": list(roles),
        }
        try:
            principal = principal_from_claims(claims, AuthMethod.API_KEY)
        except ClaimError as exc:
            raise bad_input(f"cannot create the API key: {exc}") from None
        key = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        record = ApiKeyRecord(key_id, name.strip(), principal, datetime.now(UTC))
        await self._keys.insert_one(
            {
                "_id": key_id,
                "name": record.name,
                "hash": key_hash(key),
                "claims": claims_of(principal),
                "created_at": record.created_at,
                "revoked_at": None,
            }
        )
        return CreatedApiKey(key, record)

    async def verify(self, key: str) -> Principal:
        """The principal `key` stands for; UNAUTHENTICATED if unknown, wrong or revoked."""
        match = _KEY.match(key)
        if match is None:
            raise unauthenticated(
                AuthReason.MALFORMED_CREDENTIALS,
                "The API key is malformed (expected pgk_<id>_<secret>); send it unchanged.",
            )
        document = await self._keys.find_one({"_id": match["id"]})
        if document is None or not _hash_matches(document, key):
            raise unauthenticated(AuthReason.UNKNOWN_API_KEY, _UNKNOWN)
        if document.get("revoked_at") is not None:
            raise unauthenticated(
                AuthReason.REVOKED_API_KEY,
                "The API key has been revoked; ask the partner admin for a new key.",
            )
        try:
            return principal_from_claims(document.get("claims") or {}, AuthMethod.API_KEY)
        except ClaimError:
            raise unauthenticated(AuthReason.BAD_CLAIM, _UNKNOWN) from None

    async def revoke(self, key_id: str) -> ApiKeyRecord:
        """Revoke a key by id (idempotent); NOT_FOUND for an unknown id."""
        if not isinstance(key_id, str) or not re.fullmatch(r"[0-9a-f]{16}", key_id):
            raise bad_input("an API key id is 16 hex digits (the part after 'pgk_')")
        await self._keys.update_one(
            {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": datetime.now(UTC)}}
        )
        document = await self._keys.find_one({"_id": key_id})
        if document is None:
            raise AuthError(AuthErrorCode.NOT_FOUND, f"there is no API key with id {key_id}")
        await self._announce(key_id)  # again on a repeat: a lost announcement gets a retry
        return _record(document)

    async def revoked_among(self, key_ids: Iterable[str]) -> set[str]:
        """Which of `key_ids` no longer hold: revoked, or gone from the store (fail closed)."""
        wanted = set(key_ids)
        if not wanted:
            return set()
        holding = {
            document["_id"]
            async for document in self._keys.find(
                {"_id": {"$in": sorted(wanted)}, "revoked_at": None}, {"_id": 1}
            )
        }
        return wanted - holding

    async def list_keys(self, partner_id: str | None = None) -> list[ApiKeyRecord]:
        """The keys (of one partner, or all), oldest first."""
        query = {} if partner_id is None else {"claims.partner_id": partner_id}
        cursor = self._keys.find(query, {"hash": 0}).sort([("created_at", ASCENDING)])
        return [_record(document) async for document in cursor]

    async def _announce(self, key_id: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(key_id)
            except Exception:
                log.exception("a revocation listener failed on API key %s", key_id)
        if self.publisher is not None:
            try:
                await self.publisher(key_id)
            except Exception as exc:  # gateways still find it on their periodic check
                log.warning("could not announce the revocation of API key %s: %s", key_id, exc)


def _hash_matches(document: dict[str, Any], key: str) -> bool:
    stored = document.get("hash")
    return isinstance(stored, str) and hmac.compare_digest(stored, key_hash(key))


def _record(document: dict[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=document["_id"],
        name=document["name"],
        principal=principal_from_claims(document["claims"], AuthMethod.API_KEY),
        created_at=document["created_at"],
        revoked_at=document.get("revoked_at"),
    )
