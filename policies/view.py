"""Compile a policy set for one caller into a `PolicyView`: a decision per type and field.

The planner, executor, subscriptions and introspection all read the same view, so every
path gives the same answer (DESIGN.md, "Visibility semantics"). How rules combine:

- A rule takes part in deciding `Type.field` if it matches the caller and targets
  `Type.field`, `Type.*` or the whole `Type`. Deny beats mask beats allow; no rule: deny.
- A condition is bound to the caller first (`principal.*` replaced by the claim values) and
  folded: `principal.tier == "GOLD"` becomes plain true or false, and what is left reads only
  `record.*`. Evaluation is three-valued, so a deny whose condition is unknown still hides.
- A whole-type rule's condition is the **record condition**: records failing it do not
  exist for the caller. For fields, a whole-type allow counts as an unconditional allow (the
  record condition already filtered the record) and a whole-type deny without condition
  hides every field.
- A condition on a field rule makes the field **conditional**: its value shows only on
  records where the condition holds (elsewhere it behaves as hidden).
- A field whose type is hidden is hidden; a type with no visible field is hidden.
- Two masks on one field: the first in rule order gives the value.

Records are read as the schema shapes them: a dict of the object's fields by schema name
(not alias), nested objects as dicts; `view.record_fields(type)` lists the dotted paths the
conditions read (`partner.id` means `partner { id }`), which the planner must fetch.

`view.key` hashes every decision (bound conditions included, so two resellers with different
partner ids get different keys: their records differ); `view.plan_key` hashes only what
shapes a query plan (access, mask values, fields conditions read), for plan sharing.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from policies.conditions import (
    Expr,
    Literal,
    bind_principal,
    conjunction,
    disjunction,
    evaluate,
    negation,
    referenced_claims,
    referenced_fields,
)
from policies.model import Effect, PolicySet, Rule
from policies.principal import Principal

INTROSPECTION_FIELDS = frozenset({"__typename", "__schema", "__type"})


class Access(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    MASKED = "masked"
    CONDITIONAL = "conditional"


@dataclass(frozen=True, slots=True)
class FieldDecision:
    """What the caller gets for one field.

    `condition` (bound: reads `record.*` only) is set for CONDITIONAL, and for MASKED when a
    conditional deny sits beside the mask: then the mask shows only where it holds.
    """

    access: Access
    mask: Any = None
    condition: Expr | None = None
    rule_ids: tuple[str, ...] = ()

    @property
    def is_hidden(self) -> bool:
        return self.access is Access.HIDDEN

    def __str__(self) -> str:
        if self.access is Access.MASKED:
            text = f"masked({self.mask!r})"
            return f"{text} if {self.condition}" if self.condition is not None else text
        if self.access is Access.CONDITIONAL:
            return f"visible if {self.condition}"
        return str(self.access)


@dataclass(frozen=True, slots=True)
class TypeDecision:
    """Whether the caller sees the type at all, and which of its records (`condition`)."""

    visible: bool
    condition: Expr | None = None
    rule_ids: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.visible:
            return "hidden"
        return f"records if {self.condition}" if self.condition is not None else "visible"


HIDDEN_FIELD = FieldDecision(Access.HIDDEN)
VISIBLE_FIELD = FieldDecision(Access.VISIBLE)
HIDDEN_TYPE = TypeDecision(False)


@dataclass(frozen=True, eq=False)
class PolicyView:
    """One caller's decisions for every type and field of the API schema."""

    policy_version: int
    types: Mapping[str, TypeDecision] = field(repr=False)
    fields: Mapping[str, FieldDecision] = field(repr=False)  # "Type.field" -> decision
    key: str = ""
    plan_key: str = ""

    def type(self, type_name: str) -> TypeDecision:
        """Unknown types are hidden (fail closed)."""
        return self.types.get(type_name, HIDDEN_TYPE)

    def field(self, type_name: str, field_name: str) -> FieldDecision:
        """Introspection fields are always visible; unknown fields are hidden."""
        if field_name in INTROSPECTION_FIELDS:
            return VISIBLE_FIELD
        return self.fields.get(f"{type_name}.{field_name}", HIDDEN_FIELD)

    def allows_record(self, type_name: str, record: Mapping[str, Any]) -> bool:
        """Whether this record of `type_name` exists for the caller."""
        decision = self.type(type_name)
        if not decision.visible:
            return False
        return decision.condition is None or evaluate(decision.condition, record, {})

    def shows_field(self, type_name: str, field_name: str, record: Mapping[str, Any]) -> bool:
        """Whether the field's value (or its mask) shows on this record."""
        decision = self.field(type_name, field_name)
        if decision.is_hidden:
            return False
        return decision.condition is None or evaluate(decision.condition, record, {})

    @cached_property
    def shows_everything(self) -> bool:
        """True when the view hides, masks and filters nothing: every type and field of the
        schema plainly visible (the shipped admin rules give admins such a view). Anything
        less is a restricted view, whose callers must not get text the gateway cannot vet
        (subgraph error messages, `gateway.enforcement.subgraph_errors`)."""
        return all(d.visible and d.condition is None for d in self.types.values()) and all(
            d.access is Access.VISIBLE and d.condition is None for d in self.fields.values()
        )

    def record_fields(self, type_name: str) -> frozenset[str]:
        """Record fields (dotted paths) the type's conditions read: fetch them for `type_name`."""
        needed: set[str] = set()
        condition = self.type(type_name).condition
        if condition is not None:
            needed |= referenced_fields(condition)
        prefix = f"{type_name}."
        for coordinate, decision in self.fields.items():
            if coordinate.startswith(prefix) and decision.condition is not None:
                needed |= referenced_fields(decision.condition)
        return frozenset(needed)

    def __str__(self) -> str:
        lines = [f"PolicyView v{self.policy_version} {self.key[:12]}"]
        for type_name, decision in sorted(self.types.items()):
            lines.append(f"  {type_name}: {decision}")
            if not decision.visible:
                continue
            prefix = f"{type_name}."
            for coordinate, field_decision in sorted(self.fields.items()):
                if coordinate.startswith(prefix) and not field_decision.is_hidden:
                    lines.append(f"    {coordinate[len(prefix) :]}: {field_decision}")
        return "\n".join(lines)


