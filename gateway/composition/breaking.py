"""Change safety: what a new API schema breaks for clients of the current one.

graphql-core's schema diff does the comparison (removed types and fields, arguments and input
fields that became required or changed type, removed enum values, ...); this module turns it
into stable codes and readable lines for `partnergraph compose --check`.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    GraphQLError,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)


@dataclass(frozen=True, slots=True)
class SchemaChange:
    code: str  # graphql-core's change type, e.g. FIELD_REMOVED, ARG_CHANGED_KIND
    description: str
    breaking: bool

    def __str__(self) -> str:
        kind = "BREAKING" if self.breaking else "dangerous"
        return f"{kind} {self.code}: {self.description}"


class SchemaParseError(Exception):
    code = "INVALID_SCHEMA"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def load_schema(sdl: str, where: str) -> GraphQLSchema:
    try:
        return build_schema(sdl)
    except (GraphQLError, TypeError) as exc:
        raise SchemaParseError(f"{where} is not a valid GraphQL schema: {exc}") from exc


def schema_changes(old_sdl: str, new_sdl: str) -> list[SchemaChange]:
    """Breaking changes first, then dangerous ones (e.g. an enum value added)."""
    old = load_schema(old_sdl, "the current schema")
    new = load_schema(new_sdl, "the new schema")
    changes = [
        SchemaChange(c.type.name, c.description, True) for c in find_breaking_changes(old, new)
    ]
    changes += [
        SchemaChange(c.type.name, c.description, False) for c in find_dangerous_changes(old, new)
    ]
    return changes
