"""Composition checks that are not merge conflicts, each error with a hint that says what to do.

Per subgraph: key, `@requires` and `@provides` field sets must name fields that exist (with a
selection exactly where the field is composite); an `@external` field must be used by one of
them (or by an interface the type implements); `@override` cannot name its own subgraph.
Across subgraphs: a field resolved by more than one subgraph must be `@shareable` in each;
an `@external` field needs a subgraph that resolves it; there must be a query root.
"""

from __future__ import annotations

from graphql import (
    FieldNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    parse,
)

from gateway.composition.errors import CompositionError
from gateway.composition.merge import MergedSupergraph
from gateway.composition.subgraph import Argument, SubgraphSchema, TypeDef

_COMPOSITE = ("object", "interface", "union")


def parse_field_set(text: str) -> SelectionSetNode | None:
    """`"id org { id }"` as a selection set, or None when it does not parse."""
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLError:
        return None
    return document.definitions[0].selection_set  # type: ignore[attr-defined]


def check_field_set(
    subgraph: SubgraphSchema,
    type_name: str,
    text: str,
    used: set[tuple[str, str]] | None = None,
) -> list[str]:
    """Problems with field set `text` on `type_name`; the fields it names go into `used`."""
    selection = parse_field_set(text)
    if selection is None:
        return [f"{text!r} is not a valid selection set"]
    problems: list[str] = []
    _walk(subgraph, type_name, selection, used if used is not None else set(), problems)
    return problems


def _walk(
    subgraph: SubgraphSchema,
    type_name: str,
    selection_set: SelectionSetNode,
    used: set[tuple[str, str]],
    problems: list[str],
) -> None:
    type_def = subgraph.types.get(type_name)
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else None
            target = condition or type_name
            if target not in subgraph.types:
                problems.append(f"type condition {target} is not defined in the subgraph")
                continue
            _walk(subgraph, target, selection.selection_set, used, problems)
            continue
        if not isinstance(selection, FieldNode):
            problems.append("fragment spreads are not allowed in a field set")
            continue
        name = selection.name.value
        if name == "__typename":
            continue
        field_def = type_def.fields.get(name) if type_def is not None else None
        if field_def is None:
            problems.append(f"{type_name}.{name} is not defined in the subgraph")
            continue
        used.add((type_name, name))
        named = field_def.type.strip("[]!")
        target_def = subgraph.types.get(named)
        composite = target_def is not None and target_def.kind in _COMPOSITE
        if selection.selection_set is not None:
            if not composite:
                problems.append(f"{type_name}.{name} is a leaf: it takes no selection")
            else:
                _walk(subgraph, named, selection.selection_set, used, problems)
        elif composite:
            problems.append(f"{type_name}.{name} returns {named}: select its fields")