# -- compiling -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bound:
    """A rule that matches the caller, with its condition bound to the caller's claims."""

    rule: Rule
    condition: Expr  # Literal(True) when the rule has none


def _bind(policy_set: PolicySet, principal: Principal) -> list[_Bound]:
    claims = principal.claims()
    bound: list[_Bound] = []
    for rule in policy_set.rules:
        if not rule.principals.matches(principal):
            continue
        condition: Expr = Literal(True)
        if rule.condition is not None:
            condition = bind_principal(rule.condition, claims)
        bound.append(_Bound(rule, condition))
    return bound


def _constant(expr: Expr) -> bool | str | None:
    """True / False / None for a folded constant, "" for an expression that reads records."""
    if isinstance(expr, Literal):
        return expr.value if isinstance(expr.value, bool) else None
    return ""


def _ids(items: Iterable[_Bound]) -> tuple[str, ...]:
    return tuple(item.rule.id for item in items)


def _type_decision(type_name: str, bound: list[_Bound]) -> tuple[TypeDecision, str]:
    """The record condition from whole-type rules, before looking at the fields."""
    rules = [b for b in bound if b.rule.target.is_type and b.rule.target.type_name == type_name]
    allows = [b for b in rules if b.rule.effect is Effect.ALLOW]
    denies = [b for b in rules if b.rule.effect is Effect.DENY]
    grant = disjunction([b.condition for b in allows]) if allows else Literal(True)
    condition = conjunction([grant, negation(disjunction([b.condition for b in denies]))])
    constant = _constant(condition)
    if constant is True:
        return (
            TypeDecision(True, None, _ids(allows)),
            "no record condition; the type shows where any of its fields does",
        )
    if constant in (False, None):
        deciding = [b for b in denies if _constant(b.condition) is not False] or allows
        why = "a whole-type deny" if denies else "no whole-type allow holds for the caller"
        return TypeDecision(False, None, _ids(deciding)), why
    deciding = [b for b in rules if _constant(b.condition) == ""]
    return TypeDecision(True, condition, _ids(deciding)), "record condition"


def _field_decision(
    type_name: str, field_name: str, bound: list[_Bound]
) -> tuple[FieldDecision, str]:
    rules = [b for b in bound if b.rule.target.covers_field(type_name, field_name)]
    if not rules:
        return HIDDEN_FIELD, "no rule matches (no rule means deny)"
    grants: list[Expr] = []
    denies: list[Expr] = []
    deny_rules: list[_Bound] = []
    masks = [b for b in rules if b.rule.effect is Effect.MASK]
    for b in rules:
        whole_type = b.rule.target.is_type
        if b.rule.effect is Effect.ALLOW:
            grants.append(Literal(True) if whole_type else b.condition)
        elif b.rule.effect is Effect.MASK:
            grants.append(b.condition)
        elif not whole_type or _constant(b.condition) is True:
            denies.append(b.condition)  # a conditional whole-type deny is a record condition
            deny_rules.append(b)
    condition = conjunction([disjunction(grants), negation(disjunction(denies))])
    constant = _constant(condition)
    if constant in (False, None):
        hiding = [b for b in deny_rules if _constant(b.condition) is not False]
        if hiding:
            return FieldDecision(Access.HIDDEN, rule_ids=_ids(hiding)), "deny beats mask and allow"
        return FieldDecision(Access.HIDDEN, rule_ids=_ids(rules)), "no allow holds for the caller"
    residual = None if constant is True else condition
    conditional = [b for b in rules if _constant(b.condition) == ""]
    if masks:
        mask = masks[0].rule.mask
        ids = _ids(masks) + _ids(conditional)
        return FieldDecision(Access.MASKED, mask, residual, ids), "mask beats allow"
    allows = [b for b in rules if b.rule.effect is Effect.ALLOW]
    if residual is None:
        return FieldDecision(Access.VISIBLE, rule_ids=_ids(allows)), "allowed"
    return (
        FieldDecision(Access.CONDITIONAL, None, residual, _ids(conditional or allows)),
        "visible where the condition holds",
    )


