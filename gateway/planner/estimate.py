"""Price a sub-tree before committing to a subgraph for it.

`Estimator.estimate` counts the extra fetches (key jumps, `@requires` fetches) needed to
resolve a selection set at (type, subgraph), taking the cheapest owner for each field that
is not local and counting each target subgraph once per level. The traversal uses it to
choose between subgraphs that could serve a field (shareable fields, several owners, root
fields): fewer fetches win, the current subgraph on ties.
"""

from __future__ import annotations

from gateway.planner.operation import OpFragment, OpSelection
from gateway.planner.query_graph import Provided, QueryGraph

UNREACHABLE = 10_000


class Estimator:
    """Prices planning `selections` at (type, subgraph) by the extra fetches it needs."""

    def __init__(self, graph: QueryGraph, root_types: frozenset[str]) -> None:
        self.graph = graph
        self.root_types = root_types
        self._memo: dict[tuple[str, str, tuple[OpSelection, ...]], int] = {}

    def estimate(
        self,
        type_name: str,
        subgraph: str,
        selections: tuple[OpSelection, ...],
        provided: Provided | None,
    ) -> int:
        key = (type_name, subgraph, selections)
        if provided is None and key in self._memo:
            return self._memo[key]
        cost = self._estimate(type_name, subgraph, selections, provided)
        if provided is None:
            self._memo[key] = cost
        return cost

    def _estimate(
        self,
        type_name: str,
        subgraph: str,
        selections: tuple[OpSelection, ...],
        provided: Provided | None,
    ) -> int:
        graph = self.graph
        cost = 0
        targets: set[str] = set()
        for selection in selections:
            if isinstance(selection, OpFragment):
                cost += self.estimate(
                    selection.type_condition, subgraph, selection.selections, None
                )
                continue
            name = selection.name
            if name == "__typename":
                continue
            owners = graph.field_graphs(type_name, name)
            here = graph.is_local(type_name, name, subgraph, provided) and (
                subgraph not in owners or graph.requires(type_name, name, subgraph) is None
            )
            if here:
                if selection.selections:
                    child, _ = graph.field_type(type_name, name)
                    below = graph.child_provided(type_name, name, subgraph, provided)
                    cost += self.estimate(child, subgraph, selection.selections, below)
                continue
            if graph.is_abstract(type_name):
                cost += 1
                continue
            best: tuple[int, int, str] | None = None
            for owner in owners:
                if type_name in self.root_types:
                    hops: int | None = 1
                else:
                    route = graph.route(type_name, subgraph, owner, provided)
                    hops = None if route is None else len(route)
                if hops is None:
                    continue
                total = 0 if owner in targets else hops
                if graph.requires(type_name, name, owner) is not None:
                    total += 1
                if selection.selections:
                    child, _ = graph.field_type(type_name, name)
                    below = graph.provides(type_name, name, owner)
                    total += self.estimate(child, owner, selection.selections, below)
                candidate = (total, graph.subgraph_order[owner], owner)
                if best is None or candidate < best:
                    best = candidate
            if best is None and not owners and graph.interface_object_owner(type_name, name):
                cost += 1  # a jump to the interface object (priced roughly)
            elif best is None:
                cost += UNREACHABLE
            else:
                targets.add(best[2])
                cost += best[0]
        return cost