def validate_subgraph(subgraph: SubgraphSchema) -> list[CompositionError]:
    errors: list[CompositionError] = []
    used: set[tuple[str, str]] = set()

    def error(code: str, message: str, hint: str, type_name: str, field: str | None = None) -> None:
        errors.append(CompositionError(code, message, hint, subgraph.name, type_name, field))

    for type_def in subgraph.types.values():
        for key in type_def.keys:
            for problem in check_field_set(subgraph, type_def.name, key.fields, used):
                error(
                    "KEY_INVALID_FIELDS",
                    f'@key(fields: "{key.fields}") is invalid: {problem}',
                    "a key may only name fields the type defines in this subgraph",
                    type_def.name,
                )
        if type_def.interface_object and not type_def.keys:
            error(
                "INTERFACE_OBJECT_USAGE_ERROR",
                "an @interfaceObject type needs a @key",
                "add the @key of the interface it stands for",
                type_def.name,
            )
        for field_def in type_def.fields.values():
            if field_def.requires is not None:
                for problem in check_field_set(subgraph, type_def.name, field_def.requires, used):
                    error(
                        "REQUIRES_INVALID_FIELDS",
                        f'@requires(fields: "{field_def.requires}") is invalid: {problem}',
                        "@requires names fields of the same type, marked @external here",
                        type_def.name,
                        field_def.name,
                    )
                if subgraph.federation_version == 2:
                    for name in _top_level(field_def.requires):
                        required = type_def.fields.get(name)
                        if required is not None and not required.external:
                            error(
                                "REQUIRES_FIELDS_MISSING_EXTERNAL",
                                f'@requires(fields: "{field_def.requires}") names {name}, which '
                                "this subgraph resolves itself",
                                f"mark {type_def.name}.{name} @external here, or drop it from "
                                "@requires",
                                type_def.name,
                                field_def.name,
                            )
            if field_def.provides is not None:
                target = field_def.type.strip("[]!")
                for problem in check_field_set(subgraph, target, field_def.provides, used):
                    error(
                        "PROVIDES_INVALID_FIELDS",
                        f'@provides(fields: "{field_def.provides}") is invalid: {problem}',
                        f"@provides names fields of {target}, marked @external here",
                        type_def.name,
                        field_def.name,
                    )
            if field_def.override == subgraph.name:
                error(
                    "OVERRIDE_FROM_SELF_ERROR",
                    f'@override(from: "{field_def.override}") names this subgraph itself',
                    "name the subgraph the field moves away from",
                    type_def.name,
                    field_def.name,
                )
    errors.extend(_unknown_types(subgraph))
    errors.extend(_interface_keys_on_implementations(subgraph))
    if subgraph.federation_version == 2:
        for type_def in subgraph.types.values():
            for field_def in type_def.fields.values():
                if field_def.external and not _external_used(
                    subgraph, type_def, field_def.name, used
                ):
                    error(
                        "EXTERNAL_UNUSED",
                        "the field is marked @external but no @key, @requires or @provides uses it",
                        "remove the field here, or stop marking it @external if this subgraph "
                        "resolves it",
                        type_def.name,
                        field_def.name,
                    )
    return errors


def _external_used(
    subgraph: SubgraphSchema, type_def: TypeDef, field_name: str, used: set[tuple[str, str]]
) -> bool:
    if (type_def.name, field_name) in used:
        return True
    return any(
        field_name in subgraph.types[i].fields for i in type_def.interfaces if i in subgraph.types
    )


def validate_merged(merged: MergedSupergraph) -> list[CompositionError]:
    errors: list[CompositionError] = []
    if "Query" not in merged.types:
        errors.append(
            CompositionError(
                "NO_QUERIES",
                "no subgraph defines a Query field",
                "add at least one field to the Query type of a subgraph",
            )
        )
    errors.extend(_inaccessible_references(merged))
    errors.extend(_interface_fields(merged))
    errors.extend(_entity_interfaces(merged))
    for merged_type in merged.types.values():
        if merged_type.kind != "object":
            continue
        for merged_field in merged_type.fields.values():
            if merged_field.interface_object_only:
                continue
            sources = merged_field.sources
            resolving = [
                g for g, f in sources.items() if not f.external and g not in merged_field.overridden
            ]
            if not resolving:
                errors.append(
                    CompositionError(
                        "EXTERNAL_MISSING_ON_BASE",
                        "the field is @external in every subgraph that defines it "
                        f"({', '.join(sources)}): no subgraph resolves it",
                        "define the field without @external in the subgraph that owns it",
                        type=merged_type.name,
                        field=merged_field.name,
                    )
                )
                continue
            if len(resolving) < 2:
                continue
            unshared = [
                g
                for g in resolving
                if not sources[g].shareable
                and not _in_key(merged_type.sources[g], merged_field.name)
            ]
            if unshared:
                errors.append(
                    CompositionError(
                        "INVALID_FIELD_SHARING",
                        f"the field is resolved by {', '.join(resolving)} but is not "
                        f"@shareable in {', '.join(unshared)}",
                        "mark the field @shareable in every subgraph that resolves it (or "
                        "@external where another subgraph owns it, or move it with @override)",
                        subgraph=unshared[0],
                        type=merged_type.name,
                        field=merged_field.name,
                    )
                )
    return errors