def _guarded_types(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        named
        for name, named in schema.type_map.items()
        if not name.startswith("__")
        and isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
    ]


def build_view(
    policy_set: PolicySet, principal: Principal, api_schema: GraphQLSchema
) -> PolicyView:
    """Compile without caching (see `compile_view`)."""
    by_type: dict[str, list[_Bound]] = {}
    for item in _bind(policy_set, principal):
        by_type.setdefault(item.rule.target.type_name, []).append(item)
    types: dict[str, TypeDecision] = {}
    fields: dict[str, FieldDecision] = {}
    composite = _guarded_types(api_schema)
    for named in composite:
        if isinstance(named, GraphQLUnionType):
            continue
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        bound = by_type.get(named.name, [])
        types[named.name] = _type_decision(named.name, bound)[0]
        for field_name in named.fields:
            fields[f"{named.name}.{field_name}"] = _field_decision(named.name, field_name, bound)[0]
    _propagate(api_schema, composite, types, fields)
    return PolicyView(
        policy_version=policy_set.version,
        types=MappingProxyType(types),
        fields=MappingProxyType(fields),
        key=_digest(types, fields, full=True),
        plan_key=_digest(types, fields, full=False),
    )


def _propagate(
    schema: GraphQLSchema,
    composite: list[GraphQLNamedType],
    types: dict[str, TypeDecision],
    fields: dict[str, FieldDecision],
) -> None:
    """Hide fields of hidden types, types with no visible field, fields returning hidden types."""
    changed = True
    while changed:
        changed = False
        for named in composite:
            if isinstance(named, GraphQLUnionType):
                visible = any(types.get(member.name, HIDDEN_TYPE).visible for member in named.types)
                if types.get(named.name, HIDDEN_TYPE).visible != visible:
                    types[named.name] = TypeDecision(visible)
                    changed = True
                continue
            assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
            decision = types[named.name]
            any_visible = False
            for field_name, gql_field in named.fields.items():
                coordinate = f"{named.name}.{field_name}"
                current = fields[coordinate]
                if current.is_hidden:
                    continue
                returns = get_named_type(gql_field.type)
                if not decision.visible or (
                    returns is not None
                    and returns.name in types
                    and not types[returns.name].visible
                ):
                    fields[coordinate] = FieldDecision(Access.HIDDEN, rule_ids=current.rule_ids)
                    changed = True
                    continue
                any_visible = True
            if decision.visible and not any_visible:
                types[named.name] = TypeDecision(False, None, decision.rule_ids)
                changed = True


