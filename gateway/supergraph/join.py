"""Join metadata: which subgraph resolves what, read from the `@join__*` directives.

Plain immutable data, keyed by names the planner uses directly: subgraph names are the
`@join__graph(name:)` values (not the `join__Graph` enum values).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
    value_from_ast_untyped,
)

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.link import Links


def parse_field_set(text: str, where: str) -> SelectionSetNode:
    """Parse a `join__FieldSet` ("id org { id }") into a selection set."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError as exc:
        raise SupergraphError(f"{where}: bad field set {text!r}: {exc.message}") from exc
    operation = document.definitions[0]
    return operation.selection_set  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Subgraph:
    name: str
    url: str
    enum_value: str

    def __str__(self) -> str:
        return f"{self.name} <{self.url}>"


@dataclass(frozen=True, slots=True)
class Key:
    """A `@key` of a type in one subgraph. `resolvable: false` means no entity jump into it."""

    graph: str
    fields: str
    resolvable: bool = True
    selection: SelectionSetNode | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return f'@key("{self.fields}"{"" if self.resolvable else ", resolvable: false"})'


@dataclass(frozen=True, slots=True)
class TypeInGraph:
    """One `@join__type`: the type exists in `graph`, with these keys."""

    graph: str
    keys: tuple[Key, ...] = ()
    is_interface_object: bool = False
    extension: bool = False


