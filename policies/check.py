"""Check rules against the API schema before they are stored, imported or compiled.

Every problem names its rule: an unknown type or field, a mask value the field's type cannot
carry, a condition that reads unknown fields or compares what cannot be compared. A rule set
with any problem is refused as a whole (`PolicyError` INVALID_POLICY), so nothing half-valid
is ever in force.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
)

from policies.conditions import ConditionError, check_condition
from policies.errors import Problem, invalid_policy
from policies.model import Effect, Rule

_INT_RANGE = (-(2**31), 2**31 - 1)


def rule_problems(rule: Rule, schema: GraphQLSchema) -> list[Problem]:
    """What is wrong with one rule against this schema (empty: nothing)."""
    target = rule.target
    named = schema.get_type(target.type_name)
    if named is None or target.type_name.startswith("__"):
        return [Problem(rule.id, f"unknown type {target.type_name!r} in target {target}")]
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return [
            Problem(
                rule.id,
                f"{target.type_name} is not an object or interface type: it has "
                "no fields or records to guard",
            )
        ]
    problems: list[str] = []
    fields = dict(named.fields)
    if target.field_name not in (None, "*") and target.field_name not in fields:
        problems.append(f"type {named.name} has no field {target.field_name!r}")
    if rule.effect is Effect.MASK:
        problems += _mask_problems(rule, named.name, fields)
    if rule.condition is not None and rule.condition_source is not None:
        try:
            check_condition(rule.condition, rule.condition_source, schema, named.name)
        except ConditionError as exc:
            problems.append(exc.message)
    return [Problem(rule.id, message) for message in problems]


def _mask_problems(rule: Rule, type_name: str, fields: dict[str, Any]) -> list[str]:
    if rule.target.is_type:
        return [f"a mask replaces field values: target {type_name}.field or {type_name}.*"]
    if rule.condition is not None:
        return ["a mask rule takes no condition (use a conditional allow beside it)"]
    names = list(fields) if rule.target.is_all_fields else [rule.target.field_name]
    problems: list[str] = []
    for name in names:
        if name in fields:
            problem = mask_value_problem(fields[name].type, rule.mask)
            if problem:
                problems.append(f"mask {rule.mask!r} does not fit {type_name}.{name}: {problem}")
    return problems


def mask_value_problem(field_type: GraphQLOutputType, value: Any) -> str | None:
    """Why `value` cannot stand in for a value of `field_type` (None: it can)."""
    if isinstance(field_type, GraphQLNonNull):
        if value is None:
            return f"the field is non-null ({field_type})"
        return mask_value_problem(field_type.of_type, value)
    if value is None:
        return None
    if isinstance(field_type, GraphQLList):
        if not isinstance(value, list):
            return f"the field is a list ({field_type}); give a list"
        for item in value:
            problem = mask_value_problem(field_type.of_type, item)
            if problem:
                return problem
        return None
    if isinstance(field_type, GraphQLEnumType):
        if value not in field_type.values:
            return f"not a value of enum {field_type.name} ({', '.join(field_type.values)})"
        return None
    if isinstance(field_type, GraphQLScalarType):
        return _scalar_problem(field_type.name, value)
    return f"{field_type} is an object type; only scalar and enum values can be masked"


def _scalar_problem(name: str, value: Any) -> str | None:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    ok = {
        "Int": isinstance(value, int)
        and not isinstance(value, bool)
        and _INT_RANGE[0] <= value <= _INT_RANGE[1],
        "Float": is_number and math.isfinite(value),
        "String": isinstance(value, str),
        "Boolean": isinstance(value, bool),
        "ID": isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)),
    }.get(name)
    if ok is None:  # a custom scalar: any JSON leaf value
        ok = isinstance(value, str | bool) or is_number
    return None if ok else f"{value!r} is not a valid {name}"


def check_rules(rules: Sequence[Rule], schema: GraphQLSchema) -> list[Problem]:
    """Every problem of every rule, plus duplicate ids."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            problems.append(Problem(rule.id, "the id is used by another rule"))
        seen.add(rule.id)
        problems += rule_problems(rule, schema)
    return problems


def validate_rules(rules: Sequence[Rule], schema: GraphQLSchema) -> None:
    """Raise `PolicyError` (INVALID_POLICY) naming every problem; return if there is none."""
    problems = check_rules(rules, schema)
    if problems:
        raise invalid_policy(problems)
