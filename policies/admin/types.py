"""The admin API's output types: what the console reads.

Each type is built from the plain data of `policies` (`Rule`, `PolicySet`, `AuditEntry`,
`Explanation`, the decision matrix's cells) by a `from_*` constructor, so resolvers stay
one line and the GraphQL shape is written down in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from policies.admin.decisions import Cell, Decision, SchemaFieldInfo, SchemaTypeInfo
from policies.model import PolicySet, PrincipalMatch, Rule
from policies.principal import Principal
from policies.store import AuditEntry, RuleChange, VersionInfo
from policies.view import Explanation as ViewExplanation


def _utc(moment: datetime) -> datetime:
    """MongoDB datetimes are UTC; say so in the ISO text the console gets."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@strawberry.enum(name="Effect")
class EffectValue(Enum):
    ALLOW = "allow"
    DENY = "deny"
    MASK = "mask"


strawberry.enum(Decision, name="Decision")  # the decisions module stays free of Strawberry


@strawberry.enum(name="ChangeKind")
class ChangeKind(Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@strawberry.type(name="PrincipalMatch", description="Who a rule applies to.")
class PrincipalMatchType:
    anonymous: bool
    roles: list[str]
    partner_kinds: list[str]
    tiers: list[str]
    partner_ids: list[str]

    @classmethod
    def from_match(cls, match: PrincipalMatch) -> PrincipalMatchType:
        return cls(
            anonymous=match.anonymous,
            roles=list(match.roles),
            partner_kinds=list(match.partner_kinds),
            tiers=list(match.tiers),
            partner_ids=list(match.partner_ids),
        )


@strawberry.type(name="Rule", description="One visibility rule.")
class RuleType:
    id: str
    description: str
    target: str
    effect: EffectValue
    principals: PrincipalMatchType
    mask: JSON | None = strawberry.field(description="The replacement value of a mask rule.")
    condition: str | None
    text: str = strawberry.field(description="The rule in one readable line.")

    @classmethod
    def from_rule(cls, rule: Rule) -> RuleType:
        return cls(
            id=rule.id,
            description=rule.description,
            target=str(rule.target),
            effect=EffectValue(str(rule.effect)),
            principals=PrincipalMatchType.from_match(rule.principals),
            mask=JSON(rule.mask),
            condition=rule.condition_source,
            text=str(rule),
        )


@strawberry.type(
    description="The rules in force at a version; send `version` back as "
    "`expectedVersion` when you change them."
)
class PolicySetInfo:
    version: int
    updated_at: datetime | None
    updated_by: str | None
    rules: list[RuleType]

    @classmethod
    def from_policy_set(cls, policy_set: PolicySet) -> PolicySetInfo:
        return cls(
            version=policy_set.version,
            updated_at=None if policy_set.updated_at is None else _utc(policy_set.updated_at),
            updated_by=policy_set.updated_by,
            rules=[RuleType.from_rule(rule) for rule in policy_set.rules],
        )


@strawberry.type(description="One stored version (what rollback can restore).")
class PolicyVersion:
    version: int
    created_at: datetime
    actor: str
    action: str
    reason: str

    @classmethod
    def from_info(cls, info: VersionInfo) -> PolicyVersion:
        return cls(
            version=info.version,
            created_at=_utc(info.created_at),
            actor=info.actor,
            action=info.action,
            reason=info.reason,
        )


@strawberry.type(
    name="RuleChange",
    description="One rule before and after (null: absent), in the external rule format "
    "(the keys of YAML files; effect in lower case).",
)
class RuleChangeType:
    rule_id: str
    kind: ChangeKind
    before: JSON | None
    after: JSON | None

    @classmethod
    def from_change(cls, change: RuleChange) -> RuleChangeType:
        kind = (
            ChangeKind.ADDED
            if change.before is None
            else ChangeKind.REMOVED
            if change.after is None
            else ChangeKind.CHANGED
        )
        return cls(
            rule_id=change.rule_id, kind=kind, before=JSON(change.before), after=JSON(change.after)
        )


@strawberry.type(name="AuditEntry", description="One committed change.")
class AuditEntryType:
    id: str
    at: datetime
    actor: str
    actor_subject: str | None
    action: str
    version: int
    previous_version: int
    rule_ids: list[str]
    diff: list[RuleChangeType]
    reason: str

    @classmethod
    def from_entry(cls, entry: AuditEntry) -> AuditEntryType:
        return cls(
            id=entry.id,
            at=_utc(entry.at),
            actor=entry.actor,
            actor_subject=entry.actor_subject,
            action=entry.action,
            version=entry.version,
            previous_version=entry.previous_version,
            rule_ids=list(entry.rule_ids),
            diff=[RuleChangeType.from_change(change) for change in entry.diff],
            reason=entry.reason,
        )


@strawberry.type(description="A principal as the decisions saw it.")
class PrincipalInfo:
    subject: str | None
    partner_id: str | None
    partner_kind: str | None
    tier: str | None
    regions: list[str]
    roles: list[str]
    anonymous: bool
    text: str

    @classmethod
    def from_principal(cls, principal: Principal) -> PrincipalInfo:
        return cls(
            subject=principal.subject,
            partner_id=principal.partner_id,
            partner_kind=principal.partner_kind,
            tier=principal.tier,
            regions=list(principal.regions),
            roles=list(principal.roles),
            anonymous=principal.is_anonymous,
            text=str(principal),
        )


@strawberry.type(description="The decision for one coordinate and one principal.")
class DecisionCell:
    coordinate: str
    decision: Decision
    rule_ids: list[str] = strawberry.field(description="The rules that decide it.")
    mask: JSON | None = strawberry.field(description="The value shown instead (MASK).")
    condition: str | None = strawberry.field(
        description="What the record must satisfy (CONDITIONAL, or a conditional MASK)."
    )

    @classmethod
    def from_cell(cls, cell: Cell) -> DecisionCell:
        return cls(
            coordinate=cell.coordinate,
            decision=cell.decision,
            rule_ids=list(cell.rule_ids),
            mask=JSON(cell.mask),
            condition=cell.condition,
        )


@strawberry.type(description="One principal's decisions, in the matrix's coordinate order.")
class DecisionRow:
    principal: PrincipalInfo
    cells: list[DecisionCell]


@strawberry.type(description="Principals x coordinates, for the console to draw in one call.")
class DecisionMatrix:
    policy_version: int
    coordinates: list[str]
    rows: list[DecisionRow]


@strawberry.type(description="Which rules decide a coordinate for a principal, and why.")
class Explanation:
    coordinate: str
    policy_version: int
    decision: Decision
    detail: str = strawberry.field(description="The decision as the view states it.")
    reason: str
    deciding_rule_ids: list[str]
    deciding_rules: list[RuleType]
    considered: list[str] = strawberry.field(
        description="Every rule on the coordinate: applies, or why it does not."
    )
    mask: JSON | None
    condition: str | None

    @classmethod
    def build(cls, policy_set: PolicySet, cell: Cell, explanation: ViewExplanation) -> Explanation:
        rules = [policy_set.rule(rule_id) for rule_id in explanation.deciding_rules]
        return cls(
            coordinate=explanation.coordinate,
            policy_version=policy_set.version,
            decision=cell.decision,
            detail=explanation.decision,
            reason=explanation.reason,
            deciding_rule_ids=list(explanation.deciding_rules),
            deciding_rules=[RuleType.from_rule(rule) for rule in rules if rule is not None],
            considered=list(explanation.considered),
            mask=JSON(cell.mask),
            condition=cell.condition,
        )


@strawberry.enum(name="TypeKind")
class TypeKind(Enum):
    OBJECT = "OBJECT"
    INTERFACE = "INTERFACE"
    UNION = "UNION"


@strawberry.type(description="A field of the API schema.")
class SchemaField:
    name: str
    coordinate: str
    type: str
    named_type: str
    description: str | None

    @classmethod
    def from_info(cls, info: SchemaFieldInfo) -> SchemaField:
        return cls(
            name=info.name,
            coordinate=info.coordinate,
            type=info.type,
            named_type=info.named_type,
            description=info.description,
        )


@strawberry.type(description="A type of the API schema that rules can target.")
class SchemaType:
    name: str
    kind: TypeKind
    description: str | None
    fields: list[SchemaField]
    possible_types: list[str]

    @classmethod
    def from_info(cls, info: SchemaTypeInfo) -> SchemaType:
        return cls(
            name=info.name,
            kind=TypeKind(info.kind),
            description=info.description,
            fields=[SchemaField.from_info(field) for field in info.fields],
            possible_types=list(info.possible_types),
        )


@strawberry.type(description="The response a principal would get, and under which version.")
class PreviewResult:
    policy_version: int
    principal: PrincipalInfo
    response: JSON
