"""Visibility rules and rule sets as plain immutable data.

A `Rule` says who it matches (`PrincipalMatch`), what it targets (`Target`: `Type.field`,
`Type.*` or a whole `Type`), its `Effect` (allow, deny, mask with a replacement value) and
an optional condition on the record and the caller. A `PolicySet` is the rules in force at a
version. How rules combine into decisions lives in `policies.view`; how they are checked
against a schema in `policies.check`.

`Rule.from_dict` / `to_dict` are the one external shape, shared by the store, the YAML
files and the admin API (camelCase keys, as in GraphQL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from policies.conditions import ConditionError, Expr, parse_condition
from policies.errors import Problem, invalid_policy
from policies.principal import Principal


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    MASK = "mask"


RULE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


@dataclass(frozen=True, slots=True)
class PrincipalMatch:
    """Who a rule applies to.

    `anonymous=True`: only callers without credentials. Otherwise signed-in callers that
    have one of the listed values for every list given (empty lists do not restrict): no
    lists at all matches every signed-in caller.
    """

    anonymous: bool = False
    roles: tuple[str, ...] = ()
    partner_kinds: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    partner_ids: tuple[str, ...] = ()

    def matches(self, principal: Principal) -> bool:
        if self.anonymous or principal.is_anonymous:
            return self.anonymous and principal.is_anonymous
        if self.roles and not set(self.roles) & set(principal.roles):
            return False
        if self.partner_kinds and principal.partner_kind not in self.partner_kinds:
            return False
        if self.tiers and principal.tier not in self.tiers:
            return False
        return not self.partner_ids or principal.partner_id in self.partner_ids

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.anonymous:
            data["anonymous"] = True
        for key, values in self._lists():
            if values:
                data[key] = list(values)
        return data

    def _lists(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            ("roles", self.roles),
            ("partnerKinds", self.partner_kinds),
            ("tiers", self.tiers),
            ("partnerIds", self.partner_ids),
        ]

    def __str__(self) -> str:
        if self.anonymous:
            return "anonymous"
        parts = [f"{key}={','.join(values)}" for key, values in self._lists() if values]
        return " ".join(parts) or "anyone signed in"


@dataclass(frozen=True, slots=True)
class Target:
    """`Type.field` (field_name set), `Type.*` (field_name "*") or a whole `Type` (None)."""

    type_name: str
    field_name: str | None = None

    @property
    def is_type(self) -> bool:
        return self.field_name is None

    @property
    def is_all_fields(self) -> bool:
        return self.field_name == "*"

    def covers_field(self, type_name: str, field_name: str) -> bool:
        """Whether a rule on this target takes part in deciding `type_name.field_name`."""
        return self.type_name == type_name and self.field_name in (None, "*", field_name)

    @classmethod
    def parse(cls, text: str) -> Target:
        """Raise ValueError with what a target looks like."""
        parts = text.strip().split(".")
        ok = len(parts) in (1, 2) and _NAME.match(parts[0]) is not None
        if len(parts) == 2:
            ok = ok and (parts[1] == "*" or _NAME.match(parts[1]) is not None)
        if not ok:
            raise ValueError(f"target {text!r} is not Type, Type.* or Type.field")
        return cls(parts[0], parts[1] if len(parts) == 2 else None)

    def __str__(self) -> str:
        return self.type_name if self.field_name is None else f"{self.type_name}.{self.field_name}"


@dataclass(frozen=True, slots=True)
class Rule:
    """One visibility rule; build from external data with `Rule.from_dict`."""

    id: str
    target: Target
    effect: Effect
    principals: PrincipalMatch = PrincipalMatch()
    description: str = ""
    mask: Any = None
    condition_source: str | None = None
    condition: Expr | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Read one rule; raise `PolicyError` (INVALID_POLICY) listing every problem."""
        return rules_from_dicts([data])[0]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.description:
            data["description"] = self.description
        data["principals"] = self.principals.to_dict()
        data["target"] = str(self.target)
        data["effect"] = str(self.effect)
        if self.effect is Effect.MASK:
            data["mask"] = self.mask
        if self.condition_source is not None:
            data["condition"] = self.condition_source
        return data

    def __str__(self) -> str:
        text = f"{self.id}: {self.effect} {self.target}"
        if self.effect is Effect.MASK:
            text += f" as {self.mask!r}"
        if self.condition_source is not None:
            text += f" if {self.condition_source}"
        return f"{text} for {self.principals}"


