"""Satisfiability, for the common cases: can a query reach every field from a root?

Walks the federated query graph the planner uses (nodes are (type, subgraph) pairs): from each
subgraph's root types, along the fields a subgraph resolves, down to the members of abstract
types, and across subgraphs through resolvable `@key`s whose fields the current subgraph
resolves. A field whose type is reachable, but never in a subgraph that resolves the field,
is an error: no query plan could fetch it. (Requirements of `@requires` are assumed
satisfiable; Apollo's full check also simulates every query path.)
"""

from __future__ import annotations

from gateway.composition.errors import CompositionError
from gateway.composition.merge import MergedField, MergedSupergraph, MergedType
from gateway.composition.subgraph import ROOT_KINDS
from gateway.composition.validate import parse_field_set

Node = tuple[str, str]  # (type name, subgraph name)


def check_satisfiability(merged: MergedSupergraph) -> list[CompositionError]:
    reached = _reachable(merged)
    errors: list[CompositionError] = []
    for merged_type in merged.types.values():
        if merged_type.kind not in ("object", "interface"):
            continue
        reached_in = sorted(g for t, g in reached if t == merged_type.name)
        if not reached_in:
            continue  # not reachable at all: an orphan type, not a missing path
        for merged_field in merged_type.fields.values():
            if merged_field.interface_object_only:
                continue
            graphs = _resolving(merged_field)
            if not graphs or any((merged_type.name, g) in reached for g in graphs):
                continue
            errors.append(
                CompositionError(
                    "SATISFIABILITY_ERROR",
                    f"no query can reach this field: it is resolved only in "
                    f"{', '.join(graphs)}, but {merged_type.name} is only reachable in "
                    f"{', '.join(reached_in)}",
                    f"add a resolvable @key to {merged_type.name} in {graphs[0]} (and the key "
                    f"fields in {reached_in[0]}), or resolve the field in "
                    f"{' or '.join(reached_in)}",
                    subgraph=graphs[0],
                    type=merged_type.name,
                    field=merged_field.name,
                )
            )
    return errors


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
    for target, target_source in merged_type.sources.items():
        if target == graph:
            continue
        for key in target_source.keys:
            if key.resolvable and _key_available(merged_type, key.fields, graph):
                result.append((merged_type.name, target))
                break
    return result


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
