"""One subgraph's schema, parsed and normalized for merging.

Reads the SDL a subgraph answers to `_service { sdl }` (or a file), resolves the federation
directives' local names through `@link` (renames and `federation__` prefixes), folds type
extensions into their types, drops the federation machinery (`_entities`, `_Any`, ...),
renames custom root types to Query/Mutation/Subscription, and upgrades Federation 1 subgraphs
(no `@link` to the federation spec) to Federation 2 meaning: every field is shareable and the
key fields of `extend type` entities are not external.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueNode,
    FieldDefinitionNode,
    GraphQLError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    parse,
    print_ast,
    value_from_ast_untyped,
)

from gateway.composition.errors import CompositionError

FEDERATION_IDENTITY = "https://specs.apollo.dev/federation/"
ROOT_KINDS = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}
FEDERATION_DIRECTIVES = frozenset(
    {
        "key",
        "external",
        "requires",
        "provides",
        "shareable",
        "override",
        "inaccessible",
        "tag",
        "interfaceObject",
        "extends",
        "composeDirective",
        "authenticated",
        "requiresScopes",
        "policy",
        "context",
        "fromContext",
        "cost",
        "listSize",
    }
)
# Federation directives this composer refuses rather than drop silently (what to do instead).
_UNSUPPORTED = {
    "authenticated": "express access rules as PartnerGraph visibility policies",
    "requiresScopes": "express access rules as PartnerGraph visibility policies",
    "policy": "express access rules as PartnerGraph visibility policies",
    "context": "pass the value as an argument, or resolve it with @requires",
    "fromContext": "pass the value as an argument, or resolve it with @requires",
}
# Built-in directives kept on the supergraph elements as they are.
PASSTHROUGH = frozenset({"deprecated", "specifiedBy", "oneOf"})
_MACHINERY_TYPES = frozenset({"_Service", "_Any", "_Entity", "_FieldSet", "FieldSet"})
_MACHINERY_FIELDS = frozenset({"_entities", "_service"})
_MACHINERY_PREFIXES = ("link__", "federation__")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")

_KINDS: dict[type, str] = {
    ObjectTypeDefinitionNode: "object",
    ObjectTypeExtensionNode: "object",
    InterfaceTypeDefinitionNode: "interface",
    InterfaceTypeExtensionNode: "interface",
    UnionTypeDefinitionNode: "union",
    UnionTypeExtensionNode: "union",
    EnumTypeDefinitionNode: "enum",
    EnumTypeExtensionNode: "enum",
    InputObjectTypeDefinitionNode: "input",
    InputObjectTypeExtensionNode: "input",
    ScalarTypeDefinitionNode: "scalar",
    ScalarTypeExtensionNode: "scalar",
}


@dataclass(slots=True)
class Argument:
    """A field argument or an input field: `default` is printed GraphQL (`"a"`, `[1]`)."""

    name: str
    type: str
    description: str | None = None
    default: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[ConstDirectiveNode] = field(default_factory=list)


@dataclass(slots=True)
class Field:
    name: str
    type: str
    description: str | None = None
    arguments: dict[str, Argument] = field(default_factory=dict)
    external: bool = False
    shareable: bool = False
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[ConstDirectiveNode] = field(default_factory=list)


@dataclass(slots=True)
class EnumValue:
    name: str
    description: str | None = None
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[ConstDirectiveNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class KeySpec:
    fields: str
    resolvable: bool = True


@dataclass(slots=True)
class TypeDef:
    """A type as one subgraph defines it (extensions folded in)."""

    name: str
    kind: str  # "object" | "interface" | "union" | "enum" | "input" | "scalar"
    description: str | None = None
    fields: dict[str, Field] = field(default_factory=dict)
    inputs: dict[str, Argument] = field(default_factory=dict)  # input object fields
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    keys: list[KeySpec] = field(default_factory=list)
    shareable: bool = False
    inaccessible: bool = False
    interface_object: bool = False
    extension: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[ConstDirectiveNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ComposedDirective:
    """A custom directive a subgraph asks to keep in the supergraph (`@composeDirective`)."""

    name: str
    link_url: str | None
    definition: DirectiveDefinitionNode


@dataclass(slots=True)
class SubgraphSchema:
    name: str
    url: str
    types: dict[str, TypeDef]
    federation_version: int  # 1 or 2
    composed: dict[str, ComposedDirective] = field(default_factory=dict)

    @property
    def root_types(self) -> list[str]:
        return [name for name in ROOT_KINDS.values() if name in self.types]


class _Names:
    """Local directive name -> canonical federation directive name, from the `@link`s."""

    def __init__(self, schema_nodes: list[Any]) -> None:
        self.federation: dict[str, str] = {}
        self.links: dict[str, str] = {}  # imported local directive name -> link url
        self.version = 1
        compose_requests: list[str] = []
        for node in schema_nodes:
            for directive in node.directives or ():
                args = _arguments(directive)
                if directive.name.value == "link" and isinstance(args.get("url"), str):
                    self._link(str(args["url"]), args)
        for node in schema_nodes:
            for directive in node.directives or ():
                if self.canonical(directive.name.value) == "composeDirective":
                    compose_requests.append(str(_arguments(directive).get("name", "")))
        self.compose_requests = [name.lstrip("@") for name in compose_requests]
        if self.version == 1:
            self.federation = {name: name for name in FEDERATION_DIRECTIVES}

    def _link(self, url: str, args: dict[str, Any]) -> None:
        imports = args.get("import") or []
        if url.startswith(FEDERATION_IDENTITY):
            self.version = 2
            namespace = str(args.get("as") or "federation")
            for name in FEDERATION_DIRECTIVES:
                self.federation[f"{namespace}__{name}"] = name
            for item in imports:
                original, local = _import_names(item)
                if original.startswith("@"):
                    self.federation[local.lstrip("@")] = original.lstrip("@")
            return
        for item in imports:
            original, local = _import_names(item)
            if original.startswith("@"):
                self.links[local.lstrip("@")] = url

    def canonical(self, local: str) -> str | None:
        return self.federation.get(local)


def _import_names(item: Any) -> tuple[str, str]:
    if isinstance(item, dict):
        name = str(item.get("name", ""))
        return name, str(item.get("as") or name)
    return str(item), str(item)


def parse_subgraph(
    name: str, url: str, sdl: str
) -> tuple[SubgraphSchema | None, list[CompositionError]]:
    """Parse and normalize one subgraph; on failure return None and errors saying why."""
    try:
        document = parse(sdl)
    except GraphQLError as exc:
        where = ""
        if exc.locations:
            where = f" (line {exc.locations[0].line}, column {exc.locations[0].column})"
        return None, [
            CompositionError(
                "INVALID_GRAPHQL",
                f"the SDL does not parse: {exc.message}{where}",
                "fix the syntax error at the location given",
                subgraph=name,
            )
        ]
    return _Reader(name, url, document).read()


class _Reader:
    def __init__(self, name: str, url: str, document: DocumentNode) -> None:
        self.name = name
        self.url = url
        self.document = document
        self.errors: list[CompositionError] = []
        schema_nodes = [
            d
            for d in document.definitions
            if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
        ]
        self.names = _Names(schema_nodes)
        self.roots: dict[str, str] = {}
        for node in schema_nodes:
            for operation in node.operation_types or ():
                self.roots[operation.type.name.value] = ROOT_KINDS[operation.operation.value]
        self.directive_definitions = {
            d.name.value: d for d in document.definitions if isinstance(d, DirectiveDefinitionNode)
        }

    def read(self) -> tuple[SubgraphSchema | None, list[CompositionError]]:
        types: dict[str, TypeDef] = {}
        defined: set[str] = set()
        for definition in self.document.definitions:
            kind = _KINDS.get(type(definition))
            if kind is None:
                continue
            type_name = self.rename(definition.name.value)  # type: ignore[attr-defined]
            if type_name in _MACHINERY_TYPES or type_name.startswith(_MACHINERY_PREFIXES):
                continue
            type_def = types.get(type_name)
            if type_def is None:
                type_def = types[type_name] = TypeDef(name=type_name, kind=kind)
            elif type_def.kind != kind:
                self.error(
                    "TYPE_KIND_MISMATCH",
                    f"{type_name} is defined both as {type_def.kind} and as {kind}",
                    "define the type once, with one kind",
                    type_name,
                )
                continue
            is_extension = "Extension" in type(definition).__name__
            if not is_extension:
                if type_name in defined:
                    self.error(
                        "INVALID_GRAPHQL",
                        f"type {type_name} is defined more than once",
                        "define it once; add fields elsewhere with `extend type`",
                        type_name,
                    )
                defined.add(type_name)
            self.add(type_def, definition)
        if self.names.version == 2:
            # Federation 1 `extend type` was the only way to add to an entity, so it marks
            # no extension there; only `@extends` does (as the npm composers do).
            for type_name, type_def in types.items():
                if type_name not in defined:
                    type_def.extension = True
        for root in ROOT_KINDS.values():
            if root in types:
                types[root].extension = False
        for type_def in list(types.values()):
            for field_name in _MACHINERY_FIELDS:
                type_def.fields.pop(field_name, None)
            if type_def.kind in ("object", "interface") and not type_def.fields:
                del types[type_def.name]
        if self.names.version == 1:
            self.upgrade_federation_1(types)
        composed = self.composed_directives()
        if self.errors:
            return None, self.errors
        return SubgraphSchema(self.name, self.url, types, self.names.version, composed), []

    def rename(self, type_name: str) -> str:
        return self.roots.get(type_name, type_name)

    def rename_type(self, type_text: str) -> str:
        return _NAME.sub(lambda m: self.rename(m.group(0)), type_text)

    def error(self, code: str, message: str, hint: str, type_name: str, field: str = "") -> None:
        self.errors.append(
            CompositionError(code, message, hint, self.name, type_name, field or None)
        )

    def add(self, type_def: TypeDef, node: Any) -> None:
        common = self.directives(node.directives, type_def.name)
        if getattr(node, "description", None) is not None and type_def.description is None:
            type_def.description = node.description.value
        type_def.keys.extend(common.keys)
        type_def.shareable |= common.shareable
        type_def.inaccessible |= common.inaccessible
        type_def.interface_object |= common.interface_object
        type_def.extension |= common.extends
        type_def.tags.extend(t for t in common.tags if t not in type_def.tags)
        type_def.directives.extend(common.passthrough)
        if type_def.interface_object:
            type_def.kind = "object"
        for interface in getattr(node, "interfaces", None) or ():
            if interface.name.value not in type_def.interfaces:
                type_def.interfaces.append(interface.name.value)
        for member in getattr(node, "types", None) or ():
            if self.rename(member.name.value) not in type_def.members:
                type_def.members.append(self.rename(member.name.value))
        for value in getattr(node, "values", None) or ():
            found = self.directives(value.directives, type_def.name, value.name.value)
            type_def.values[value.name.value] = EnumValue(
                value.name.value,
                value.description.value if value.description else None,
                found.inaccessible,
                found.tags,
                found.passthrough,
            )
        for child in getattr(node, "fields", None) or ():
            if isinstance(child, FieldDefinitionNode):
                self.add_field(type_def, child, common.shareable)
            elif isinstance(child, InputValueDefinitionNode):
                type_def.inputs[child.name.value] = self.argument(child, type_def.name)

    def add_field(self, type_def: TypeDef, node: FieldDefinitionNode, shareable: bool) -> None:
        found = self.directives(node.directives, type_def.name, node.name.value)
        type_def.fields[node.name.value] = Field(
            name=node.name.value,
            type=self.rename_type(print_ast(node.type)),
            description=node.description.value if node.description else None,
            arguments={a.name.value: self.argument(a, type_def.name) for a in node.arguments or ()},
            external=found.external,
            shareable=found.shareable or shareable,
            requires=found.requires,
            provides=found.provides,
            override=found.override,
            override_label=found.override_label,
            inaccessible=found.inaccessible,
            tags=found.tags,
            directives=found.passthrough,
        )

    def argument(self, node: InputValueDefinitionNode, type_name: str) -> Argument:
        found = self.directives(node.directives, type_name, node.name.value)
        return Argument(
            name=node.name.value,
            type=self.rename_type(print_ast(node.type)),
            description=node.description.value if node.description else None,
            default=print_ast(node.default_value) if node.default_value is not None else None,
            inaccessible=found.inaccessible,
            tags=found.tags,
            directives=found.passthrough,
        )

    def directives(self, nodes: Any, type_name: str, element: str = "") -> _Directives:
        found = _Directives()
        for node in nodes or ():
            local = node.name.value
            canonical = self.names.canonical(local)
            args = _arguments(node)
            if canonical is None:
                if local in PASSTHROUGH or local in self.names.compose_requests:
                    found.passthrough.append(node)
                elif local not in self.directive_definitions:
                    self.unknown_directive(local, type_name, element)
                continue
            if canonical in _UNSUPPORTED:
                self.error(
                    "UNSUPPORTED_FEATURE",
                    f"@{local} is not supported by this composer",
                    _UNSUPPORTED[canonical],
                    type_name,
                    element,
                )
            elif canonical == "key":
                found.keys.append(
                    KeySpec(str(args.get("fields", "")), bool(args.get("resolvable", True)))
                )
            elif canonical == "tag":
                found.tags.append(str(args.get("name", "")))
            elif canonical in ("requires", "provides"):
                setattr(found, canonical, str(args.get("fields", "")))
            elif canonical == "override":
                found.override = str(args.get("from", ""))
                label = args.get("label")
                found.override_label = str(label) if label is not None else None
            elif canonical == "interfaceObject":
                found.interface_object = True
            elif canonical in ("external", "shareable", "inaccessible", "extends"):
                setattr(found, canonical, True)
        return found

    def unknown_directive(self, local: str, type_name: str, element: str) -> None:
        hint = f"define `directive @{local}` in the subgraph"
        if local in FEDERATION_DIRECTIVES:
            hint = f'import it: @link(url: ".../federation/v2.x", import: ["@{local}"])'
        self.error("INVALID_GRAPHQL", f"unknown directive @{local}", hint, type_name, element)

    def upgrade_federation_1(self, types: dict[str, TypeDef]) -> None:
        """Federation 1 had no `@shareable`: every field could be resolved anywhere; key
        fields of an extended entity were marked `@external` though the subgraph resolves
        them; and an `@external` field nothing uses was harmless (it is dropped)."""
        used: dict[str, set[str]] = {}
        for type_def in types.values():
            for key in type_def.keys:
                used.setdefault(type_def.name, set()).update(_NAME.findall(key.fields))
            for field_def in type_def.fields.values():
                if field_def.requires:
                    used.setdefault(type_def.name, set()).update(_NAME.findall(field_def.requires))
                if field_def.provides:
                    target = field_def.type.strip("[]!")
                    used.setdefault(target, set()).update(_NAME.findall(field_def.provides))
        for type_def in types.values():
            for name in [n for n, f in type_def.fields.items() if f.external]:
                if name not in used.get(type_def.name, set()):
                    del type_def.fields[name]
        for type_def in types.values():
            key_fields = {
                name for key in type_def.keys for name in _NAME.findall(key.fields.split("{")[0])
            }
            for field_def in type_def.fields.values():
                if field_def.name in key_fields:
                    field_def.external = False
                if type_def.kind == "object" and type_def.name not in ROOT_KINDS.values():
                    field_def.shareable = True
            if type_def.kind == "object" and type_def.name not in ROOT_KINDS.values():
                type_def.shareable = True

    def composed_directives(self) -> dict[str, ComposedDirective]:
        composed: dict[str, ComposedDirective] = {}
        for name in self.names.compose_requests:
            definition = self.directive_definitions.get(name)
            if definition is None:
                self.error(
                    "DIRECTIVE_COMPOSITION_ERROR",
                    f'@composeDirective(name: "@{name}") names a directive the subgraph '
                    "does not define",
                    f"add `directive @{name}(...) on ...` to the subgraph",
                    "",
                )
                continue
            composed[name] = ComposedDirective(name, self.names.links.get(name), definition)
        return composed


@dataclass(slots=True)
class _Directives:
    keys: list[KeySpec] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    passthrough: list[ConstDirectiveNode] = field(default_factory=list)
    requires: str | None = None
    provides: str | None = None
    override: str | None = None
    override_label: str | None = None
    external: bool = False
    shareable: bool = False
    inaccessible: bool = False
    interface_object: bool = False
    extends: bool = False


def _arguments(node: ConstDirectiveNode) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for argument in node.arguments or ():
        if isinstance(argument.value, EnumValueNode):
            args[argument.name.value] = argument.value.value
        else:
            args[argument.name.value] = value_from_ast_untyped(argument.value)
    return args
