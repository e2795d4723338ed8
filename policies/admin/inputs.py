"""The admin API's input types, and how they become policy data.

A `RuleInput` becomes the external rule shape (`Rule.to_dict`'s keys) and is read by
`Rule.from_dict`, so the API accepts exactly what YAML files and the store accept, with the
same INVALID_POLICY problems. A `PrincipalInput` becomes a `Principal` through the same claim
checks as a token (`principal_from_claims`); a principal that is not anonymous counts as
signed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLSchema
from strawberry.scalars import JSON

from policies.admin.types import EffectValue
from policies.auth.claims import ClaimError, principal_from_claims
from policies.check import check_rules
from policies.errors import PolicyError, PolicyErrorCode, Problem, invalid_policy
from policies.model import Rule
from policies.principal import ANONYMOUS, AuthMethod, Principal

PREVIEW_SUBJECT = "preview"
_CLAIM_FIELDS = {
    "sub": "subject",
    "partner_id": "partnerId",
    "partner_kind": "partnerKind",
    "tier": "tier",
    "regions": "regions",
    "roles": "roles",
}


@strawberry.input(description="Who a rule applies to; empty lists do not restrict.")
class PrincipalMatchInput:
    anonymous: bool = False
    roles: list[str] = strawberry.field(default_factory=list)
    partner_kinds: list[str] = strawberry.field(default_factory=list)
    tiers: list[str] = strawberry.field(default_factory=list)
    partner_ids: list[str] = strawberry.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"anonymous": True} if self.anonymous else {}
        lists = {
            "roles": self.roles,
            "partnerKinds": self.partner_kinds,
            "tiers": self.tiers,
            "partnerIds": self.partner_ids,
        }
        return data | {key: list(values) for key, values in lists.items() if values}


@strawberry.input(description="A rule as sent by the console (the same keys as YAML).")
class RuleInput:
    id: str
    target: str = strawberry.field(description="Type, Type.* or Type.field")
    effect: EffectValue
    principals: PrincipalMatchInput | None = strawberry.field(
        default=None, description="Omitted: every signed-in caller."
    )
    description: str = ""
    mask: JSON | None = strawberry.field(
        default=strawberry.UNSET, description="Required for MASK rules (null is a value)."
    )
    condition: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "target": self.target, "effect": self.effect.value}
        if self.principals is not None:
            data["principals"] = self.principals.to_dict()
        if self.description:
            data["description"] = self.description
        if self.mask is not strawberry.UNSET:
            data["mask"] = self.mask
        if self.condition is not None:
            data["condition"] = self.condition
        return data


def read_rules(inputs: list[RuleInput], schema: GraphQLSchema) -> list[Rule]:
    """The rules, checked against the API schema; one INVALID_POLICY error naming every
    problem of every rule (shape and schema alike), so a console shows them all at once."""
    rules: list[Rule] = []
    problems: list[Problem] = []
    for item in inputs:
        try:
            rules.append(Rule.from_dict(item.to_dict()))
        except PolicyError as exc:
            problems += exc.problems
    problems += check_rules(rules, schema)
    if problems:
        raise invalid_policy(problems)
    return rules


@strawberry.input(description="A caller to explain or preview for (not a credential).")
class PrincipalInput:
    subject: str | None = strawberry.field(
        default=None, description=f"Defaults to {PREVIEW_SUBJECT!r} for a signed-in caller."
    )
    partner_id: str | None = None
    partner_kind: str | None = None
    tier: str | None = None
    regions: list[str] = strawberry.field(default_factory=list)
    roles: list[str] = strawberry.field(default_factory=list)
    anonymous: bool = False

    def to_principal(self) -> Principal:
        """BAD_USER_INPUT for a value a token could not carry either."""
        claims: dict[str, Any] = {
            "sub": self.subject,
            "partner_id": self.partner_id,
            "partner_kind": self.partner_kind,
            "tier": self.tier,
            "regions": self.regions or None,
            "roles": self.roles or None,
        }
        given = {name: value for name, value in claims.items() if value is not None}
        if self.anonymous:
            if given:
                names = ", ".join(_CLAIM_FIELDS[name] for name in given)
                raise PolicyError(
                    PolicyErrorCode.BAD_USER_INPUT,
                    f"an anonymous principal has no {names}: leave them out",
                )
            return ANONYMOUS
        given.setdefault("sub", PREVIEW_SUBJECT)
        try:
            return principal_from_claims(given, AuthMethod.JWT)
        except ClaimError as exc:
            field = _CLAIM_FIELDS.get(exc.claim, exc.claim)
            raise PolicyError(
                PolicyErrorCode.BAD_USER_INPUT,
                f"principal.{field} is not valid: {exc}",
                field=field,
            ) from None


@strawberry.input(description="Audit filters; all optional, combined with AND.")
class AuditFilter:
    actor: str | None = strawberry.field(default=None, description="The actor's text or subject.")
    rule_id: str | None = None
    target: str | None = strawberry.field(
        default=None, description="A rule target (Deal.amount) or a type (Deal)."
    )
    since: datetime | None = strawberry.field(default=None, description="Inclusive.")
    until: datetime | None = strawberry.field(default=None, description="Exclusive.")
    limit: int = 100