def _top_level(text: str) -> list[str]:
    selection = parse_field_set(text)
    if selection is None:
        return []
    return [s.name.value for s in selection.selections if isinstance(s, FieldNode)]


def _in_key(type_def: TypeDef, field_name: str) -> bool:
    """Key fields are shareable: every subgraph with the entity resolves them."""
    return any(field_name in _top_level(key.fields) for key in type_def.keys)


def _inaccessible_references(merged: MergedSupergraph) -> list[CompositionError]:
    """A visible field, argument or input field cannot have an `@inaccessible` type: the API
    schema would name a type it does not contain. A required argument or input field cannot
    be `@inaccessible`: clients could not provide it."""
    hidden = {name for name, t in merged.types.items() if t.inaccessible}
    errors: list[CompositionError] = []

    def check(type_text: str, type_name: str, element: str) -> None:
        named = type_text.strip("[]!")
        if named in hidden:
            errors.append(
                CompositionError(
                    "REFERENCED_INACCESSIBLE",
                    f"{type_name}.{element} is visible but its type {named} is @inaccessible",
                    f"mark {type_name}.{element} @inaccessible too, or make {named} visible",
                    type=type_name,
                    field=element,
                )
            )

    def required(argument: Argument, type_name: str, element: str) -> None:
        if argument.inaccessible and argument.type.endswith("!") and argument.default is None:
            errors.append(
                CompositionError(
                    "REQUIRED_INACCESSIBLE",
                    f"{type_name}.{element} is required but @inaccessible: no client could "
                    "provide it",
                    "make it optional (nullable or with a default), or visible",
                    type=type_name,
                    field=element,
                )
            )

    for merged_type in merged.types.values():
        for input_field in merged_type.inputs.values():
            required(input_field.argument, merged_type.name, input_field.argument.name)
        for merged_field in merged_type.fields.values():
            for argument in merged_field.arguments.values():
                required(argument, merged_type.name, f"{merged_field.name}({argument.name}:)")
        if merged_type.inaccessible:
            continue
        for merged_field in merged_type.fields.values():
            if merged_field.inaccessible:
                continue
            check(merged_field.type, merged_type.name, merged_field.name)
            for argument in merged_field.arguments.values():
                if not argument.inaccessible:
                    check(argument.type, merged_type.name, f"{merged_field.name}({argument.name}:)")
        for input_field in merged_type.inputs.values():
            if not input_field.argument.inaccessible:
                check(input_field.argument.type, merged_type.name, input_field.argument.name)
    return errors


def _interface_fields(merged: MergedSupergraph) -> list[CompositionError]:
    """Every implementation of an interface has the interface's fields in the supergraph."""
    errors: list[CompositionError] = []
    for merged_type in merged.types.values():
        for interface_name in merged_type.interfaces:
            interface = merged.types.get(interface_name)
            if interface is None:
                continue
            for name, interface_field in interface.fields.items():
                if name in merged_type.fields:
                    continue
                declared = ", ".join(interface_field.sources) or "an @interfaceObject"
                errors.append(
                    CompositionError(
                        "INTERFACE_FIELD_NO_IMPLEM",
                        f"{merged_type.name} implements {interface_name}, whose field {name} "
                        f"(declared in {declared}) {merged_type.name} does not define anywhere",
                        f"add {name} to {merged_type.name} in a subgraph that defines it "
                        f"(a subgraph can resolve it with a @key on {merged_type.name})",
                        subgraph=next(iter(merged_type.sources), None),
                        type=merged_type.name,
                        field=name,
                    )
                )
    return errors


