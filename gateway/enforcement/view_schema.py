"""The caller's own schema: the API schema without what its view hides.

Introspection (and so GraphiQL) is answered from it, and validation messages come from it,
so neither names a hidden type or field — not even in a "Did you mean" suggestion. Hidden
types, hidden fields, union members and interfaces the caller cannot see are removed, then
every type no visible field, argument or input field reaches (input types and enums only a
hidden mutation used) is dropped too. Built from the printed API schema and cached per
`view.plan_key` (which covers every hidden/visible decision).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    print_schema,
    specified_scalar_types,
    validate,
)
from graphql.validation import ASTValidationRule

from policies.view import PolicyView

_CACHE_SIZE = 256
_ROOTS = ("Query", "Mutation", "Subscription")
_SUGGESTION = re.compile(r"\s*Did you mean (.*)\?\s*$")
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")

_schemas: OrderedDict[tuple[int, str], tuple[GraphQLSchema, GraphQLSchema]] = OrderedDict()
_printed: dict[int, tuple[GraphQLSchema, DocumentNode]] = {}


def view_schema(view: PolicyView, api_schema: GraphQLSchema) -> GraphQLSchema:
    """The schema the caller sees (cached per view plan key and API schema)."""
    key = (id(api_schema), view.plan_key)
    entry = _schemas.get(key)
    if entry is not None and entry[0] is api_schema:
        _schemas.move_to_end(key)
        return entry[1]
    schema = build_view_schema(view, api_schema)
    _schemas[key] = (api_schema, schema)
    if len(_schemas) > _CACHE_SIZE:
        _schemas.popitem(last=False)
    return schema


def clear_view_schemas() -> None:
    _schemas.clear()
    _printed.clear()


def _api_document(api_schema: GraphQLSchema) -> DocumentNode:
    cached = _printed.get(id(api_schema))
    if cached is None or cached[0] is not api_schema:
        if len(_printed) > 8:
            _printed.clear()
        cached = (api_schema, parse(print_schema(api_schema)))
        _printed[id(api_schema)] = cached
    return cached[1]


def build_view_schema(view: PolicyView, api_schema: GraphQLSchema) -> GraphQLSchema:
    """Build without caching (see `view_schema`)."""
    definitions: dict[str, TypeDefinitionNode] = {}
    others: list[DefinitionNode] = []
    for definition in _api_document(api_schema).definitions:
        if isinstance(definition, TypeDefinitionNode):
            filtered = _filter_type(view, definition)
            if filtered is not None:
                definitions[definition.name.value] = filtered
        elif not isinstance(definition, SchemaDefinitionNode):
            others.append(definition)
    if "Query" not in definitions:
        definitions["Query"] = ObjectTypeDefinitionNode(
            name=NameNode(value="Query"), fields=(), interfaces=(), directives=()
        )
    reachable = _reachable(definitions, others)
    kept = [d for name, d in definitions.items() if name in reachable]
    return build_ast_schema(DocumentNode(definitions=(*kept, *others)), assume_valid=True)


def _filter_type(view: PolicyView, definition: TypeDefinitionNode) -> TypeDefinitionNode | None:
    name = definition.name.value
    if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        if name not in _ROOTS and not view.type(name).visible:
            return None
        fields = tuple(
            f for f in definition.fields or () if not view.field(name, f.name.value).is_hidden
        )
        if not fields and name != "Query":
            return None
        interfaces = tuple(
            i for i in definition.interfaces or () if view.type(i.name.value).visible
        )
        return type(definition)(
            name=definition.name,
            description=definition.description,
            interfaces=interfaces,
            directives=definition.directives or (),
            fields=fields,
        )
    if isinstance(definition, UnionTypeDefinitionNode):
        members = tuple(t for t in definition.types or () if view.type(t.name.value).visible)
        if not members:
            return None
        return UnionTypeDefinitionNode(
            name=definition.name,
            description=definition.description,
            directives=definition.directives or (),
            types=members,
        )
    return definition


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, ListTypeNode | NonNullTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _reachable(
    definitions: dict[str, TypeDefinitionNode], others: Sequence[DefinitionNode]
) -> set[str]:
    """Type names reachable from the root types and directive arguments."""
    implementations: dict[str, list[str]] = {}
    for definition in definitions.values():
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            for interface in definition.interfaces or ():
                implementations.setdefault(interface.name.value, []).append(definition.name.value)
    pending = [name for name in _ROOTS if name in definitions]
    for other in others:
        if isinstance(other, DirectiveDefinitionNode):
            pending += [_named(a.type) for a in other.arguments or ()]
    seen: set[str] = set(specified_scalar_types)
    while pending:
        name = pending.pop()
        if name in seen or name not in definitions:
            seen.add(name)
            continue
        seen.add(name)
        definition = definitions[name]
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            for field in definition.fields or ():
                pending.append(_named(field.type))
                pending += [_named(a.type) for a in field.arguments or ()]
            pending += [i.name.value for i in definition.interfaces or ()]
            pending += implementations.get(name, [])
        elif isinstance(definition, UnionTypeDefinitionNode):
            pending += [t.name.value for t in definition.types or ()]
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            pending += [_named(f.type) for f in definition.fields or ()]
    return seen


def view_validation_errors(
    view: PolicyView,
    api_schema: GraphQLSchema,
    document: DocumentNode,
    rules: Sequence[type[ASTValidationRule]],
    api_errors: Sequence[GraphQLError],
) -> list[GraphQLError]:
    """Validation errors as the caller may see them, for a document the API schema refused:
    validated against the caller's schema, so no message names what it hides; a suggestion
    naming anything outside the caller's schema is cut (belt and braces)."""
    schema = view_schema(view, api_schema)
    errors = validate(schema, document, list(rules)) or list(api_errors)
    names = _vocabulary(schema)
    return [_without_hidden_suggestion(error, names) for error in errors]


def _vocabulary(schema: GraphQLSchema) -> set[str]:
    names: set[str] = set()
    for name, named in schema.type_map.items():
        names.add(name)
        for field_name, field in (getattr(named, "fields", None) or {}).items():
            names.add(field_name)
            names.update(getattr(field, "args", {}) or {})
        names.update(getattr(named, "values", None) or {})
    for directive in schema.directives:
        names.add(directive.name)
        names.add(f"@{directive.name}")
        names.update(directive.args)
    return names


def _without_hidden_suggestion(error: GraphQLError, names: set[str]) -> GraphQLError:
    match = _SUGGESTION.search(error.message)
    if match is None:
        return error
    suggested = [a or b for a, b in _QUOTED.findall(match.group(1))]
    if all(part in names for item in suggested for part in item.split(".")):
        return error
    return GraphQLError(
        error.message[: match.start()],
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=error.extensions,
    )
