"""What the executor needs to know about the API schema, computed once per schema.

Representations, rewrites, merging and shaping all ask the same questions per object
("does `... on T` apply to a `Book`?", "is `Product.sku` non-null?"); answering them from
precomputed dicts keeps the per-request work free of schema walks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

if TYPE_CHECKING:
    from gateway.supergraph.join import JoinMetadata

EntityKeys = Mapping[str, Mapping[str, frozenset[str]]]
"""Entity type -> subgraph -> the top-level fields of its resolvable keys there."""


def entity_keys(join: JoinMetadata) -> dict[str, dict[str, frozenset[str]]]:
    """The key fields of every entity in every subgraph, from the supergraph's join data:
    a representation whose key field is null identifies nothing and is not sent."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for type_name, meta in join.types.items():
        for graph, in_graph in meta.graphs.items():
            names = {
                selection.name.value
                for key in in_graph.keys
                if key.resolvable and key.selection is not None
                for selection in key.selection.selections
                if isinstance(selection, FieldNode)
            }
            if names:
                out.setdefault(type_name, {})[graph] = frozenset(names)
    return out


class SchemaIndex:
    """Possible types, object type names and field nullability of one API schema."""

    __slots__ = ("_entity_keys", "_matching", "_non_null_fields", "object_types", "schema")

    def __init__(self, schema: GraphQLSchema, keys: EntityKeys | None = None) -> None:
        self.schema = schema
        self._entity_keys: EntityKeys = keys or {}
        self.object_types: frozenset[str] = frozenset(
            name
            for name, type_ in schema.type_map.items()
            if isinstance(type_, GraphQLObjectType) and not name.startswith("__")
        )
        matching: dict[str, frozenset[str]] = {}
        non_null: dict[str, frozenset[str]] = {}
        for name, type_ in schema.type_map.items():
            if isinstance(type_, GraphQLInterfaceType | GraphQLUnionType):
                possible = {t.name for t in schema.get_possible_types(type_)}
                matching[name] = frozenset({name, *possible})
            else:
                matching[name] = frozenset({name})
            if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
                non_null[name] = frozenset(
                    field_name
                    for field_name, field in type_.fields.items()
                    if isinstance(field.type, GraphQLNonNull)
                )
        self._matching = matching
        self._non_null_fields = non_null

    def matches(self, type_condition: str | None, typename: object) -> bool:
        """Whether `... on type_condition` applies to an object whose `__typename` is
        `typename`. A type unknown to the API schema (e.g. inaccessible) matches itself."""
        if type_condition is None:
            return True
        if not isinstance(typename, str):
            return False
        if typename == type_condition:
            return True
        return typename in self._matching.get(type_condition, ())

    def matching_types(self, type_condition: str) -> frozenset[str]:
        """The `__typename`s that `... on type_condition` applies to."""
        return self._matching.get(type_condition, frozenset({type_condition}))

    def field_type_name(self, type_name: str | None, field_name: str) -> str | None:
        """The named type of `type_name.field_name`, if the API schema has it."""
        type_ = self.schema.type_map.get(type_name) if type_name else None
        field = getattr(type_, "fields", {}).get(field_name) if type_ is not None else None
        return get_named_type(field.type).name if field is not None else None

    def runtime_type(self, abstract_name: str, typename: object) -> GraphQLObjectType | None:
        """The object type `typename` names, if it is a possible type of `abstract_name`."""
        if typename == abstract_name or not isinstance(typename, str):
            return None
        if typename not in self.object_types or typename not in self._matching.get(
            abstract_name, ()
        ):
            return None
        type_ = self.schema.type_map[typename]
        return type_ if isinstance(type_, GraphQLObjectType) else None

    def key_fields(self, type_name: str | None, service: str) -> frozenset[str]:
        """The top-level key fields of `type_name` in `service` (empty if unknown)."""
        if type_name is None:
            return frozenset()
        return self._entity_keys.get(type_name, {}).get(service, frozenset())

    def is_object_type(self, name: object) -> bool:
        return isinstance(name, str) and name in self.object_types

    def is_non_null(self, type_name: str | None, field_name: str) -> bool:
        """Whether the API schema declares `type_name.field_name` non-null (False if unknown)."""
        if type_name is None:
            return False
        return field_name in self._non_null_fields.get(type_name, ())