@dataclass(frozen=True, slots=True)
class FieldInGraph:
    """One `@join__field`. `graph` is None for a field reached only through an interface
    object."""

    graph: str | None
    external: bool = False
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    requires_selection: SelectionSetNode | None = field(default=None, compare=False, repr=False)
    provides_selection: SelectionSetNode | None = field(default=None, compare=False, repr=False)
    has_context_arguments: bool = False

    def __str__(self) -> str:
        parts = [self.graph or "<interface object>"]
        for name in ("external", "used_overridden", "has_context_arguments"):
            if getattr(self, name):
                parts.append(name)
        for name in ("requires", "provides", "override", "override_label"):
            if getattr(self, name) is not None:
                parts.append(f"{name}: {getattr(self, name)!r}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class FieldMeta:
    """A field of a composite type and the subgraphs it lives in. An empty `graphs` means
    "every subgraph that defines the type"."""

    name: str
    graphs: tuple[FieldInGraph, ...] = ()

    def in_graph(self, graph: str) -> FieldInGraph | None:
        return next((g for g in self.graphs if g.graph == graph), None)


@dataclass(frozen=True, slots=True)
class TypeMeta:
    name: str
    kind: str  # "object" | "interface" | "union" | "enum" | "input" | "scalar"
    graphs: Mapping[str, TypeInGraph]
    fields: Mapping[str, FieldMeta] = field(default_factory=dict)
    implements: Mapping[str, frozenset[str]] = field(default_factory=dict)  # graph -> ifaces
    members: Mapping[str, frozenset[str]] = field(default_factory=dict)  # union: graph -> types
    enum_values: Mapping[str, frozenset[str]] = field(default_factory=dict)  # value -> graphs

    def keys(self, graph: str) -> tuple[Key, ...]:
        in_graph = self.graphs.get(graph)
        return in_graph.keys if in_graph else ()

    def __str__(self) -> str:
        lines = [f"{self.kind} {self.name}"]
        for graph, in_graph in self.graphs.items():
            flags = " @interfaceObject" if in_graph.is_interface_object else ""
            keys = " ".join(str(k) for k in in_graph.keys)
            lines.append(f"  in {graph}{flags} {keys}".rstrip())
        for meta in self.fields.values():
            where = "; ".join(str(g) for g in meta.graphs) or "all"
            lines.append(f"  .{meta.name}: {where}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class JoinMetadata:
    subgraphs: Mapping[str, Subgraph]  # by name
    types: Mapping[str, TypeMeta]

    def __str__(self) -> str:
        head = ["subgraphs: " + ", ".join(str(s) for s in self.subgraphs.values())]
        return "\n".join(head + [str(t) for t in self.types.values()])


_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    UnionTypeDefinitionNode: "union",
    EnumTypeDefinitionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
}


def read_join(document: DocumentNode, links: Links) -> JoinMetadata:
    """Extract the join metadata from a parsed supergraph."""
    join = links.join
    names = {
        element: join.directive(element)
        for element in (
            "graph",
            "type",
            "field",
            "implements",
            "unionMember",
            "enumValue",
            "owner",
        )
    }
    if any(_directives(d, names["owner"]) for d in _type_definitions(document)):
        raise SupergraphError("@join__owner (join v0.1, Federation 1) is not supported")
    subgraphs = _read_graphs(document, join.type("Graph"), names["graph"])
    by_enum = {s.enum_value: s.name for s in subgraphs.values()}

    def graph_of(args: dict[str, Any], where: str) -> str:
        value = args.get("graph")
        if value not in by_enum:
            raise SupergraphError(f"{where}: unknown join__Graph value {value!r}")
        return by_enum[value]

    types: dict[str, TypeMeta] = {}
    for definition in _type_definitions(document):
        name = definition.name.value
        if links.owns(name, directive=False):
            continue
        kind = _KINDS[type(definition)]
        graphs: dict[str, TypeInGraph] = {}
        keys: dict[str, list[Key]] = {}
        flags: dict[str, tuple[bool, bool]] = {}
        for args in _directives(definition, names["type"]):
            where = f"type {name} @{names['type']}"
            graph = graph_of(args, where)
            keys.setdefault(graph, [])
            if args.get("key") is not None:
                text = str(args["key"])
                keys[graph].append(
                    Key(
                        graph=graph,
                        fields=text,
                        resolvable=bool(args.get("resolvable", True)),
                        selection=parse_field_set(text, where),
                    )
                )
            previous = flags.get(graph, (False, False))
            flags[graph] = (
                previous[0] or bool(args.get("isInterfaceObject", False)),
                previous[1] or bool(args.get("extension", False)),
            )
        for graph, graph_keys in keys.items():
            graphs[graph] = TypeInGraph(
                graph=graph,
                keys=tuple(graph_keys),
                is_interface_object=flags[graph][0],
                extension=flags[graph][1],
            )
        fields: dict[str, FieldMeta] = {}
        for field_def in getattr(definition, "fields", None) or ():
            if isinstance(field_def, FieldDefinitionNode):
                fields[field_def.name.value] = _read_field(name, field_def, names["field"], by_enum)
        implements: dict[str, set[str]] = {}
        for args in _directives(definition, names["implements"]):
            graph = graph_of(args, f"type {name} @{names['implements']}")
            implements.setdefault(graph, set()).add(str(args["interface"]))
        members: dict[str, set[str]] = {}
        for args in _directives(definition, names["unionMember"]):
            graph = graph_of(args, f"union {name} @{names['unionMember']}")
            members.setdefault(graph, set()).add(str(args["member"]))
        enum_values: dict[str, frozenset[str]] = {}
        if isinstance(definition, EnumTypeDefinitionNode):
            for value_def in definition.values or ():
                known = [
                    graph_of(args, f"enum value {name}.{value_def.name.value}")
                    for args in _directives(value_def, names["enumValue"])
                ]
                enum_values[value_def.name.value] = frozenset(known or graphs)
        types[name] = TypeMeta(
            name=name,
            kind=kind,
            graphs=graphs,
            fields=fields,
            implements={g: frozenset(v) for g, v in implements.items()},
            members={g: frozenset(v) for g, v in members.items()},
            enum_values=enum_values,
        )
    return JoinMetadata(subgraphs=subgraphs, types=types)


def _read_field(
    type_name: str, definition: FieldDefinitionNode, directive: str, by_enum: dict[str, str]
) -> FieldMeta:
    name = definition.name.value
    where = f"field {type_name}.{name}"
    graphs: list[FieldInGraph] = []
    for args in _directives(definition, directive):
        graph_value = args.get("graph")
        graph: str | None = None
        if graph_value is not None:
            if graph_value not in by_enum:
                raise SupergraphError(f"{where}: unknown join__Graph value {graph_value!r}")
            graph = by_enum[graph_value]
        requires = args.get("requires")
        provides = args.get("provides")
        graphs.append(
            FieldInGraph(
                graph=graph,
                external=bool(args.get("external", False)),
                requires=requires,
                provides=provides,
                type=args.get("type"),
                override=args.get("override"),
                override_label=args.get("overrideLabel"),
                used_overridden=bool(args.get("usedOverridden", False)),
                requires_selection=(
                    parse_field_set(requires, f"{where} requires") if requires else None
                ),
                provides_selection=(
                    parse_field_set(provides, f"{where} provides") if provides else None
                ),
                has_context_arguments=bool(args.get("contextArguments")),
            )
        )
    return FieldMeta(name=name, graphs=tuple(graphs))


def _read_graphs(document: DocumentNode, enum_name: str, directive: str) -> dict[str, Subgraph]:
    for definition in document.definitions:
        if isinstance(definition, EnumTypeDefinitionNode) and definition.name.value == enum_name:
            subgraphs: dict[str, Subgraph] = {}
            for value in definition.values or ():
                found = _directives(value, directive)
                if not found:
                    raise SupergraphError(
                        f"enum {enum_name} value {value.name.value}: missing @{directive}"
                    )
                args = found[0]
                name, url = args.get("name"), args.get("url")
                if not isinstance(name, str) or not isinstance(url, str):
                    raise SupergraphError(
                        f"enum {enum_name} value {value.name.value}: @{directive} needs "
                        "`name` and `url` strings"
                    )
                if name in subgraphs:
                    raise SupergraphError(f"enum {enum_name}: subgraph name {name!r} repeated")
                subgraphs[name] = Subgraph(name=name, url=url, enum_value=value.name.value)
            if not subgraphs:
                raise SupergraphError(f"enum {enum_name} lists no subgraphs")
            return subgraphs
    raise SupergraphError(f"the supergraph has no `enum {enum_name}` listing its subgraphs")


def _type_definitions(document: DocumentNode) -> list[TypeDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, TypeDefinitionNode)]


def _directives(node: Any, name: str) -> list[dict[str, Any]]:
    """Arguments of each application of directive `name` on `node`, as plain values (enum
    values become their names)."""
    result: list[dict[str, Any]] = []
    for directive in getattr(node, "directives", None) or ():
        if isinstance(directive, DirectiveNode) and directive.name.value == name:
            args: dict[str, Any] = {}
            for argument in directive.arguments or ():
                if isinstance(argument.value, EnumValueNode):
                    args[argument.name.value] = argument.value.value
                else:
                    args[argument.name.value] = value_from_ast_untyped(argument.value)
            result.append(args)
    return result
