"""API keys against the real MongoDB-protocol server: create, verify, revoke (and the
revocation announced in process and on the real Redis)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase

from policies.auth import ApiKeyStore, AuthError, AuthReason
from policies.auth.api_keys import API_KEYS, ensure_api_key_indexes, key_hash, key_id_of
from policies.auth.revocations import RedisRevocationPublisher, key_id_in
from policies.principal import AuthMethod, Principal


def secret_of(key: str) -> str:
    """The secret part of `pgk_<16 hex>_<secret>` (the secret itself may contain '_')."""
    return key[len("pgk_") + 16 + 1 :]


async def refusal(store: ApiKeyStore, key: str) -> AuthReason | None:
    with pytest.raises(AuthError) as caught:
        await store.verify(key)
    assert caught.value.code == "UNAUTHENTICATED" and caught.value.http_status == 401
    return caught.value.reason


async def test_a_created_key_verifies_as_its_partner(db: AsyncDatabase[Any]) -> None:
    await ensure_api_key_indexes(db)
    store = ApiKeyStore(db)
    created = await store.create(
        "Acme inventory sync",
        partner_id="P-S01",
        partner_kind="SUPPLIER",
        tier="GOLD",
        regions=("NA",),
        roles=("supplier_app",),
    )
    expected = Principal(
        subject=f"api-key:{created.record.key_id}",
        partner_id="P-S01",
        partner_kind="SUPPLIER",
        tier="GOLD",
        regions=("NA",),
        roles=("supplier_app",),
        auth_method=AuthMethod.API_KEY,
    )
    assert created.record.principal == expected
    assert created.key.startswith(f"pgk_{created.record.key_id}_")
    assert await store.verify(created.key) == expected


async def test_the_stored_record_does_not_hold_the_key(db: AsyncDatabase[Any]) -> None:
    store = ApiKeyStore(db)
    created = await store.create("app", partner_id="P-R01", partner_kind="RESELLER")
    secret = secret_of(created.key)
    documents = await db[API_KEYS].find({}).to_list()
    assert len(documents) == 1
    stored = repr(documents[0])
    assert created.key not in stored and secret not in stored
    assert documents[0]["hash"] == key_hash(created.key)
    listed = await store.list_keys("P-R01")
    assert [record.key_id for record in listed] == [created.record.key_id]
    assert await store.list_keys("P-R02") == []


async def test_a_revoked_key_is_refused_from_the_next_request(db: AsyncDatabase[Any]) -> None:
    store = ApiKeyStore(db)
    kept = await store.create("kept", partner_id="P-R01", partner_kind="RESELLER")
    dropped = await store.create("dropped", partner_id="P-R01", partner_kind="RESELLER")
    assert (await store.verify(dropped.key)).partner_id == "P-R01"
    record = await store.revoke(dropped.record.key_id)
    assert record.revoked and record.revoked_at is not None
    assert await refusal(store, dropped.key) == AuthReason.REVOKED_API_KEY
    again = await store.revoke(dropped.record.key_id)  # idempotent: the first time stays
    assert again.revoked_at == record.revoked_at
    assert (await store.verify(kept.key)).subject == f"api-key:{kept.record.key_id}"


async def test_unknown_wrong_and_malformed_keys_are_refused(db: AsyncDatabase[Any]) -> None:
    store = ApiKeyStore(db)
    created = await store.create("app", partner_id="P-R01", partner_kind="RESELLER")
    key_id = created.record.key_id
    wrong_secret = f"pgk_{key_id}_{'A' * 43}"
    unknown_id = f"pgk_{'0' * 16}_{secret_of(created.key)}"
    assert await refusal(store, wrong_secret) == AuthReason.UNKNOWN_API_KEY
    assert await refusal(store, unknown_id) == AuthReason.UNKNOWN_API_KEY
    renamed = created.key.replace("pgk_", "PGK_")
    for malformed in ("", "pgk_", created.key + "x", renamed, "Bearer x"):
        assert await refusal(store, malformed) == AuthReason.MALFORMED_CREDENTIALS


@pytest.mark.parametrize(
    ("name", "claims"),
    [
        ("", {"partner_id": "P-R01", "partner_kind": "RESELLER"}),
        ("app", {"partner_id": "P-R01", "partner_kind": "EMPEROR"}),
        ("app", {"partner_id": "P R01", "partner_kind": "RESELLER"}),
        ("app", {"partner_id": "P-R01", "partner_kind": "RESELLER", "roles": ("a b",)}),
    ],
)
async def test_bad_input_creates_nothing(
    db: AsyncDatabase[Any], name: str, claims: dict[str, Any]
) -> None:
    store = ApiKeyStore(db)
    with pytest.raises(AuthError) as caught:
        await store.create(name, **claims)
    assert caught.value.extensions == {"code": "BAD_USER_INPUT"}
    assert await db[API_KEYS].count_documents({}) == 0


async def test_revoking_an_unknown_or_malformed_id_is_a_clear_error(
    db: AsyncDatabase[Any],
) -> None:
    store = ApiKeyStore(db)
    with pytest.raises(AuthError) as unknown:
        await store.revoke("0123456789abcdef")
    assert unknown.value.extensions == {"code": "NOT_FOUND"}
    with pytest.raises(AuthError) as malformed:
        await store.revoke("pgk_0123")
    assert malformed.value.extensions == {"code": "BAD_USER_INPUT"}
    assert await db[API_KEYS].count_documents({}) == 0


async def test_a_revocation_is_announced_in_process_and_on_redis(
    db: AsyncDatabase[Any], redis_client: aioredis.Redis, key_prefix: str
) -> None:
    channel = f"{key_prefix}revocations"
    store = ApiKeyStore(db, publisher=RedisRevocationPublisher(redis_client, channel))
    heard: list[str] = []
    store.listen(heard.append)
    created = await store.create("app", partner_id="P-R01", partner_kind="RESELLER")
    async with redis_client.pubsub() as pubsub:
        await pubsub.subscribe(channel)
        await store.revoke(created.record.key_id)
        message = None
        async with asyncio.timeout(30):  # published before revoke returned; 30: a guard
            while message is None:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    assert key_id_in(message["data"]) == created.record.key_id
    assert heard == [created.record.key_id]
    assert key_id_in(b'{"keyId": "not-an-id"}') is None and key_id_in(b"junk") is None


async def test_a_failed_announcement_does_not_undo_the_revocation(db: AsyncDatabase[Any]) -> None:
    async def unreachable(key_id: str) -> None:
        raise ConnectionError("Redis is away")

    store = ApiKeyStore(db, publisher=unreachable)
    created = await store.create("app", partner_id="P-R01", partner_kind="RESELLER")
    record = await store.revoke(created.record.key_id)
    assert record.revoked
    assert await refusal(store, created.key) == AuthReason.REVOKED_API_KEY


async def test_revoked_among_names_the_keys_that_no_longer_hold(db: AsyncDatabase[Any]) -> None:
    store = ApiKeyStore(db)
    active = await store.create("active", partner_id="P-R01", partner_kind="RESELLER")
    dropped = await store.create("dropped", partner_id="P-R01", partner_kind="RESELLER")
    await store.revoke(dropped.record.key_id)
    gone = "0123456789abcdef"  # no such record: refused by verify, so not holding either
    ids = {active.record.key_id, dropped.record.key_id, gone}
    assert await store.revoked_among(ids) == {dropped.record.key_id, gone}
    assert await store.revoked_among([]) == set()
    assert key_id_of(active.key) == active.record.key_id
    assert key_id_of("pgk_short_x") is None