def _entity_interfaces(merged: MergedSupergraph) -> list[CompositionError]:
    """Entity interfaces (`@key` on an interface) and `@interfaceObject`, as Apollo checks
    them: an interface object stands for an interface some subgraph defines, in a subgraph
    that knows none of its implementations; a subgraph with a resolvable key on the interface
    must know every implementation, so it can answer `__typename` for any of them."""
    errors: list[CompositionError] = []
    for interface in merged.types.values():
        if interface.kind != "interface":
            continue
        implementations = [t for t in merged.types.values() if interface.name in t.interfaces]
        sources = interface.sources
        if all(s.interface_object for s in sources.values()):
            errors.append(
                CompositionError(
                    "INTERFACE_OBJECT_USAGE_ERROR",
                    f"{interface.name} is an @interfaceObject in every subgraph that defines it "
                    f"({', '.join(sources)})",
                    f"define `interface {interface.name}` (with its @key and implementations) in "
                    "the subgraph that owns it",
                    type=interface.name,
                )
            )
            continue
        for graph, source in sources.items():
            known = [t.name for t in implementations if graph in t.sources]
            if source.interface_object and known:
                errors.append(
                    CompositionError(
                        "INTERFACE_OBJECT_USAGE_ERROR",
                        f"{interface.name} is an @interfaceObject here, yet this subgraph "
                        f"defines its implementations {', '.join(known)}",
                        f"make {interface.name} an interface here, or drop the implementations",
                        subgraph=graph,
                        type=interface.name,
                    )
                )
            elif not source.interface_object and any(k.resolvable for k in source.keys):
                missing = [
                    t.name
                    for t in implementations
                    if graph not in t.sources or interface.name not in t.sources[graph].interfaces
                ]
                if missing:
                    errors.append(
                        CompositionError(
                            "INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE",
                            f"{interface.name} has a resolvable @key here, but this subgraph "
                            f"does not define its implementations {', '.join(missing)}",
                            f"define {', '.join(missing)} implementing {interface.name} here, "
                            "or make the interface key resolvable: false",
                            subgraph=graph,
                            type=interface.name,
                        )
                    )
    return errors


def _interface_keys_on_implementations(subgraph: SubgraphSchema) -> list[CompositionError]:
    """A key on an interface must be a resolvable key of each implementation too."""
    errors: list[CompositionError] = []
    for interface in subgraph.types.values():
        if interface.kind != "interface":
            continue
        for key in interface.keys:
            for implementation in subgraph.types.values():
                if interface.name not in implementation.interfaces:
                    continue
                if not any(k.fields == key.fields and k.resolvable for k in implementation.keys):
                    errors.append(
                        CompositionError(
                            "INTERFACE_KEY_NOT_ON_IMPLEMENTATIONS",
                            f'@key(fields: "{key.fields}") on interface {interface.name} is '
                            f"not a resolvable key of its implementation {implementation.name}",
                            f'add @key(fields: "{key.fields}") to {implementation.name}',
                            subgraph=subgraph.name,
                            type=implementation.name,
                        )
                    )
    return errors


_BUILT_IN = frozenset({"Int", "Float", "String", "Boolean", "ID"})


def _unknown_types(subgraph: SubgraphSchema) -> list[CompositionError]:
    """Every type a subgraph names is defined in it: each subgraph is a schema of its own."""
    errors: list[CompositionError] = []

    def check(named: str, type_name: str, element: str | None, role: str) -> None:
        if named not in _BUILT_IN and named not in subgraph.types:
            errors.append(
                CompositionError(
                    "INVALID_GRAPHQL",
                    f"{role} {named} is not defined in this subgraph",
                    f"define {named} in the subgraph (or fix the name)",
                    subgraph.name,
                    type_name,
                    element,
                )
            )

    for type_def in subgraph.types.values():
        for field_def in type_def.fields.values():
            check(field_def.type.strip("[]!"), type_def.name, field_def.name, "type")
            for argument in field_def.arguments.values():
                where = f"{field_def.name}({argument.name}:)"
                check(argument.type.strip("[]!"), type_def.name, where, "type")
        for argument in type_def.inputs.values():
            check(argument.type.strip("[]!"), type_def.name, argument.name, "type")
        for interface in type_def.interfaces:
            check(interface, type_def.name, None, "interface")
        for member in type_def.members:
            check(member, type_def.name, None, "union member")
    return errors
