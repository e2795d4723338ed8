"""Helpers for the planner tests: load the checked-in supergraphs, plan, compare snapshots.

Snapshots live in tests/planner/snapshots/NAME.txt. To (re)write them after a deliberate
change, run with PLANNER_UPDATE_SNAPSHOTS=1 and review the diff (tests/planner/apollo_plans.mjs
prints Apollo's plan for comparison).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    is_leaf_type,
    parse,
    validate,
)
from graphql.language import Visitor, visit

from gateway.planner import QueryPlanner
from gateway.planner.plan import Fetch, Flatten, PlanNode, QueryPlan
from gateway.supergraph import Supergraph

HERE = Path(__file__).parent
UPDATE = os.environ.get("PLANNER_UPDATE_SNAPSHOTS") == "1"


# Supergraphs kept elsewhere in the repository, read from there rather than copied.
ELSEWHERE = {"bench": HERE.parents[1] / "bench" / "supergraph.graphql"}


def supergraph_path(name: str) -> Path:
    return ELSEWHERE.get(name, HERE / "supergraphs" / f"{name}.graphql")


@cache
def supergraph(name: str) -> Supergraph:
    return Supergraph.from_sdl(supergraph_path(name).read_text())


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
        document = parse(fetch.operation)
        assert not _has_empty_selection_set(document), f"empty selection: {fetch.operation}"
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


def _has_empty_selection_set(document: DocumentNode) -> bool:
    empty = False

    class Find(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: object) -> None:
            nonlocal empty
            empty = empty or not node.selections

    visit(document, Find())
    return empty


def literal(type_: GraphQLInputType) -> str:
    """Some valid literal of an input type."""
    if isinstance(type_, GraphQLNonNull):
        return literal(type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{literal(type_.of_type)}]"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        required = [
            f"{name}: {literal(f.type)}"
            for name, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull)
        ]
        return "{" + ", ".join(required) + "}"
    return {"Int": "1", "Float": "1.5", "Boolean": "true"}.get(type_.name, '"x"')


def required_arguments(args: dict[str, GraphQLArgument]) -> str:
    """The argument list giving each required argument a literal."""
    required = [
        f"{name}: {literal(a.type)}"
        for name, a in args.items()
        if isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
    ]
    return f"({', '.join(required)})" if required else ""


def random_selection(
    schema: GraphQLSchema,
    type_: object,
    depth: int,
    rnd: random.Random,
    conditions: bool = True,
) -> str:
    """A random valid selection set body below `type_` (aliases; with `conditions`, also
    `@include`/`@skip` on `$c`)."""
    if isinstance(type_, GraphQLUnionType):
        members = rnd.sample(type_.types, k=rnd.randint(1, len(type_.types)))
        inner = [
            f"... on {m.name} {{ {random_selection(schema, m, depth, rnd, conditions)} }}"
            for m in members
        ]
        return " ".join(["__typename", *inner])
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    parts = []
    fields = list(type_.fields.items())
    for name, field in rnd.sample(fields, k=min(len(fields), rnd.randint(1, 4))):
        child = get_named_type(field.type)
        head = name + required_arguments(field.args)
        if rnd.random() < 0.15:
            head = f"a{rnd.randint(0, 9)}_{name}: {head}"
        if conditions and rnd.random() < 0.15:
            head += rnd.choice([" @include(if: $c)", " @skip(if: $c)"])
        if is_leaf_type(child):
            parts.append(head)
        elif depth < 4 and child is not schema.query_type:
            parts.append(
                f"{head} {{ {random_selection(schema, child, depth + 1, rnd, conditions)} }}"
            )
    if isinstance(type_, GraphQLInterfaceType) and rnd.random() < 0.5:
        member = rnd.choice(schema.get_possible_types(type_))
        parts.append(
            f"... on {member.name} {{ {random_selection(schema, member, depth, rnd, conditions)} }}"
        )
    return " ".join(parts) or "__typename"
