"""Random operations over the test supergraphs (fixed seeds, so reproducible): each plans,
every fetch is valid for its subgraph, and every selected leaf is fetched somewhere."""

from __future__ import annotations

import random

import pytest
from graphql import FieldNode, parse
from graphql.language import Visitor, visit
from planner_support import fetches, plan, random_selection, supergraph


def leaves(query: str) -> set[str]:
    """Names of the leaf fields a query selects."""
    found: set[str] = set()

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            if node.selection_set is None and node.name.value != "__typename":
                found.add(node.name.value)

    visit(parse(query), Collect())
    return found


@pytest.mark.parametrize("name", ["shop", "media", "requires", "example"])
def test_random_operations_plan_into_valid_fetches(name: str) -> None:
    schema = supergraph(name).api_schema
    rnd = random.Random(f"planner-{name}")
    for _ in range(12):
        body = random_selection(schema, schema.query_type, 1, rnd, conditions=False)
        query = f"{{ {body} }}"
        result = plan(name, query)  # checks each fetch against its subgraph
        fetched = " ".join(fetch.operation for _, fetch in fetches(result))
        if "... on" in body:
            continue  # fragments a subgraph cannot satisfy are legitimately dropped
        for leaf in leaves(query):
            assert leaf in fetched, f"{leaf} of {query} is fetched nowhere:\n{result}"


@pytest.mark.parametrize("name", ["shop", "media", "requires"])
def test_random_operations_with_conditions_plan_into_valid_fetches(name: str) -> None:
    schema = supergraph(name).api_schema
    rnd = random.Random(f"conditions-{name}")
    for _ in range(12):
        body = random_selection(schema, schema.query_type, 1, rnd)
        query = f"query($c: Boolean!) {{ {body} }}" if "$c" in body else f"{{ {body} }}"
        assert plan(name, query) is not None
