"""Satisfiability, for the common cases: can a query reach every field from every place its
type can be reached?

Walks the federated query graph the planner uses (nodes are (type, subgraph) pairs): from each
subgraph's root types, along the fields a subgraph resolves, down to the members of abstract
types, and across subgraphs through resolvable `@key`s whose fields the current subgraph
resolves. Then, wherever an object type is reached, each of its fields must be resolved in
that subgraph or in one a chain of key jumps leads to; otherwise a query selecting it there
has no plan. (Requirements of `@requires` are assumed satisfiable, fields returning a root
type follow root-to-root edges as Apollo's planner does, and interfaces are checked through
their implementations; Apollo's full check simulates every query path.)
"""

from __future__ import annotations

from gateway.composition.errors import CompositionError
from gateway.composition.merge import MergedField, MergedSupergraph, MergedType
from gateway.composition.subgraph import ROOT_KINDS
from gateway.composition.validate import parse_field_set

Node = tuple[str, str]  # (type name, subgraph name)


def check_satisfiability(merged: MergedSupergraph) -> list[CompositionError]:
    unreachable: dict[tuple[str, str], list[str]] = {}
    for type_name, graph in sorted(_reachable(merged)):
        merged_type = merged.types.get(type_name)
        if merged_type is None or merged_type.kind != "object" or type_name in ROOT_KINDS.values():
            continue
        jumps = _key_closure(merged_type, graph)
        for merged_field in merged_type.fields.values():
            if merged_field.interface_object_only:
                continue
            graphs = _resolving(merged_field)
            if graphs and not jumps.intersection(graphs):
                unreachable.setdefault((type_name, merged_field.name), []).append(graph)
    errors: list[CompositionError] = []
    for (type_name, field_name), reached_in in unreachable.items():
        graphs = _resolving(merged.types[type_name].fields[field_name])
        errors.append(
            CompositionError(
                "SATISFIABILITY_ERROR",
                f"a query that reaches {type_name} in {', '.join(reached_in)} cannot select "
                f"{field_name}: it is resolved only in {', '.join(graphs)}, and no resolvable "
                f"@key leads there",
                f"add a resolvable @key to {type_name} in {graphs[0]} (with its fields "
                f"resolvable in {reached_in[0]}), or resolve {field_name} in "
                f"{' and '.join(reached_in)} too (@shareable)",
                subgraph=graphs[0],
                type=type_name,
                field=field_name,
            )
        )
    return errors


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


def _reachable(merged: MergedSupergraph) -> set[Node]:
    start = [
        (root, graph)
        for root in ROOT_KINDS.values()
        if root in merged.types
        for graph in merged.types[root].sources
    ]
    seen: set[Node] = set(start)
    todo = list(start)
    while todo:
        node = todo.pop()
        merged_type = merged.types.get(node[0])
        if merged_type is None:
            continue
        for following in _edges(merged, merged_type, node[1]):
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


def _edges(merged: MergedSupergraph, merged_type: MergedType, graph: str) -> list[Node]:
    source = merged_type.sources.get(graph)
    if source is None:
        return []
    result: list[Node] = []
    for merged_field in merged_type.fields.values():
        if graph in _resolving(merged_field):
            result.append((merged_field.type.strip("[]!"), graph))
    for member in source.members:
        result.append((member, graph))
    for other in merged.types.values():
        other_source = other.sources.get(graph)
        if other_source is not None and merged_type.name in other_source.interfaces:
            result.append((other.name, graph))
    result.extend((merged_type.name, target) for target in _key_jumps(merged_type, graph))
    return result


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
