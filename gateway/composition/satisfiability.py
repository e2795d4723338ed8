"""Satisfiability, for the common cases: can every field be fetched wherever a query can
select it?

Walks the API schema as queries do, from the root types down, keeping for each position
(a type reached along some path) the set of subgraphs the planner could be in there. At a
position, the planner may also jump through resolvable `@key`s whose fields it can send, and
between root types (a field returning `Query` continues anywhere). Each field of an object
type must then be resolved by one of those subgraphs; the field's own resolvers become the
options one level down. Abstract types continue into each possible type in the subgraphs
that know it. (`@requires` conditions are assumed satisfiable, as are fields only an
`@interfaceObject` provides; Apollo's full check also simulates those.)
"""

from __future__ import annotations

from gateway.composition.errors import CompositionError
from gateway.composition.merge import MergedField, MergedSupergraph, MergedType
from gateway.composition.subgraph import ROOT_KINDS
from gateway.composition.validate import parse_field_set

Position = tuple[str, frozenset[str]]  # (type name, subgraphs the planner may be in)


def check_satisfiability(merged: MergedSupergraph) -> list[CompositionError]:
    failures: dict[tuple[str, str], set[str]] = {}
    start = [
        (root, frozenset(merged.types[root].sources))
        for root in ROOT_KINDS.values()
        if root in merged.types
    ]
    seen: set[Position] = set(start)
    todo = list(start)
    while todo:
        type_name, options = todo.pop()
        for following in _step(merged, merged.types[type_name], options, failures):
            if following not in seen and following[0] in merged.types:
                seen.add(following)
                todo.append(following)
    errors: list[CompositionError] = []
    for (type_name, field_name), reached_in in sorted(failures.items()):
        graphs = _resolving(merged.types[type_name].fields[field_name])
        origin = sorted(reached_in)
        errors.append(
            CompositionError(
                "SATISFIABILITY_ERROR",
                f"a query that reaches {type_name} through {', '.join(origin)} cannot select "
                f"{field_name}: it is resolved only in {', '.join(graphs)}, and no resolvable "
                "@key leads there",
                f"add a resolvable @key to {type_name} in {graphs[0]} (with its fields "
                f"resolvable in {origin[0]}), or resolve {field_name} in {origin[0]} too "
                "(@shareable)",
                subgraph=graphs[0],
                type=type_name,
                field=field_name,
            )
        )
    return errors


def _step(
    merged: MergedSupergraph,
    merged_type: MergedType,
    options: frozenset[str],
    failures: dict[tuple[str, str], set[str]],
) -> list[Position]:
    """The positions one field (or one type condition) below; records unreachable fields."""
    if merged_type.name in ROOT_KINDS.values():
        here = set(merged_type.sources)  # root types connect to each other
    else:
        here = set().union(*(_key_closure(merged_type, g) for g in options))
    following: list[Position] = []
    if merged_type.kind in ("interface", "union"):
        for possible in merged.types.values():
            known_in = frozenset(
                g
                for g, source in possible.sources.items()
                if g in here
                and (
                    merged_type.name in source.interfaces
                    or possible.name in _members(merged_type, g)
                )
            )
            if known_in:
                following.append((possible.name, known_in))
        return following
    for merged_field in merged_type.fields.values():
        if merged_field.interface_object_only:
            continue
        resolvers = frozenset(g for g in _resolving(merged_field) if g in here)
        if not _resolving(merged_field):
            continue  # @external everywhere: reported by validation
        if not resolvers:
            failures.setdefault((merged_type.name, merged_field.name), set()).update(options)
            continue
        following.append((merged_field.type.strip("[]!"), resolvers))
    return following


def _members(union: MergedType, graph: str) -> list[str]:
    source = union.sources.get(graph)
    return source.members if source is not None else []


def _key_closure(merged_type: MergedType, graph: str) -> set[str]:
    """The subgraphs reachable from `graph` by key jumps on this type (itself included)."""
    seen = {graph}
    todo = [graph]
    while todo:
        current = todo.pop()
        for target in _key_jumps(merged_type, current):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _resolving(merged_field: MergedField) -> list[str]:
    return [
        g
        for g, f in merged_field.sources.items()
        if not f.external and g not in merged_field.used_overridden
    ]


def _key_jumps(merged_type: MergedType, graph: str) -> list[str]:
    """Subgraphs with a resolvable key on the type whose fields `graph` can send."""
    return [
        target
        for target, target_source in merged_type.sources.items()
        if target != graph
        and any(
            key.resolvable and _key_available(merged_type, key.fields, graph)
            for key in target_source.keys
        )
    ]


def _key_available(merged_type: MergedType, fields: str, graph: str) -> bool:
    """Whether `graph` resolves the key's top-level fields, so it can send a representation."""
    selection = parse_field_set(fields)
    if selection is None:
        return False
    for item in selection.selections:
        name = getattr(getattr(item, "name", None), "value", None)
        if name is None or name == "__typename":
            continue
        merged_field = merged_type.fields.get(name)
        if merged_field is None or graph not in _resolving(merged_field):
            return False
    return True
