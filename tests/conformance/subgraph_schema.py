"""An executable graphql-core schema from a Federation v2 subgraph SDL.

The fixture subgraphs are written as plain Fed 2 SDL (`extend schema @link(...)`), exactly as
a subgraph team would write them. To serve them we add what a federation library adds: the
federation directive definitions, `_Any`, `_Service`, the `_Entity` union and the
`Query._entities` / `Query._service` fields. We also read the federation metadata the strict
checks need (keys, `@external`, `@requires`, `@provides`, `@interfaceObject`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    build_ast_schema,
    parse,
)
from graphql.language import ConstDirectiveNode

# Permissive definitions of the federation and link directives, so the subgraph SDL builds
# as a plain schema. Renamed imports (`as:`) are not supported: the corpus does not use them.
_ANYWHERE = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM"
    " | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_AUTH = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
FEDERATION_PRELUDE = f"""
scalar _Any
scalar FieldSet
scalar link__Import
scalar federation__Scope
scalar federation__Policy
enum link__Purpose {{ SECURITY EXECUTION }}
type _Service {{ sdl: String! }}
directive @link(url: String!, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @extends on OBJECT | INTERFACE
directive @composeDirective(name: String!) repeatable on SCHEMA
directive @inaccessible on {_ANYWHERE}
directive @tag(name: String!) repeatable on {_ANYWHERE}
directive @authenticated on {_AUTH}
directive @requiresScopes(scopes: [[federation__Scope!]!]!) on {_AUTH}
directive @policy(policies: [[federation__Policy!]!]!) on {_AUTH}
"""


class SubgraphSchemaError(ValueError):
    """The subgraph SDL cannot be served (a corpus authoring mistake)."""


@dataclass(frozen=True, slots=True)
class Key:
    fields: str
    resolvable: bool
    tree: FieldTree


# A field set as a tree: field name -> subtree (empty for a leaf); a type condition
# (`... on Book { title }`) is the key `"... on Book"`.
FieldTree = dict[str, "FieldTree"]
FRAGMENT = "... on "


@dataclass(slots=True)
class FederationInfo:
    """The federation metadata of one subgraph, keyed by type name and (type, field)."""

    keys: dict[str, list[Key]] = field(default_factory=dict)
    interface_objects: set[str] = field(default_factory=set)
    external: set[tuple[str, str]] = field(default_factory=set)
    requires: dict[tuple[str, str], FieldTree] = field(default_factory=dict)
    provides: dict[tuple[str, str], FieldTree] = field(default_factory=dict)

    def key_field_names(self, type_name: str) -> set[str]:
        return {name for key in self.keys.get(type_name, []) for name in key.tree}


def parse_field_set(fields: str) -> FieldTree:
    """`"id org { id }"` -> `{"id": {}, "org": {"id": {}}}`."""
    document = parse("{" + fields + "}")
    operation = document.definitions[0]
    selection_set = getattr(operation, "selection_set", None)
    if selection_set is None:
        raise SubgraphSchemaError(f"bad field set {fields!r}")
    return _tree(selection_set)


def _tree(selection_set: SelectionSetNode) -> FieldTree:
    tree: FieldTree = {}
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            child = _tree(selection.selection_set) if selection.selection_set else {}
            tree.setdefault(selection.name.value, {}).update(child)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            key = FRAGMENT + condition.name.value if condition else ""
            target = tree.setdefault(key, {}) if key else tree
            target.update(_tree(selection.selection_set))
    return tree


def tree_lookup(tree: FieldTree, name: str) -> FieldTree | None:
    """The subtree for field `name`, looking through type conditions; None if absent."""
    found = tree.get(name)
    for key, subtree in tree.items():
        if key.startswith(FRAGMENT) and name in subtree:
            found = {**(found or {}), **subtree[name]}
    return found


def missing_fields(value: Any, tree: FieldTree, path: str = "") -> list[str]:
    """Paths of the fields of `tree` absent from `value` (lists: every element; null: none)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [m for item in value for m in missing_fields(item, tree, path)]
    if not isinstance(value, dict):
        return [path or "<root>"] if tree else []
    missing: list[str] = []
    fragments = {k[len(FRAGMENT) :]: t for k, t in tree.items() if k.startswith(FRAGMENT)}
    typename = value.get("__typename")
    if typename is not None and typename in fragments:
        missing += missing_fields(value, fragments[typename], path)
    elif typename is None and fragments:
        # Representations may omit __typename inside a required selection (Apollo does):
        # then one of the type conditions must be fully present.
        options = [missing_fields(value, t, path) for t in fragments.values()]
        if all(options):
            options.sort(key=len)
            missing += options[0]
    for name, subtree in tree.items():
        if name.startswith(FRAGMENT):
            continue
        if name not in value:
            missing.append(path + name)
        elif subtree:
            missing += missing_fields(value[name], subtree, path + name + ".")
    return missing


def _argument(directive: ConstDirectiveNode, name: str) -> str | bool | None:
    for argument in directive.arguments or ():
        if argument.name.value == name:
            if isinstance(argument.value, StringValueNode | BooleanValueNode):
                return argument.value.value
    return None


def read_federation_info(document: DocumentNode) -> FederationInfo:
    info = FederationInfo()
    for definition in document.definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            continue
        type_name = definition.name.value
        for directive in definition.directives or ():
            if directive.name.value == "key":
                fields = _argument(directive, "fields")
                resolvable = _argument(directive, "resolvable")
                if not isinstance(fields, str):
                    raise SubgraphSchemaError(f"@key on {type_name} needs fields")
                key = Key(fields, resolvable is not False, parse_field_set(fields))
                info.keys.setdefault(type_name, []).append(key)
            elif directive.name.value == "interfaceObject":
                info.interface_objects.add(type_name)
        type_external = any(d.name.value == "external" for d in definition.directives or ())
        for field_def in definition.fields or ():
            coordinate = (type_name, field_def.name.value)
            for directive in field_def.directives or ():
                name = directive.name.value
                if name == "external":
                    info.external.add(coordinate)
                elif name in ("requires", "provides"):
                    fields = _argument(directive, "fields")
                    if not isinstance(fields, str):
                        raise SubgraphSchemaError(f"@{name} on {coordinate} needs fields")
                    target = info.requires if name == "requires" else info.provides
                    target[coordinate] = parse_field_set(fields)
            if type_external:
                info.external.add(coordinate)
    return info


@dataclass(frozen=True, slots=True)
class SubgraphSchema:
    name: str
    sdl: str
    schema: GraphQLSchema
    federation: FederationInfo


def build_subgraph_schema(name: str, sdl: str) -> SubgraphSchema:
    """Build the executable schema of subgraph `name`; raises `SubgraphSchemaError`."""
    try:
        document = parse(sdl)
    except Exception as exc:
        raise SubgraphSchemaError(f"subgraph {name}: {exc}") from exc
    federation = read_federation_info(document)
    entity_types = [
        t.name.value
        for t in document.definitions
        if isinstance(t, ObjectTypeDefinitionNode) and t.name.value in federation.keys
    ]
    has_query = any(
        isinstance(t, ObjectTypeDefinitionNode) and t.name.value == "Query"
        for t in document.definitions
    )
    additions = [FEDERATION_PRELUDE]
    query_fields = "_service: _Service!"
    if entity_types:
        additions.append(f"union _Entity = {' | '.join(entity_types)}")
        query_fields += "\n  _entities(representations: [_Any!]!): [_Entity]!"
    keyword = "extend type" if has_query else "type"
    additions.append(f"{keyword} Query {{\n  {query_fields}\n}}")
    try:
        schema = build_ast_schema(parse(sdl + "\n" + "\n".join(additions)))
    except Exception as exc:
        raise SubgraphSchemaError(f"subgraph {name}: {exc}") from exc
    return SubgraphSchema(name=name, sdl=sdl, schema=schema, federation=federation)
