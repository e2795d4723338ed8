"""The schema of one subgraph, recovered from the supergraph.

What the subgraph itself would print (minus its federation directives): its types, its
fields with their subgraph types, its interfaces, union members and enum values, plus the
federation entry point `_entities(representations: [_Any!]!): [_Entity]!`. Used to check
that every fetch the planner writes is a valid operation for the subgraph it goes to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import (
    DefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NameNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    parse_type,
)

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.join import JoinMetadata, TypeMeta
from gateway.supergraph.link import Links


def build_subgraph_schema(
    document: DocumentNode, links: Links, join: JoinMetadata, graph: str
) -> GraphQLSchema:
    """The schema of subgraph `graph` (a name from `@join__graph(name:)`)."""
    if graph not in join.subgraphs:
        raise SupergraphError(f"unknown subgraph {graph!r}")
    definitions: list[DefinitionNode] = []
    root_names: dict[str, str] = {"query": "Query"}
    for definition in document.definitions:
        if isinstance(definition, SchemaDefinitionNode):
            root_names = {
                op.operation.value: op.type.name.value for op in definition.operation_types
            }
            continue
        if not isinstance(definition, TypeDefinitionNode):
            continue
        name = definition.name.value
        meta = join.types.get(name)
        if links.owns(name, directive=False) or meta is None or graph not in meta.graphs:
            continue
        definitions.append(_type_in_graph(definition, meta, graph))
    entities = [
        t.name
        for t in join.types.values()
        if t.kind in ("object", "interface")
        and graph in t.graphs
        and t.graphs[graph].keys
        and (t.kind == "object" or t.graphs[graph].is_interface_object)
    ]
    query = root_names.get("query", "Query")
    extra = "scalar _Any\n"
    if entities:
        extra += f"union _Entity = {' | '.join(entities)}\n"
        extra += f"extend type {query} {{ _entities(representations: [_Any!]!): [_Entity]! }}\n"
    if not any(
        isinstance(d, ObjectTypeDefinitionNode) and d.name.value == query for d in definitions
    ):
        definitions.append(parse(f"type {query}").definitions[0])
    schema_ops = " ".join(
        f"{op}: {name}"
        for op, name in root_names.items()
        if any(getattr(d, "name", None) and d.name.value == name for d in definitions)  # type: ignore[attr-defined]
    )
    extra += f"schema {{ {schema_ops} }}\n"
    try:
        return build_ast_schema(
            DocumentNode(definitions=(*definitions, *parse(extra).definitions)),
            assume_valid_sdl=True,
        )
    except (GraphQLError, TypeError) as exc:
        raise SupergraphError(f"subgraph {graph}: cannot rebuild its schema: {exc}") from exc


def _type_in_graph(definition: Any, meta: TypeMeta, graph: str) -> DefinitionNode:
    changes: dict[str, Any] = {"directives": ()}
    in_graph = meta.graphs[graph]
    if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        changes["fields"] = tuple(
            _field_in_graph(f, meta, graph)
            for f in definition.fields or ()
            if _has_field(meta, f.name.value, graph)
        )
        implemented = meta.implements.get(graph, frozenset())
        changes["interfaces"] = tuple(
            i for i in definition.interfaces or () if i.name.value in implemented
        )
        if in_graph.is_interface_object:
            fields = changes["fields"]
            return ObjectTypeDefinitionNode(
                name=definition.name, fields=fields, interfaces=(), directives=()
            )
    elif isinstance(definition, UnionTypeDefinitionNode):
        members = meta.members.get(graph, frozenset())
        changes["types"] = tuple(t for t in definition.types or () if t.name.value in members)
    elif isinstance(definition, EnumTypeDefinitionNode):
        changes["values"] = tuple(
            replace(v, directives=())
            for v in definition.values or ()
            if graph in meta.enum_values.get(v.name.value, frozenset({graph}))
        )
    elif isinstance(definition, InputObjectTypeDefinitionNode):
        changes["fields"] = tuple(
            replace(f, directives=())
            for f in definition.fields or ()
            if _has_field(meta, f.name.value, graph)
        )
    return replace(definition, **changes)


def _has_field(meta: TypeMeta, name: str, graph: str) -> bool:
    field = meta.fields.get(name)
    if field is None or not field.graphs:
        return True
    return field.in_graph(graph) is not None


def _field_in_graph(definition: FieldDefinitionNode, meta: TypeMeta, graph: str) -> Any:
    field = meta.fields.get(definition.name.value)
    entry = field.in_graph(graph) if field else None
    type_node = definition.type
    if entry is not None and entry.type:
        type_node = parse_type(entry.type)
    return replace(
        definition,
        type=type_node,
        directives=(),
        arguments=tuple(replace(a, directives=()) for a in definition.arguments or ()),
        name=NameNode(value=definition.name.value),
    )
