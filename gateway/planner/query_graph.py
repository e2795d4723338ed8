"""What the subgraphs can resolve: the federated query graph, queried lazily.

Nodes are (type, subgraph) pairs; this module answers the planner's questions about edges
between them: may subgraph S resolve `T.f` here (field edges, with `@external`,
`@provides` and `@override` taken into account), what does `T.f` require, which `@key`s
lead into a subgraph (key edges), and what is the shortest chain of key jumps from one
subgraph to another for a type (skipping A→B→C when A→C exists).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from graphql import (
    FieldNode,
    GraphQLCompositeType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)

from gateway.planner.errors import PlanningError
from gateway.supergraph import Key, Supergraph, TypeMeta

# A `@provides` field set, as nested dicts: field name -> provided sub-fields; a fragment
# `... on T { }` is the entry "... on T".
Provided = Mapping[str, "Provided"]


@dataclass(frozen=True, slots=True)
class Hop:
    """One key jump: enter `graph` through `key`."""

    graph: str
    key: Key


class QueryGraph:
    """Questions about the supergraph under one set of active override labels."""

    def __init__(self, supergraph: Supergraph, override_labels: frozenset[str]) -> None:
        self.supergraph = supergraph
        self.schema = supergraph.schema
        self.types = supergraph.join.types
        self.labels = override_labels
        self._field_graphs: dict[tuple[str, str], tuple[str, ...]] = {}
        self._routes: dict[tuple[str, str, str], tuple[Hop, ...] | None] = {}

    @cached_property
    def subgraph_order(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.supergraph.join.subgraphs)}

    # --- types -------------------------------------------------------------------------

    def meta(self, type_name: str) -> TypeMeta:
        meta = self.types.get(type_name)
        if meta is None:
            raise PlanningError(f"type {type_name} is not in the supergraph")
        return meta

    def field_def(self, type_name: str, field: str) -> GraphQLField:
        type_ = self.schema.get_type(type_name)
        fields = getattr(type_, "fields", None)
        if fields is None or field not in fields:
            raise PlanningError(f"{type_name}.{field} is not in the supergraph")
        return fields[field]

    def field_type(self, type_name: str, field: str) -> tuple[str, int]:
        """The named type of `type_name.field` and how many list levels wrap it."""
        return unwrap(self.field_def(type_name, field).type)

    def is_abstract(self, type_name: str) -> bool:
        return is_abstract_type(self.schema.get_type(type_name))

    def possible_types(self, type_name: str, graph: str | None = None) -> list[str]:
        """Object types an abstract type can be at run time (in `graph`, when given)."""
        type_ = self.schema.get_type(type_name)
        if not is_abstract_type(type_):
            return [type_name]
        names = [t.name for t in self.schema.get_possible_types(type_)]
        if graph is None:
            return names
        meta = self.meta(type_name)
        if meta.kind == "union":
            if not meta.members:
                return names  # join v0.2 records no union members: all of them, everywhere
            members = meta.members.get(graph, frozenset())
            return [n for n in names if n in members]
        return [n for n in names if type_name in self.meta(n).implements.get(graph, frozenset())]

    def in_graph(self, type_name: str, graph: str) -> bool:
        return graph in self.meta(type_name).graphs

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        in_graph = self.meta(type_name).graphs.get(graph)
        return in_graph is not None and in_graph.is_interface_object

    # --- field edges ---------------------------------------------------------------------

    def field_graphs(self, type_name: str, field: str) -> tuple[str, ...]:
        """Subgraphs that resolve `type_name.field` themselves (not external, override
        honoured), in supergraph order."""
        cache_key = (type_name, field)
        found = self._field_graphs.get(cache_key)
        if found is None:
            found = self._compute_field_graphs(type_name, field)
            self._field_graphs[cache_key] = found
        return found

    def _compute_field_graphs(self, type_name: str, field: str) -> tuple[str, ...]:
        meta = self.meta(type_name)
        field_meta = meta.fields.get(field)
        if field_meta is None:
            raise PlanningError(f"{type_name}.{field} is not in the supergraph")
        if not field_meta.graphs:
            return tuple(meta.graphs)
        overridden: dict[str, str | None] = {
            g.override: g.override_label for g in field_meta.graphs if g.override
        }
        graphs: list[str] = []
        for entry in field_meta.graphs:
            graph = entry.graph
            if graph is None or entry.external or entry.has_context_arguments:
                continue
            if entry.used_overridden and entry.override_label is None:
                continue
            if entry.override and entry.override_label and entry.override_label not in self.labels:
                continue
            if graph in overridden:
                label = overridden[graph]
                if label is None or label in self.labels:
                    continue
            if entry.override_label and not entry.override and entry.override_label in self.labels:
                continue
            graphs.append(graph)
        return tuple(graphs)

    def requires(self, type_name: str, field: str, graph: str) -> SelectionSetNode | None:
        entry = self.meta(type_name).fields[field].in_graph(graph)
        return entry.requires_selection if entry else None

    def uses_context(self, type_name: str, field: str) -> bool:
        """Whether the field takes `@fromContext` arguments (not supported yet)."""
        meta = self.meta(type_name).fields.get(field)
        return meta is not None and any(g.has_context_arguments for g in meta.graphs)

    def provides(self, type_name: str, field: str, graph: str) -> Provided | None:
        entry = self.meta(type_name).fields[field].in_graph(graph)
        if entry is None or entry.provides_selection is None:
            return None
        return provided_tree(entry.provides_selection)

    def is_local(
        self, type_name: str, field: str, graph: str, provided: Provided | None = None
    ) -> bool:
        """May `graph` return `type_name.field` at this position (ignoring `@requires`)?"""
        if field == "__typename":
            return True
        if provided is not None and (
            field in provided or field in provided.get(f"... on {type_name}", {})
        ):
            return True
        if graph in self.field_graphs(type_name, field):
            return True
        return self._external_key_field(type_name, field, graph)

    def _external_key_field(self, type_name: str, field: str, graph: str) -> bool:
        """A key field marked `@external` (Federation 1 style) is still known where the key
        is declared: the subgraph gets it in every representation."""
        entry = self.meta(type_name).fields.get(field)
        in_graph = entry.in_graph(graph) if entry else None
        if in_graph is None or not in_graph.external:
            return False
        return any(
            isinstance(node, FieldNode) and node.name.value == field
            for key in self.meta(type_name).keys(graph)
            if key.selection is not None
            for node in key.selection.selections
        )

    def child_provided(
        self, type_name: str, field: str, graph: str, provided: Provided | None
    ) -> Provided | None:
        """The `@provides` in force below `type_name.field` when `graph` resolves it."""
        if provided is not None:
            below = provided.get(field) or provided.get(f"... on {type_name}", {}).get(field)
            if below is not None and graph not in self.field_graphs(type_name, field):
                return below
        return self.provides(type_name, field, graph)

    def fields_local(
        self,
        type_name: str,
        selection: SelectionSetNode,
        graph: str,
        provided: Provided | None = None,
    ) -> bool:
        """Can `graph` return every field of a field set (a key) at this position?"""
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                inner = node.type_condition.name.value if node.type_condition else type_name
                if not self.fields_local(inner, node.selection_set, graph, provided):
                    return False
                continue
            assert isinstance(node, FieldNode)
            name = node.name.value
            if not self.is_local(type_name, name, graph, provided):
                return False
            if self.requires(type_name, name, graph) is not None:
                return False
            if node.selection_set is not None:
                child, _ = self.field_type(type_name, name)
                below = self.child_provided(type_name, name, graph, provided)
                if not self.fields_local(child, node.selection_set, graph, below):
                    return False
        return True

    def interface_object_owner(self, type_name: str, field: str) -> tuple[str, str] | None:
        """For an object type's field that only an interface object resolves: (interface,
        subgraph where that interface is an object and resolves the field)."""
        type_ = self.schema.get_type(type_name)
        for interface in getattr(type_, "interfaces", ()):
            if field not in interface.fields:
                continue
            for graph in self.field_graphs(interface.name, field):
                if self.is_interface_object(interface.name, graph):
                    return interface.name, graph
        return None

    def concrete_graphs(self, type_name: str) -> list[str]:
        """Subgraphs that know the implementations of an entity interface (it is a real
        interface there, with a resolvable key): they can tell the concrete `__typename`."""
        return [
            graph
            for graph in self.meta(type_name).graphs
            if not self.is_interface_object(type_name, graph) and self.entry_keys(type_name, graph)
        ]

    # --- key edges -----------------------------------------------------------------------

    def entry_keys(self, type_name: str, graph: str) -> tuple[Key, ...]:
        """Resolvable keys through which an entity fetch can enter `graph` at `type_name`."""
        return tuple(k for k in self.meta(type_name).keys(graph) if k.resolvable)

    def route(
        self,
        type_name: str,
        source: str,
        target: str,
        provided: Provided | None = None,
    ) -> tuple[Hop, ...] | None:
        """Fewest key jumps from `source` to `target` for an object at `type_name`, or None.

        `source == target` asks for a jump back into the same subgraph (for `@requires`).
        The first hop's key may use `provided` fields; later hops start from entity fetches.
        """
        cache_key = (type_name, source, target)
        if provided is None and cache_key in self._routes:
            return self._routes[cache_key]
        found = self._search_route(type_name, source, target, provided)
        if provided is None:
            self._routes[cache_key] = found
        return found

    def _search_route(
        self, type_name: str, source: str, target: str, provided: Provided | None
    ) -> tuple[Hop, ...] | None:
        graphs = sorted(self.meta(type_name).graphs, key=lambda g: self.subgraph_order[g])
        queue: deque[tuple[str, tuple[Hop, ...]]] = deque([(source, ())])
        seen = {source} if source != target else set()
        while queue:
            graph, hops = queue.popleft()
            for next_graph in graphs:
                if next_graph in seen and next_graph != target:
                    continue
                for key in self.entry_keys(type_name, next_graph):
                    assert key.selection is not None
                    given = provided if not hops else None
                    if not self.fields_local(type_name, key.selection, graph, given):
                        continue
                    path = (*hops, Hop(next_graph, key))
                    if next_graph == target:
                        return path
                    seen.add(next_graph)
                    queue.append((next_graph, path))
                    break
        return None


def unwrap(type_: GraphQLOutputType) -> tuple[str, int]:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return get_named_type(type_).name, depth


def provided_tree(selection: SelectionSetNode) -> Provided:
    tree: dict[str, Provided] = {}
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            name = node.type_condition.name.value if node.type_condition else ""
            tree[f"... on {name}"] = provided_tree(node.selection_set)
        elif isinstance(node, FieldNode):
            tree[node.name.value] = provided_tree(node.selection_set) if node.selection_set else {}
    return tree


def is_object(type_: GraphQLCompositeType) -> bool:
    return isinstance(type_, GraphQLObjectType)