def _digest(
    types: Mapping[str, TypeDecision], fields: Mapping[str, FieldDecision], *, full: bool
) -> str:
    def condition_text(condition: Expr | None) -> str:
        if condition is None:
            return ""
        return str(condition) if full else ",".join(sorted(referenced_fields(condition)))

    lines = [
        f"T {name} {d.visible} {condition_text(d.condition)}" for name, d in sorted(types.items())
    ]
    lines += [
        f"F {name} {d.access} {d.mask!r} {condition_text(d.condition)}"
        for name, d in sorted(fields.items())
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# -- caching -------------------------------------------------------------------------------


def _claims_read(policy_set: PolicySet) -> tuple[str, ...]:
    names: set[str] = set()
    for rule in policy_set.rules:
        if rule.condition is not None:
            names |= referenced_claims(rule.condition)
    return tuple(sorted(names))


class ViewCache:
    """Compiled views per (policy version, schema, what rules and conditions read of the caller).

    The subject is left out unless a condition reads `principal.subject`, so all callers with
    the same roles, kind, tier, partner and regions share one compiled view.
    """

    def __init__(self, maxsize: int = 4096) -> None:
        self.maxsize = maxsize
        self._views: OrderedDict[tuple[Any, ...], tuple[PolicySet, GraphQLSchema, PolicyView]]
        self._views = OrderedDict()
        self._claims: dict[int, tuple[PolicySet, tuple[str, ...]]] = {}

    def _claim_names(self, policy_set: PolicySet) -> tuple[str, ...]:
        cached = self._claims.get(id(policy_set))
        if cached is None or cached[0] is not policy_set:
            if len(self._claims) > 16:
                self._claims.clear()
            cached = (policy_set, _claims_read(policy_set))
            self._claims[id(policy_set)] = cached
        return cached[1]

    def get(
        self, policy_set: PolicySet, principal: Principal, api_schema: GraphQLSchema
    ) -> PolicyView:
        claims = principal.claims()
        read = tuple(claims.get(name) for name in self._claim_names(policy_set))
        key = (
            policy_set.version,
            id(api_schema),
            principal.is_anonymous,
            tuple(sorted(principal.roles)),
            principal.partner_kind,
            principal.tier,
            principal.partner_id,
            repr(read),
        )
        entry = self._views.get(key)
        if entry is not None and entry[0] is policy_set and entry[1] is api_schema:
            self._views.move_to_end(key)
            return entry[2]
        view = build_view(policy_set, principal, api_schema)
        self._views[key] = (policy_set, api_schema, view)
        if len(self._views) > self.maxsize:
            self._views.popitem(last=False)
        return view

    def clear(self) -> None:
        self._views.clear()
        self._claims.clear()

    def __len__(self) -> int:
        return len(self._views)


_default_cache = ViewCache()


def clear_compiled_views() -> None:
    """Drop every view `compile_view` cached (e.g. when the supergraph is replaced)."""
    _default_cache.clear()


def compile_view(
    policy_set: PolicySet, principal: Principal, api_schema: GraphQLSchema
) -> PolicyView:
    """The caller's view under this policy set, from the process-wide cache."""
    return _default_cache.get(policy_set, principal, api_schema)


# -- explaining ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Explanation:
    """Which rules decide a coordinate for a caller, and why (for the admin API's explain)."""

    coordinate: str
    decision: str
    deciding_rules: tuple[str, ...]
    reason: str
    considered: tuple[str, ...]  # one line per rule: applies or why not

    def __str__(self) -> str:
        rules = ", ".join(self.deciding_rules) or "none"
        lines = [f"{self.coordinate}: {self.decision} (rules: {rules}; {self.reason})"]
        lines += [f"  {line}" for line in self.considered]
        return "\n".join(lines)


def explain(
    policy_set: PolicySet,
    principal: Principal,
    coordinate: str,
    api_schema: GraphQLSchema | None = None,
) -> Explanation:
    """Explain `Type` or `Type.field` for the caller.

    With the API schema, the decision is the compiled view's (a field whose type is hidden is
    hidden too); without it, only the rules on the coordinate itself are considered.
    """
    type_name, _, field_name = coordinate.partition(".")
    bound = {b.rule.id: b for b in _bind(policy_set, principal)}
    considered: list[str] = []
    for rule in policy_set.rules:
        covers = (
            rule.target.covers_field(type_name, field_name)
            if field_name
            else rule.target.is_type and rule.target.type_name == type_name
        )
        if not covers:
            continue
        if rule.id not in bound:
            considered.append(f"{rule}: does not match {principal}")
        else:
            considered.append(f"{rule}: applies (condition bound: {bound[rule.id].condition})")
    rules = list(bound.values())
    if api_schema is not None and not _exists(api_schema, type_name, field_name):
        reason = "not in the API schema"
        return Explanation(coordinate, "hidden", (), reason, tuple(considered))
    if field_name:
        field_decision, reason = _field_decision(type_name, field_name, rules)
        decision, ids = str(field_decision), field_decision.rule_ids
        if api_schema is not None:
            compiled = build_view(policy_set, principal, api_schema).field(type_name, field_name)
            if compiled.is_hidden and not field_decision.is_hidden:
                decision, reason = "hidden", "its type, or the type it returns, is hidden"
    else:
        type_decision, reason = _type_decision(type_name, rules)
        decision, ids = str(type_decision), type_decision.rule_ids
        if api_schema is not None:
            compiled_type = build_view(policy_set, principal, api_schema).type(type_name)
            if not compiled_type.visible and type_decision.visible:
                decision, reason = "hidden", "no field of it is visible"
    return Explanation(coordinate, decision, ids, reason, tuple(considered))


def _exists(schema: GraphQLSchema, type_name: str, field_name: str) -> bool:
    named = schema.get_type(type_name)
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
        return False
    if not field_name:
        return True
    return not isinstance(named, GraphQLUnionType) and field_name in named.fields
