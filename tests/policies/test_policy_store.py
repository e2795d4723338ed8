"""The policy store against the real MongoDB-protocol server: versions, conflicts, audit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from policy_demo import demo_schema, partner
from pymongo.asynchronous.database import AsyncDatabase

from policies.errors import PolicyError, PolicyErrorCode
from policies.model import Rule
from policies.store import PolicyStore

ADMIN = partner("VENDOR", "vendor", subject="admin-1", roles=("admin",))


def rule(rule_id: str, target: str = "Deal.amount", effect: str = "allow", **extra: Any) -> Rule:
    return Rule.from_dict(
        {"id": rule_id, "target": target, "effect": effect, "principals": {"roles": ["admin"]}}
        | extra
    )


@pytest.fixture
async def store(db: AsyncDatabase[Any]) -> PolicyStore:
    policy_store = PolicyStore(db, demo_schema())
    await policy_store.ensure_indexes()
    return policy_store


async def counts(store: PolicyStore) -> tuple[int, int, int]:
    return (
        await store.current_version(),
        await store.history_collection.count_documents({}),
        await store.audit_collection.count_documents({}),
    )


async def test_an_empty_store_has_version_zero_and_no_rules(store: PolicyStore) -> None:
    current = await store.current()
    assert current.version == 0 and current.rules == ()


async def test_each_change_is_a_new_version_with_history_and_an_audit_entry(
    store: PolicyStore,
) -> None:
    v1 = await store.create_rule(rule("a"), actor=ADMIN, reason="start", expected_version=0)
    v2 = await store.update_rule(
        rule("a", "Deal.*"), actor="ops@vendor", reason="widen", expected_version=1
    )
    v3 = await store.delete_rule("a", actor=ADMIN, reason="remove", expected_version=2)
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert (await store.current()).rules == ()
    assert (await store.version(2)).rules == (rule("a", "Deal.*"),)

    entries = await store.audit()
    assert [e.action for e in entries] == ["delete", "update", "create"]
    delete, update, create = entries
    assert create.actor == str(ADMIN) and create.actor_subject == "admin-1"
    assert create.reason == "start" and create.rule_ids == ("a",)
    assert create.diff[0].before is None and create.diff[0].after == rule("a").to_dict()
    assert (update.diff[0].before or {}).get("target") == "Deal.amount"
    assert (update.diff[0].after or {}).get("target") == "Deal.*"
    assert update.actor == "ops@vendor" and (update.previous_version, update.version) == (1, 2)
    assert delete.diff[0].after is None


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(
    store: PolicyStore,
) -> None:
    await store.create_rule(rule("a"), actor=ADMIN, reason="start", expected_version=0)
    before = await counts(store)
    with pytest.raises(PolicyError) as raised:
        await store.create_rule(rule("b"), actor=ADMIN, reason="late", expected_version=0)
    assert raised.value.code is PolicyErrorCode.CONFLICT
    assert raised.value.extensions["currentVersion"] == 1
    assert await counts(store) == before
    assert [r.id for r in (await store.current()).rules] == ["a"]


async def test_two_concurrent_writers_from_the_same_version_one_wins_one_conflicts(
    store: PolicyStore,
) -> None:
    await store.create_rule(rule("a"), actor=ADMIN, reason="start", expected_version=0)
    results = await asyncio.gather(
        store.create_rule(rule("b"), actor=ADMIN, reason="one", expected_version=1),
        store.create_rule(rule("c"), actor=ADMIN, reason="two", expected_version=1),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, PolicyError)]
    assert len(errors) == 1 and errors[0].code is PolicyErrorCode.CONFLICT
    assert await counts(store) == (2, 2, 2)
    assert len((await store.current()).rules) == 2


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("no_reason", PolicyErrorCode.BAD_USER_INPUT),
        ("blank_reason", PolicyErrorCode.BAD_USER_INPUT),
        ("bad_version", PolicyErrorCode.BAD_USER_INPUT),
        ("unknown_field", PolicyErrorCode.INVALID_POLICY),
        ("bad_mask", PolicyErrorCode.INVALID_POLICY),
        ("duplicate", PolicyErrorCode.CONFLICT),
        ("update_missing", PolicyErrorCode.NOT_FOUND),
        ("delete_missing", PolicyErrorCode.NOT_FOUND),
        ("rollback_missing", PolicyErrorCode.NOT_FOUND),
    ],
)
async def test_bad_requests_get_a_stable_code_and_write_nothing(
    store: PolicyStore, call: str, code: PolicyErrorCode
) -> None:
    await store.create_rule(rule("a"), actor=ADMIN, reason="start", expected_version=0)
    before = await counts(store)
    attempts = {
        "no_reason": lambda: store.create_rule(
            rule("b"), actor=ADMIN, reason="", expected_version=1
        ),
        "blank_reason": lambda: store.create_rule(
            rule("b"), actor=ADMIN, reason="  ", expected_version=1
        ),
        "bad_version": lambda: store.create_rule(
            rule("b"), actor=ADMIN, reason="x", expected_version=-1
        ),
        "unknown_field": lambda: store.create_rule(
            rule("b", "Deal.amont"), actor=ADMIN, reason="x", expected_version=1
        ),
        "bad_mask": lambda: store.create_rule(
            rule("b", effect="mask", mask="secret"), actor=ADMIN, reason="x", expected_version=1
        ),
        "duplicate": lambda: store.create_rule(
            rule("a"), actor=ADMIN, reason="x", expected_version=1
        ),
        "update_missing": lambda: store.update_rule(
            rule("zz"), actor=ADMIN, reason="x", expected_version=1
        ),
        "delete_missing": lambda: store.delete_rule(
            "zz", actor=ADMIN, reason="x", expected_version=1
        ),
        "rollback_missing": lambda: store.rollback(7, actor=ADMIN, reason="x", expected_version=1),
    }
    with pytest.raises(PolicyError) as raised:
        await attempts[call]()
    assert raised.value.code is code
    assert raised.value.extensions["code"] == str(code)
    assert await counts(store) == before


async def test_an_invalid_rule_is_reported_by_id_and_problem(store: PolicyStore) -> None:
    with pytest.raises(PolicyError) as raised:
        await store.create_rule(
            rule("typo", "Deal.amount", condition="record.stagee == 1"),
            actor=ADMIN,
            reason="x",
            expected_version=0,
        )
    [problem] = raised.value.problems
    assert problem.rule_id == "typo" and "Deal has no field 'stagee'" in problem.message
    assert raised.value.extensions["code"] == "INVALID_POLICY"
    assert raised.value.extensions["problems"] == [{"ruleId": "typo", "message": problem.message}]


async def test_replace_all_is_all_or_nothing(store: PolicyStore) -> None:
    await store.create_rule(rule("a"), actor=ADMIN, reason="start", expected_version=0)
    before = await counts(store)
    with pytest.raises(PolicyError) as raised:
        await store.replace_all(
            [rule("x"), rule("y", "Nope.field"), rule("z")],
            actor=ADMIN,
            reason="import",
            expected_version=1,
        )
    assert raised.value.code is PolicyErrorCode.INVALID_POLICY
    assert [p.rule_id for p in raised.value.problems] == ["y"]
    assert await counts(store) == before
    replaced = await store.replace_all(
        [rule("x"), rule("z")], actor=ADMIN, reason="import", expected_version=1
    )
    assert [r.id for r in replaced.rules] == ["x", "z"]
    [entry] = await store.audit(limit=1)
    assert entry.action == "import" and set(entry.rule_ids) == {"a", "x", "z"}


async def test_rollback_restores_an_old_version_as_a_new_one(store: PolicyStore) -> None:
    await store.create_rule(rule("a"), actor=ADMIN, reason="v1", expected_version=0)
    await store.create_rule(rule("b"), actor=ADMIN, reason="v2", expected_version=1)
    await store.delete_rule("a", actor=ADMIN, reason="v3", expected_version=2)
    restored = await store.rollback(1, actor=ADMIN, reason="undo", expected_version=3)
    assert restored.version == 4
    assert [r.id for r in (await store.current()).rules] == ["a"]
    assert [r.id for r in (await store.version(3)).rules] == ["b"]  # history untouched
    [entry] = await store.audit(limit=1)
    assert entry.action == "rollback" and entry.reason == "undo"
    versions = await store.history()
    assert [(v.version, v.action, v.reason) for v in versions] == [
        (4, "rollback", "undo"),
        (3, "delete", "v3"),
        (2, "create", "v2"),
        (1, "create", "v1"),
    ]
    assert {change.rule_id for change in entry.diff} == {"a", "b"}


async def test_audit_filters_by_actor_rule_target_and_time(store: PolicyStore) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    await store.create_rule(rule("a"), actor=ADMIN, reason="one", expected_version=0)
    await store.create_rule(
        rule("b", "InventoryItem.unitCost", "deny"), actor="ops", reason="two", expected_version=1
    )
    assert [e.reason for e in await store.audit(actor="admin-1")] == ["one"]
    assert [e.reason for e in await store.audit(actor="ops")] == ["two"]
    assert [e.reason for e in await store.audit(rule_id="b")] == ["two"]
    assert [e.reason for e in await store.audit(target="Deal.amount")] == ["one"]
    assert [e.reason for e in await store.audit(target="InventoryItem")] == ["two"]
    assert len(await store.audit(since=start)) == 2
    assert await store.audit(until=start) == []
    assert await store.audit(since=datetime.now(UTC) + timedelta(hours=1)) == []
    with pytest.raises(PolicyError) as raised:
        await store.audit(limit=0)
    assert raised.value.code is PolicyErrorCode.BAD_USER_INPUT


async def test_the_store_calls_its_listeners_and_publisher_after_a_commit(
    store: PolicyStore,
) -> None:
    seen: list[int] = []
    published: list[int] = []

    async def publish(version: int) -> None:
        published.append(version)

    store.listen(lambda policy_set: seen.append(policy_set.version))
    store.publisher = publish
    await store.create_rule(rule("a"), actor=ADMIN, reason="one", expected_version=0)
    with pytest.raises(PolicyError):
        await store.create_rule(rule("a"), actor=ADMIN, reason="dup", expected_version=1)
    assert seen == [1] and published == [1]
