"""API keys against the real MongoDB-protocol server: create, verify, revoke."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from policies.auth import ApiKeyStore, AuthError, AuthReason
from policies.auth.api_keys import API_KEYS, ensure_api_key_indexes, key_hash
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
