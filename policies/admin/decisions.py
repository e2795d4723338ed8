"""Decisions per coordinate, and the graph's types as a tree, for the admin console.

Pure functions over a policy set, principals and the API schema. A cell of the decision
matrix is read from the caller's compiled view (`policies.view.build_view`), the same view
the gateway enforces, so the matrix shows what a request of that principal meets; `explain`
gives the why for one cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from policies.errors import PolicyError, PolicyErrorCode
from policies.model import PolicySet
from policies.principal import Principal
from policies.view import Access, PolicyView, build_view

MAX_PRINCIPALS = 50
MAX_COORDINATES = 5000
MAX_CELLS = 50_000
_COORDINATE = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*)?$")


class Decision(StrEnum):
    """One coordinate for one caller, as the console colours it."""

    ALLOW = "allow"
    DENY = "deny"
    MASK = "mask"
    CONDITIONAL = "conditional"


@dataclass(frozen=True, slots=True)
class Cell:
    """The decision for one coordinate; `condition` (bound to the caller) when it depends on
    the record, `mask` for a masked field."""

    coordinate: str
    decision: Decision
    rule_ids: tuple[str, ...]
    mask: Any = None
    condition: str | None = None

    def __str__(self) -> str:
        text = f"{self.coordinate}: {self.decision}"
        return f"{text} if {self.condition}" if self.condition is not None else text


@dataclass(frozen=True, slots=True)
class SchemaFieldInfo:
    name: str
    coordinate: str
    type: str  # as written in SDL: "[Deal!]!"
    named_type: str
    description: str | None


@dataclass(frozen=True, slots=True)
class SchemaTypeInfo:
    name: str
    kind: str  # OBJECT | INTERFACE | UNION
    description: str | None
    fields: tuple[SchemaFieldInfo, ...]
    possible_types: tuple[str, ...]  # union members, interface implementations


def _policy_types(
    schema: GraphQLSchema,
) -> list[GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType]:
    """The types rules can be about, root types first, then by name."""
    roots = [schema.query_type, schema.mutation_type, schema.subscription_type]
    root_names = [root.name for root in roots if root is not None]
    named = [
        named
        for name, named in schema.type_map.items()
        if not name.startswith("__")
        and isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
    ]
    order = {name: index for index, name in enumerate(root_names)}
    return sorted(named, key=lambda t: (order.get(t.name, len(order)), t.name))


def schema_tree(schema: GraphQLSchema) -> list[SchemaTypeInfo]:
    """Object, interface and union types with their fields: what the console lists."""
    tree: list[SchemaTypeInfo] = []
    for named in _policy_types(schema):
        if isinstance(named, GraphQLUnionType):
            members = tuple(member.name for member in named.types)
            tree.append(SchemaTypeInfo(named.name, "UNION", named.description, (), members))
            continue
        fields = tuple(
            SchemaFieldInfo(
                name,
                f"{named.name}.{name}",
                str(field.type),
                get_named_type(field.type).name,
                field.description,
            )
            for name, field in named.fields.items()
        )
        if isinstance(named, GraphQLInterfaceType):
            implementations = schema.get_implementations(named).objects
            possible = tuple(sorted(impl.name for impl in implementations))
            tree.append(
                SchemaTypeInfo(named.name, "INTERFACE", named.description, fields, possible)
            )
        else:
            tree.append(SchemaTypeInfo(named.name, "OBJECT", named.description, fields, ()))
    return tree


def field_coordinates(schema: GraphQLSchema) -> list[str]:
    """Every `Type.field` of the object and interface types, in `schema_tree` order."""
    return [field.coordinate for named in schema_tree(schema) for field in named.fields]


def check_coordinate(schema: GraphQLSchema, coordinate: str) -> None:
    """Raise BAD_USER_INPUT unless `coordinate` is a type or field of the API schema."""
    if not isinstance(coordinate, str) or not _COORDINATE.match(coordinate):
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            f"{coordinate!r} is not a coordinate: write Type or Type.field",
            coordinate=coordinate,
        )
    type_name, _, field_name = coordinate.partition(".")
    named = schema.get_type(type_name)
    known = isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
    if known and field_name:
        known = not isinstance(named, GraphQLUnionType) and field_name in named.fields  # type: ignore[union-attr]
    if not known or type_name.startswith("__"):
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            f"{coordinate} is not in the API schema (see schemaTree for what is)",
            coordinate=coordinate,
        )


def decide(view: PolicyView, coordinate: str) -> Cell:
    """The cell for a checked coordinate (see `check_coordinate`) in the caller's view."""
    type_name, _, field_name = coordinate.partition(".")
    if not field_name:
        type_decision = view.type(type_name)
        if not type_decision.visible:
            return Cell(coordinate, Decision.DENY, type_decision.rule_ids)
        if type_decision.condition is not None:
            condition = str(type_decision.condition)
            return Cell(coordinate, Decision.CONDITIONAL, type_decision.rule_ids, None, condition)
        return Cell(coordinate, Decision.ALLOW, type_decision.rule_ids)
    field = view.field(type_name, field_name)
    field_condition = None if field.condition is None else str(field.condition)
    if field.access is Access.HIDDEN:
        return Cell(coordinate, Decision.DENY, field.rule_ids)
    if field.access is Access.MASKED:
        return Cell(coordinate, Decision.MASK, field.rule_ids, field.mask, field_condition)
    if field.access is Access.CONDITIONAL:
        return Cell(coordinate, Decision.CONDITIONAL, field.rule_ids, None, field_condition)
    return Cell(coordinate, Decision.ALLOW, field.rule_ids)


def decision_matrix(
    policy_set: PolicySet,
    principals: Sequence[Principal],
    coordinates: Sequence[str] | None,
    schema: GraphQLSchema,
) -> tuple[list[str], list[list[Cell]]]:
    """The coordinates (every field when None) and one row of cells per principal."""
    if not principals or len(principals) > MAX_PRINCIPALS:
        raise PolicyError(PolicyErrorCode.BAD_USER_INPUT, f"give 1 to {MAX_PRINCIPALS} principals")
    chosen = field_coordinates(schema) if coordinates is None else list(coordinates)
    if not chosen or len(chosen) > MAX_COORDINATES:
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            f"give 1 to {MAX_COORDINATES} coordinates (or none for every field)",
        )
    if len(chosen) * len(principals) > MAX_CELLS:
        raise PolicyError(
            PolicyErrorCode.BAD_USER_INPUT,
            f"at most {MAX_CELLS} cells per matrix (principals x coordinates): ask in parts",
        )
    for coordinate in chosen:
        check_coordinate(schema, coordinate)
    rows = []
    for principal in principals:
        view = build_view(policy_set, principal, schema)
        rows.append([decide(view, coordinate) for coordinate in chosen])
    return chosen, rows
