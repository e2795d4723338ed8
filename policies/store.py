"""Policies in MongoDB: the current set (versioned), every past version, an audit trail.

Collections:

- `policies`: one document `{_id: "current", version, rules, updatedAt, updatedBy}`.
- `policy_history`: one document per version `{_id: version, rules, createdAt, actor, action,
  reason}`, so any version can be restored.
- `policy_audit`: append-only; who, when, what action, which rules, the diff (before/after
  per rule) and the reason. Nothing here updates or deletes an audit entry.

Every change is one transaction over the three collections, after an optimistic version
check (`expected_version` is the version the caller read; stale -> CONFLICT) and a check of
the whole resulting rule set against the API schema (INVALID_POLICY). A refused change
writes nothing. After a commit the store tells its in-process listeners and its publisher
(`policies.propagation`), so replicas reload.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLSchema
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from policies.check import validate_rules
from policies.errors import PolicyError, PolicyErrorCode
from policies.model import PolicySet, Rule, rules_from_dicts
from policies.principal import Principal

log = logging.getLogger(__name__)

CURRENT_ID = "current"
MAX_REASON = 2000

Publisher = Callable[[int], Awaitable[None]]
Listener = Callable[[PolicySet], None]


@dataclass(frozen=True, slots=True)
class RuleChange:
    """One rule before and after a change (None: it did not exist)."""

    rule_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def __str__(self) -> str:
        kind = "added" if self.before is None else "removed" if self.after is None else "changed"
        return f"{self.rule_id} {kind}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One committed change, as recorded; `version` is the version it produced."""

    id: str
    at: datetime
    actor: str
    actor_subject: str | None
    action: str  # create | update | delete | import | rollback
    version: int
    previous_version: int
    rule_ids: tuple[str, ...]
    diff: tuple[RuleChange, ...]
    reason: str

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> AuditEntry:
        return cls(
            id=str(doc["_id"]),
            at=doc["at"],
            actor=doc["actor"],
            actor_subject=doc.get("actorSubject"),
            action=doc["action"],
            version=doc["version"],
            previous_version=doc["previousVersion"],
            rule_ids=tuple(doc["ruleIds"]),
            diff=tuple(
                RuleChange(change["ruleId"], change["before"], change["after"])
                for change in doc["diff"]
            ),
            reason=doc["reason"],
        )

    def __str__(self) -> str:
        changes = ", ".join(str(change) for change in self.diff) or "no rule changed"
        return (
            f"v{self.previous_version}->v{self.version} {self.action} by {self.actor} at "
            f"{self.at.isoformat()}: {changes} ({self.reason})"
        )


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One stored version, without its rules."""

    version: int
    created_at: datetime
    actor: str
    action: str
    reason: str

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> VersionInfo:
        return cls(doc["_id"], doc["createdAt"], doc["actor"], doc["action"], doc["reason"])

    def __str__(self) -> str:
        return f"v{self.version} {self.action} by {self.actor} at {self.created_at.isoformat()}"


def _diff(before: Sequence[Rule], after: Sequence[Rule]) -> list[RuleChange]:
    old = {rule.id: rule.to_dict() for rule in before}
    new = {rule.id: rule.to_dict() for rule in after}
    order = [rule.id for rule in after] + [rule.id for rule in before if rule.id not in new]
    return [
        RuleChange(rule_id, old.get(rule_id), new.get(rule_id))
        for rule_id in order
        if old.get(rule_id) != new.get(rule_id)
    ]


def _policy_set(doc: dict[str, Any] | None) -> PolicySet:
    if doc is None:
        return PolicySet(version=0)
    return PolicySet(
        version=int(doc["version"]),
        rules=tuple(rules_from_dicts(doc["rules"])),
        updated_at=doc.get("updatedAt") or doc.get("createdAt"),
        updated_by=doc.get("updatedBy") or doc.get("actor"),
    )


class PolicyStore:
    """Versioned policies with an audit trail, in one MongoDB database.

    `schema` is the API schema every write is checked against; keep it current when the
    supergraph changes. `publisher` announces committed versions to other replicas.
    """

    def __init__(
        self,
        db: AsyncDatabase[Any],
        schema: GraphQLSchema | None,
        *,
        publisher: Publisher | None = None,
    ) -> None:
        self.db = db
        self.schema = schema
        self.publisher = publisher
        self._listeners: list[Listener] = []
        self.current_collection = db["policies"]
        self.history_collection = db["policy_history"]
        self.audit_collection = db["policy_audit"]

    async def ensure_indexes(self) -> None:
        await self.audit_collection.create_index([("at", DESCENDING)])
        await self.audit_collection.create_index([("actor", ASCENDING), ("at", DESCENDING)])
        await self.audit_collection.create_index([("ruleIds", ASCENDING), ("at", DESCENDING)])

    def listen(self, listener: Listener) -> None:
        """Call `listener(policy_set)` in this process after every committed change."""
        self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- reads ------------------------------------------------------------------------------

    async def current(self) -> PolicySet:
        """The policy set in force (version 0 and no rules if none was ever stored)."""
        return _policy_set(await self.current_collection.find_one({"_id": CURRENT_ID}))

    async def current_version(self) -> int:
        doc = await self.current_collection.find_one({"_id": CURRENT_ID}, {"version": 1})
        return int(doc["version"]) if doc else 0

    async def version(self, version: int) -> PolicySet:
        """A past (or the current) version, from the history."""
        doc = await self.history_collection.find_one({"_id": version})
        if doc is None:
            raise PolicyError(PolicyErrorCode.NOT_FOUND, f"policy version {version} does not exist")
        return _policy_set(doc)

    async def history(self, *, limit: int = 50) -> list[VersionInfo]:
        """Stored versions, newest first (what a rollback can restore)."""
        if limit < 1 or limit > 1000:
            raise PolicyError(PolicyErrorCode.BAD_USER_INPUT, "limit must be 1 to 1000")
        cursor = self.history_collection.find({}, {"rules": 0}).sort("_id", DESCENDING)
        return [VersionInfo.from_doc(doc) async for doc in cursor.limit(limit)]

    async def audit(
        self,
        *,
        actor: str | None = None,
        rule_id: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Audit entries, newest first. `actor` matches the principal text or its subject;
        `target` a rule target (`Deal.vendorMargin`) or a type name (`Deal`) any changed rule
        had before or after; `since` inclusive, `until` exclusive."""
        if limit < 1 or limit > 1000:
            raise PolicyError(PolicyErrorCode.BAD_USER_INPUT, "limit must be 1 to 1000")
        query: dict[str, Any] = {}
        if actor:
            query["$or"] = [{"actor": actor}, {"actorSubject": actor}]
        if rule_id:
            query["ruleIds"] = rule_id
        if target:
            query["targets" if "." in target else "types"] = target
        if since or until:
            query["at"] = {
                **({"$gte": since} if since else {}),
                **({"$lt": until} if until else {}),
            }
        cursor = self.audit_collection.find(query).sort([("at", DESCENDING), ("version", -1)])
        return [AuditEntry.from_doc(doc) async for doc in cursor.limit(limit)]

    # -- writes -----------------------------------------------------------------------------

    async def create_rule(
        self, rule: Rule, *, actor: Principal | str, reason: str, expected_version: int
    ) -> PolicySet:
        def change(rules: list[Rule]) -> list[Rule]:
            if any(existing.id == rule.id for existing in rules):
                raise PolicyError(
                    PolicyErrorCode.CONFLICT,
                    f"rule {rule.id!r} already exists; update it or choose another id",
                )
            return [*rules, rule]

        return await self._commit("create", change, [rule.id], actor, reason, expected_version)

    async def update_rule(
        self, rule: Rule, *, actor: Principal | str, reason: str, expected_version: int
    ) -> PolicySet:
        def change(rules: list[Rule]) -> list[Rule]:
            _require(rules, rule.id)
            return [rule if existing.id == rule.id else existing for existing in rules]

        return await self._commit("update", change, [rule.id], actor, reason, expected_version)

    async def delete_rule(
        self, rule_id: str, *, actor: Principal | str, reason: str, expected_version: int
    ) -> PolicySet:
        def change(rules: list[Rule]) -> list[Rule]:
            _require(rules, rule_id)
            return [existing for existing in rules if existing.id != rule_id]

        return await self._commit("delete", change, [rule_id], actor, reason, expected_version)

    async def replace_all(
        self,
        rules: Sequence[Rule],
        *,
        actor: Principal | str,
        reason: str,
        expected_version: int,
        action: str = "import",
    ) -> PolicySet:
        """Replace every rule at once (an import): all or nothing."""
        new_rules = list(rules)
        return await self._commit(
            action, lambda _: new_rules, None, actor, reason, expected_version
        )

    async def rollback(
        self, to_version: int, *, actor: Principal | str, reason: str, expected_version: int
    ) -> PolicySet:
        """Restore the rules of `to_version` as a new version (the history stays intact)."""
        restored = list((await self.version(to_version)).rules)
        return await self._commit(
            "rollback",
            lambda _: restored,
            None,
            actor,
            reason,
            expected_version,
            extra={"rolledBackTo": to_version},
        )

    async def _commit(
        self,
        action: str,
        change: Callable[[list[Rule]], list[Rule]],
        rule_ids: list[str] | None,
        actor: Principal | str,
        reason: str,
        expected_version: int,
        extra: dict[str, Any] | None = None,
    ) -> PolicySet:
        reason = _check_request(reason, expected_version)
        if self.schema is None:
            raise PolicyError(
                PolicyErrorCode.INVALID_POLICY,
                "this store has no API schema to check rules against; give it one",
            )
        schema = self.schema
        actor_text = str(actor)
        subject = actor.subject if isinstance(actor, Principal) else actor

        async def work(session: AsyncClientSession) -> PolicySet:
            doc = await self.current_collection.find_one({"_id": CURRENT_ID}, session=session)
            current = _policy_set(doc)
            if current.version != expected_version:
                raise PolicyError(
                    PolicyErrorCode.CONFLICT,
                    f"the policies were changed by someone else (version {current.version}, "
                    f"you sent {expected_version}); read them again and retry",
                    currentVersion=current.version,
                )
            new_rules = change(list(current.rules))
            validate_rules(new_rules, schema)
            diff = _diff(current.rules, new_rules)
            now = datetime.now(UTC)
            version = current.version + 1
            stored = [rule.to_dict() for rule in new_rules]
            await self._write_current(session, current.version, version, stored, now, actor_text)
            await self.history_collection.insert_one(
                {
                    "_id": version,
                    "version": version,
                    "rules": stored,
                    "createdAt": now,
                    "actor": actor_text,
                    "action": action,
                    "reason": reason,
                },
                session=session,
            )
            touched = [change.before or {} for change in diff] + [
                change.after or {} for change in diff
            ]
            targets = sorted({str(rule["target"]) for rule in touched if "target" in rule})
            await self.audit_collection.insert_one(
                {
                    "at": now,
                    "actor": actor_text,
                    "actorSubject": subject,
                    "action": action,
                    "version": version,
                    "previousVersion": current.version,
                    "ruleIds": rule_ids if rule_ids is not None else [c.rule_id for c in diff],
                    "targets": targets,
                    "types": sorted({target.split(".")[0] for target in targets}),
                    "diff": [
                        {"ruleId": c.rule_id, "before": c.before, "after": c.after} for c in diff
                    ],
                    "reason": reason,
                    **(extra or {}),
                },
                session=session,
            )
            return PolicySet(version, tuple(new_rules), now, actor_text)

        async with self.db.client.start_session() as session:
            try:
                policy_set: PolicySet = await session.with_transaction(work)
            except (DuplicateKeyError, OperationFailure) as exc:
                if isinstance(exc, OperationFailure) and not isinstance(exc, DuplicateKeyError):
                    if not exc.has_error_label("TransientTransactionError"):
                        raise
                raise PolicyError(
                    PolicyErrorCode.CONFLICT,
                    "the policies were changed by someone else at the same time; "
                    "read them again and retry",
                ) from None
        await self._announce(policy_set)
        return policy_set

    async def _write_current(
        self,
        session: AsyncClientSession,
        old_version: int,
        version: int,
        rules: list[dict[str, Any]],
        now: datetime,
        actor: str,
    ) -> None:
        fields = {"version": version, "rules": rules, "updatedAt": now, "updatedBy": actor}
        if old_version == 0:
            await self.current_collection.insert_one({"_id": CURRENT_ID, **fields}, session=session)
            return
        result = await self.current_collection.update_one(
            {"_id": CURRENT_ID, "version": old_version}, {"$set": fields}, session=session
        )
        if result.matched_count != 1:
            raise PolicyError(
                PolicyErrorCode.CONFLICT,
                "the policies were changed by someone else at the same time; read them again",
            )

    async def _announce(self, policy_set: PolicySet) -> None:
        for listener in list(self._listeners):
            try:
                listener(policy_set)
            except Exception:
                log.exception("a policy listener failed on version %s", policy_set.version)
        if self.publisher is not None:
            try:
                await self.publisher(policy_set.version)
            except Exception as exc:  # replicas still catch up by polling
                log.warning("could not announce policy version %s: %s", policy_set.version, exc)


def _require(rules: list[Rule], rule_id: str) -> None:
    if not any(rule.id == rule_id for rule in rules):
        raise PolicyError(PolicyErrorCode.NOT_FOUND, f"rule {rule_id!r} does not exist")


def _check_request(reason: str, expected_version: int) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT, "a reason is required: say why the policy changes"
        )
    if len(reason) > MAX_REASON:
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT, f"the reason is longer than {MAX_REASON} characters"
        )
    if (
        not isinstance(expected_version, int)
        or isinstance(expected_version, bool)
        or expected_version < 0
    ):
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            "expected_version must be the version you read (an integer >= 0)",
        )
    return reason.strip()
