"""Reading and changing rules through the admin API: versions, conflicts, invalid rules,
rollback, import and the audit trail, against the real MongoDB-protocol server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from admin_support import ADMIN, OTHER_ADMIN, codes, gql

from policies.store import PolicyStore

RULE_FIELDS = "id target effect description mask condition principals { roles partnerKinds }"
CREATE = f"""
mutation($rule: RuleInput!, $reason: String!, $v: Int!) {{
  createRule(rule: $rule, reason: $reason, expectedVersion: $v) {{
    version updatedBy rules {{ {RULE_FIELDS} }}
  }}
}}
"""
UPDATE = """
mutation($rule: RuleInput!, $reason: String!, $v: Int!) {
  updateRule(rule: $rule, reason: $reason, expectedVersion: $v) { version rules { id target } }
}
"""
DELETE = """
mutation($id: String!, $v: Int!) {
  deleteRule(id: $id, reason: "not needed", expectedVersion: $v) { version rules { id } }
}
"""
ROLLBACK = """
mutation($to: Int!, $v: Int!) {
  rollback(toVersion: $to, reason: "undo", expectedVersion: $v) { version rules { id target } }
}
"""
IMPORT = """
mutation($rules: [RuleInput!]!, $v: Int!) {
  importRules(rules: $rules, reason: "from git", expectedVersion: $v) { version rules { id } }
}
"""
AUDIT = """
query($filter: AuditFilter) {
  audit(filter: $filter) {
    id at actor actorSubject action version previousVersion ruleIds reason
    diff { ruleId kind before after }
  }
}
"""


def rule(rule_id: str, target: str = "Deal.amount", effect: str = "ALLOW", **extra: Any) -> dict:
    return {"id": rule_id, "target": target, "effect": effect} | extra


async def create(
    client: httpx.AsyncClient, data: dict, version: int, *, reason: str = "add", as_: Any = ADMIN
) -> dict[str, Any]:
    return await gql(client, CREATE, {"rule": data, "reason": reason, "v": version}, as_=as_)


async def counts(store: PolicyStore) -> tuple[int, int, int]:
    return (
        await store.current_version(),
        await store.history_collection.count_documents({}),
        await store.audit_collection.count_documents({}),
    )


async def test_create_update_delete_each_make_a_version_and_read_back(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    masked = rule(
        "mask-amount",
        effect="MASK",
        mask=0,
        description="resellers see 0",
        principals={"partnerKinds": ["RESELLER"]},
    )
    body = await create(client, masked, 0)
    created = body["data"]["createRule"]
    assert created["version"] == 1 and created["updatedBy"] == str(ADMIN)
    assert created["rules"] == [
        {
            "id": "mask-amount",
            "target": "Deal.amount",
            "effect": "MASK",
            "description": "resellers see 0",
            "mask": 0,
            "condition": None,
            "principals": {"roles": [], "partnerKinds": ["RESELLER"]},
        }
    ]
    conditional = rule("own", "Deal", condition="record.partnerId == principal.partnerId")
    assert (await create(client, conditional, 1))["data"]["createRule"]["version"] == 2
    updated = await gql(client, UPDATE, {"rule": rule("own", "Deal.*"), "reason": "widen", "v": 2})
    assert updated["data"]["updateRule"]["version"] == 3
    read = await gql(
        client, '{ rule(id: "own") { target condition } missing: rule(id: "x") { id } }'
    )
    assert read == {"data": {"rule": {"target": "Deal.*", "condition": None}, "missing": None}}
    deleted = await gql(client, DELETE, {"id": "mask-amount", "v": 3})
    assert deleted["data"]["deleteRule"] == {"version": 4, "rules": [{"id": "own"}]}
    policy = await gql(client, "{ policy { version rules { id } } rules { id } }")
    assert policy["data"] == {
        "policy": {"version": 4, "rules": [{"id": "own"}]},
        "rules": [{"id": "own"}],
    }
    assert [r.id for r in (await store.current()).rules] == ["own"]


async def test_a_write_returns_once_the_watcher_runs_the_new_version(
    client: httpx.AsyncClient, watcher: Any
) -> None:
    await create(client, rule("a"), 0)
    assert watcher.current.version == 1


async def test_a_stale_expected_version_is_a_conflict_with_the_current_version(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    await create(client, rule("a"), 0)
    before = await counts(store)
    attempts: list[tuple[str, dict[str, Any]]] = [
        (CREATE, {"rule": rule("b"), "reason": "late", "v": 0}),
        (UPDATE, {"rule": rule("a", "Deal.*"), "reason": "late", "v": 0}),
        (DELETE, {"id": "a", "v": 0}),
        (ROLLBACK, {"to": 1, "v": 0}),
        (IMPORT, {"rules": [rule("c")], "v": 0}),
    ]
    for mutation, variables in attempts:
        body = await gql(client, mutation, variables, as_=OTHER_ADMIN)
        assert body["data"] is None
        assert codes(body) == ["CONFLICT"]
        assert body["errors"][0]["extensions"]["currentVersion"] == 1
        assert "version 1" in body["errors"][0]["message"]
    assert await counts(store) == before


async def test_a_bad_rule_is_invalid_policy_naming_the_problem_and_writes_nothing(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    await create(client, rule("a"), 0)
    before = await counts(store)
    cases = [
        (rule("b", "Deal.amont"), "amont"),
        (rule("b", effect="MASK"), "mask value"),
        (rule("b", effect="MASK", mask="zero"), "mask"),
        (rule("b", "Deal.*", condition="record.amount >"), "condition"),
        (rule("bad id!"), "id must be"),
        (rule("b", "Deal..x"), "Type.field"),
    ]
    for data, named in cases:
        body = await create(client, data, 1)
        assert codes(body) == ["INVALID_POLICY"], body
        error = body["errors"][0]
        assert named in error["message"]
        problems = error["extensions"]["problems"]
        assert problems and any(named in problem["message"] for problem in problems)
    assert await counts(store) == before


async def test_an_import_reports_every_bad_rule_at_once_and_writes_nothing(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    body = await gql(
        client,
        IMPORT,
        {"rules": [rule("ok"), rule("x", "Nope.id"), rule("y", "Deal.nope"), rule("ok")], "v": 0},
    )
    assert codes(body) == ["INVALID_POLICY"]
    problems = body["errors"][0]["extensions"]["problems"]
    assert sorted(p["ruleId"] for p in problems) == ["ok", "x", "y"]
    message = body["errors"][0]["message"]
    assert "Nope" in message and "nope" in message and "used by another rule" in message
    assert await counts(store) == (0, 0, 0)


async def test_import_replaces_every_rule(client: httpx.AsyncClient, store: PolicyStore) -> None:
    await create(client, rule("old"), 0)
    body = await gql(client, IMPORT, {"rules": [rule("n1"), rule("n2", "Deal.title")], "v": 1})
    assert body["data"]["importRules"] == {"version": 2, "rules": [{"id": "n1"}, {"id": "n2"}]}
    entry = (await gql(client, AUDIT))["data"]["audit"][0]
    assert entry["action"] == "import"
    assert {(c["ruleId"], c["kind"]) for c in entry["diff"]} == {
        ("n1", "ADDED"),
        ("n2", "ADDED"),
        ("old", "REMOVED"),
    }


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        (CREATE, {"rule": rule("b"), "reason": "  ", "v": 1}, "BAD_USER_INPUT"),
        (CREATE, {"rule": rule("b"), "reason": "x", "v": -1}, "BAD_USER_INPUT"),
        (CREATE, {"rule": rule("a"), "reason": "again", "v": 1}, "CONFLICT"),
        (UPDATE, {"rule": rule("zz"), "reason": "x", "v": 1}, "NOT_FOUND"),
        (DELETE, {"id": "zz", "v": 1}, "NOT_FOUND"),
        (ROLLBACK, {"to": 7, "v": 1}, "NOT_FOUND"),
        (AUDIT, {"filter": {"limit": 0}}, "BAD_USER_INPUT"),
        ("{ versions(limit: 5000) { version } }", None, "BAD_USER_INPUT"),
        ("{ policyVersion(version: 9) { version } }", None, "NOT_FOUND"),
        (CREATE, {"rule": rule("b"), "v": 1}, "BAD_USER_INPUT"),  # no reason at all
    ],
)
async def test_bad_requests_get_a_stable_code_and_change_nothing(
    client: httpx.AsyncClient, store: PolicyStore, query: str, variables: Any, code: str
) -> None:
    await create(client, rule("a"), 0)
    before = await counts(store)
    body = await gql(client, query, variables)
    assert codes(body) == [code], body
    assert await counts(store) == before


async def test_rollback_restores_an_old_version_as_a_new_one(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    await create(client, rule("a"), 0)
    await gql(client, UPDATE, {"rule": rule("a", "Deal.title"), "reason": "move", "v": 1})
    await create(client, rule("b", "Deal.id"), 2)
    body = await gql(client, ROLLBACK, {"to": 1, "v": 3})
    assert body["data"]["rollback"] == {
        "version": 4,
        "rules": [{"id": "a", "target": "Deal.amount"}],
    }
    versions = await gql(client, "{ versions { version action actor reason } }")
    assert [v["version"] for v in versions["data"]["versions"]] == [4, 3, 2, 1]
    assert versions["data"]["versions"][0]["action"] == "rollback"
    old = await gql(client, "{ policyVersion(version: 2) { version rules { target } } }")
    assert old["data"]["policyVersion"] == {"version": 2, "rules": [{"target": "Deal.title"}]}
    entry = (await gql(client, AUDIT))["data"]["audit"][0]
    assert entry["action"] == "rollback" and entry["reason"] == "undo"
    assert {(c["ruleId"], c["kind"]) for c in entry["diff"]} == {("a", "CHANGED"), ("b", "REMOVED")}


async def test_the_audit_trail_records_the_acting_admin_and_filters(
    client: httpx.AsyncClient,
) -> None:
    await create(client, rule("a"), 0, reason="first")
    await create(client, rule("b", "Deal.title"), 1, reason="second", as_=OTHER_ADMIN)
    await gql(client, UPDATE, {"rule": rule("a", "Query.deals"), "reason": "third", "v": 2})

    async def audit(**filters: Any) -> list[dict[str, Any]]:
        body = await gql(client, AUDIT, {"filter": filters})
        assert "errors" not in body, body
        return list(body["data"]["audit"])

    everything = await audit()
    assert [e["reason"] for e in everything] == ["third", "second", "first"]
    first = everything[-1]
    assert first["actor"] == str(ADMIN) and first["actorSubject"] == "admin-1"
    assert first["diff"] == [
        {"ruleId": "a", "kind": "ADDED", "before": None, "after": {
            "id": "a", "principals": {}, "target": "Deal.amount", "effect": "allow"}}
    ]  # fmt: skip
    assert first["at"].endswith("+00:00")
    update = everything[0]
    assert update["diff"][0]["before"]["target"] == "Deal.amount"
    assert update["diff"][0]["after"]["target"] == "Query.deals"

    assert [e["reason"] for e in await audit(actor="admin-2")] == ["second"]
    assert [e["reason"] for e in await audit(actor=str(ADMIN))] == ["third", "first"]
    assert [e["reason"] for e in await audit(ruleId="a")] == ["third", "first"]
    assert [e["reason"] for e in await audit(target="Deal.title")] == ["second"]
    assert [e["reason"] for e in await audit(target="Query")] == ["third"]
    assert [e["reason"] for e in await audit(target="Deal")] == ["third", "second", "first"]
    assert [e["reason"] for e in await audit(limit=1)] == ["third"]
    second_at = datetime.fromisoformat(everything[1]["at"])
    since = await audit(since=second_at.isoformat())
    assert [e["reason"] for e in since] == ["third", "second"]
    until = await audit(until=second_at.isoformat())
    assert [e["reason"] for e in until] == ["first"]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await audit(since=later) == []


async def test_two_admins_editing_the_same_version_one_wins_one_gets_a_conflict(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    await create(client, rule("a"), 0)
    first, second = await asyncio.gather(
        create(client, rule("b"), 1, as_=ADMIN), create(client, rule("c"), 1, as_=OTHER_ADMIN)
    )
    outcomes = sorted([codes(first), codes(second)])
    assert outcomes == [[], ["CONFLICT"]]
    assert await counts(store) == (2, 2, 2)
