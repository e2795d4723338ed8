"""Helpers for the planner tests: load the checked-in supergraphs, plan, compare snapshots.

Snapshots live in tests/planner/snapshots/NAME.txt. To (re)write them after a deliberate
change, run with PLANNER_UPDATE_SNAPSHOTS=1 and review the diff (tests/planner/apollo_plans.mjs
prints Apollo's plan for comparison).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from graphql import OperationDefinitionNode, parse, validate

from gateway.planner import QueryPlanner
from gateway.planner.plan import Fetch, Flatten, PlanNode, QueryPlan
from gateway.supergraph import Supergraph

HERE = Path(__file__).parent
UPDATE = os.environ.get("PLANNER_UPDATE_SNAPSHOTS") == "1"


@cache
def supergraph(name: str) -> Supergraph:
    return Supergraph.from_sdl((HERE / "supergraphs" / f"{name}.graphql").read_text())


def planner(name: str) -> QueryPlanner:
    return QueryPlanner(supergraph(name))


def plan(
    name: str, query: str, operation_name: str | None = None, labels: frozenset[str] = frozenset()
) -> QueryPlan:
    document = parse(query)
    errors = validate(supergraph(name).api_schema, document)
    assert not errors, errors
    result = planner(name).plan(document, operation_name, override_labels=labels)
    assert_fetches_valid(name, result)
    return result


def assert_fetches_valid(name: str, plan_: QueryPlan) -> None:
    """Every fetch is a valid operation for its subgraph's schema and declares exactly the
    variables it lists in `variable_usages` (plus `$representations`)."""
    for _, fetch in fetches(plan_):
        assert "{  }" not in fetch.operation, f"empty selection set: {fetch.operation}"
        document = parse(fetch.operation)
        errors = validate(supergraph(name).subgraph_schema(fetch.service), document)
        assert not errors, f"invalid fetch for {fetch.service}: {fetch.operation}\n{errors}"
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        declared = [v.variable.name.value for v in operation.variable_definitions or ()]
        expected = (["representations"] if fetch.requires else []) + list(fetch.variable_usages)
        assert declared == expected, (declared, expected)


def assert_snapshot(snapshot: str, plan_: QueryPlan) -> None:
    path = HERE / "snapshots" / f"{snapshot}.txt"
    text = str(plan_) + "\n"
    if UPDATE or not path.exists():
        path.write_text(text)
        if not UPDATE:
            raise AssertionError(f"snapshot {path.name} was missing: written, review it")
    assert text == path.read_text(), f"plan differs from snapshot {path.name}:\n{text}"


def fetches(node: PlanNode | QueryPlan | None) -> Iterator[tuple[tuple[str, ...], Fetch]]:
    """Every fetch of a plan with its Flatten path, in plan order."""
    if isinstance(node, QueryPlan):
        node = node.node
    if node is None:
        return
    if isinstance(node, Fetch):
        yield (), node
    elif isinstance(node, Flatten):
        yield node.path, node.node
    elif hasattr(node, "nodes"):
        for child in node.nodes:
            yield from fetches(child)
    else:  # Condition
        yield from fetches(node.if_clause)
        yield from fetches(node.else_clause)


def services(plan_: QueryPlan) -> list[str]:
    return [fetch.service for _, fetch in fetches(plan_)]