@dataclass(frozen=True, slots=True)
class PolicySet:
    """The rules in force at `version` (0: nothing stored yet, which denies everything)."""

    version: int
    rules: tuple[Rule, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def __str__(self) -> str:
        lines = [f"PolicySet v{self.version} ({len(self.rules)} rules)"]
        lines += [f"  {rule}" for rule in self.rules]
        return "\n".join(lines)


DENY_ALL = PolicySet(version=0)
"""No rules: every coordinate is denied. What a replica uses before its first load."""


# -- reading external data -----------------------------------------------------------------

_RULE_KEYS = {"id", "description", "principals", "target", "effect", "mask", "condition"}
_PRINCIPAL_KEYS = {"anonymous", "roles", "partnerKinds", "tiers", "partnerIds"}


def rules_from_dicts(items: Sequence[Any]) -> list[Rule]:
    """Read rules; raise one `PolicyError` (INVALID_POLICY) naming every bad rule."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        label = f"#{index + 1}"
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            label = item["id"]
        rule, rule_problems = _read_rule(item, label)
        problems += rule_problems
        if rule is not None:
            if rule.id in seen:
                problems.append(Problem(rule.id, "the id is used by another rule"))
            seen.add(rule.id)
            rules.append(rule)
    if problems:
        raise invalid_policy(problems)
    return rules


def _read_rule(item: Any, label: str) -> tuple[Rule | None, list[Problem]]:
    if not isinstance(item, Mapping):
        return None, [Problem(label, "a rule is a mapping with id, target, effect, ...")]
    problems: list[str] = []
    unknown = sorted(set(item) - _RULE_KEYS)
    if unknown:
        problems.append(f"unknown keys {unknown} (allowed: {sorted(_RULE_KEYS)})")
    rule_id = item.get("id")
    if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
        problems.append("id must be 1-100 letters, digits, '_', '.', ':' or '-'")
    description = item.get("description", "")
    if not isinstance(description, str):
        problems.append("description must be a string")
    target: Target | None = None
    try:
        target = Target.parse(item["target"]) if isinstance(item.get("target"), str) else None
        if target is None:
            problems.append("target is required: Type, Type.* or Type.field")
    except ValueError as exc:
        problems.append(str(exc))
    effect: Effect | None = None
    try:
        effect = Effect(str(item.get("effect")))
    except ValueError:
        problems.append(f"effect must be allow, deny or mask, not {item.get('effect')!r}")
    if effect is Effect.MASK and "mask" not in item:
        problems.append("a mask rule needs a mask value (the replacement)")
    if effect is not Effect.MASK and "mask" in item:
        problems.append("only a mask rule takes a mask value")
    principals = _read_principals(item.get("principals", {}), problems)
    condition_source = item.get("condition")
    condition: Expr | None = None
    if condition_source is not None:
        if not isinstance(condition_source, str):
            problems.append("condition must be a string")
        else:
            try:
                condition = parse_condition(condition_source)
            except ConditionError as exc:
                problems.append(exc.message)
    if problems or target is None or effect is None or principals is None:
        return None, [Problem(label, message) for message in problems]
    return (
        Rule(
            id=str(rule_id),
            target=target,
            effect=effect,
            principals=principals,
            description=description,
            mask=item.get("mask") if effect is Effect.MASK else None,
            condition_source=condition_source,
            condition=condition,
        ),
        [],
    )


def _read_principals(data: Any, problems: list[str]) -> PrincipalMatch | None:
    if not isinstance(data, Mapping):
        problems.append("principals must be a mapping (anonymous, roles, partnerKinds, ...)")
        return None
    unknown = sorted(set(data) - _PRINCIPAL_KEYS)
    if unknown:
        problems.append(f"unknown principals keys {unknown} (allowed: {sorted(_PRINCIPAL_KEYS)})")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("roles", "partnerKinds", "tiers", "partnerIds"):
        values = data.get(key, [])
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            problems.append(f"principals.{key} must be a list of strings")
            values = []
        lists[key] = tuple(values)
    anonymous = data.get("anonymous", False)
    if not isinstance(anonymous, bool):
        problems.append("principals.anonymous must be true or false")
        anonymous = False
    if anonymous and any(lists.values()):
        problems.append("an anonymous caller has no roles, kind, tier or partner id to match")
    return PrincipalMatch(
        anonymous=anonymous,
        roles=lists["roles"],
        partner_kinds=lists["partnerKinds"],
        tiers=lists["tiers"],
        partner_ids=lists["partnerIds"],
    )
