"""Emit plan nodes from an optimized fetch graph.

Groups become `Fetch` nodes (wrapped in `Flatten` below the root, and in `Condition` when
everything in them hangs on a `@skip`/`@include` variable). A group's children that wait
only for it run right after it, in parallel; a child that waits for several groups runs in
a later stage, once all of them are done.
"""

from __future__ import annotations

import re
from typing import Literal

from gateway.planner.errors import PlanningError
from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.operation import Cond, NormalizedOperation
from gateway.planner.plan import Condition, Fetch, Flatten, Parallel, PlanNode, Sequence


def build_node(fetches: FetchGraph, operation: NormalizedOperation) -> PlanNode | None:
    """The plan node for all groups of `fetches` (already optimized): stages in sequence,
    each stage the groups whose parents are all done, in parallel."""
    done: set[int] = set()
    stages: list[PlanNode] = []
    while True:
        ready = [
            g for g in fetches.groups if g.id not in done and all(p.id in done for p in g.parents)
        ]
        if not ready:
            break
        stages.append(_parallel([_branch(fetches, g, operation, done, frozenset()) for g in ready]))
    if len(done) != len(fetches.groups):
        raise PlanningError("internal: the fetch graph has a cycle")
    return _sequence(stages)


def _branch(
    fetches: FetchGraph,
    group: FetchGroup,
    operation: NormalizedOperation,
    done: set[int],
    applied: frozenset[Cond],
) -> PlanNode:
    """The group's fetch, then the children that wait only for it (children that wait
    for several groups run in a later stage). The group's conditions wrap the whole branch:
    its children only have data to work on when it ran."""
    done.add(group.id)
    conditions = (group.conditions or frozenset()) - applied
    inner = applied | conditions
    node = fetch_node(group, operation, inner)
    own: list[PlanNode] = []
    for child in fetches.children(group):
        if child.parents == {group}:
            own.append(_branch(fetches, child, operation, done, inner))
    if own:
        node = _sequence([node, _parallel(own)]) or node
    return _wrap(node, conditions)


def _wrap(node: PlanNode, conditions: frozenset[Cond]) -> PlanNode:
    for cond in sorted(conditions, reverse=True):
        if cond.passes_if:
            node = Condition(cond.variable, node, None)
        else:
            node = Condition(cond.variable, None, node)
    return node


def fetch_node(
    group: FetchGroup, operation: NormalizedOperation, applied: frozenset[Cond]
) -> PlanNode:
    """The `Fetch` for one group (in a `Flatten` below the root). `applied` are the
    conditions enclosing `Condition` nodes already check."""
    body = group.selection.print(applied)
    # Declare the variables the text uses (not those of conditions the plan applies).
    variables = tuple(
        v
        for v in operation.variable_definitions
        if v in set(group.selection.variables()) and re.search(rf"\${v}\b", body)
    )
    definitions = [operation.variable_definitions[v] for v in variables]
    kind: Literal["query", "mutation"] = "query"
    if group.is_entity:
        definitions.insert(0, "$representations: [_Any!]!")
        text = (
            f"query({', '.join(definitions)}) "
            f"{{ _entities(representations: $representations) {body} }}"
        )
    else:
        if group.root_type == operation.root_type and operation.kind == "mutation":
            kind = "mutation"
        head = f"{kind}({', '.join(definitions)}) " if definitions else ""
        if not head and kind == "mutation":
            head = "mutation "
        text = head + body
    fetch = Fetch(
        service=group.subgraph,
        operation=text,
        operation_kind=kind,
        variable_usages=variables,
        requires=group.inputs.to_selections() if group.is_entity else (),
        input_rewrites=tuple(group.input_rewrites),
    )
    return Flatten(group.path, fetch) if group.path or group.is_entity else fetch


def _parallel(nodes: list[PlanNode]) -> PlanNode:
    return nodes[0] if len(nodes) == 1 else Parallel(tuple(nodes))


def _sequence(nodes: list[PlanNode]) -> PlanNode | None:
    if not nodes:
        return None
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, Sequence) else (node,))
    return flat[0] if len(flat) == 1 else Sequence(tuple(flat))
