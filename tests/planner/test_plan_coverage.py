"""Every field path of each test supergraph (to a small depth) plans, each fetch is a valid
operation for its subgraph, and the requested leaf is fetched somewhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from planner_support import fetches, plan, required_arguments, supergraph

SUPERGRAPHS = ["example", "shop", "media", "requires", "roots", "override"]
MAX_DEPTH = 3


def _paths(schema: GraphQLSchema, type_: object, depth: int) -> Iterator[tuple[str, str]]:
    """(selection text, leaf field name) for every path below `type_`."""
    if depth > MAX_DEPTH:
        return
    if isinstance(type_, GraphQLUnionType):
        for member in type_.types:
            for text, leaf in _paths(schema, member, depth):
                yield f"__typename ... on {member.name} {{ {text} }}", leaf
        return
    assert isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    if isinstance(type_, GraphQLInterfaceType):
        for member in schema.get_possible_types(type_):
            for name, field in member.fields.items():
                if name not in type_.fields and is_leaf_type(get_named_type(field.type)):
                    yield f"... on {member.name} {{ {name} }}", name
    for name, field in type_.fields.items():
        head = name + required_arguments(field.args)
        child = get_named_type(field.type)
        if is_leaf_type(child):
            yield head, name
        elif child is not schema.query_type or depth < 2:
            for text, leaf in _paths(schema, child, depth + 1):
                yield f"{head} {{ {text} }}", leaf


def _queries(name: str) -> list[tuple[str, str]]:
    schema = supergraph(name).api_schema
    queries = [(f"{{ {text} }}", leaf) for text, leaf in _paths(schema, schema.query_type, 1)]
    if schema.mutation_type is not None:
        queries += [
            (f"mutation {{ {text} }}", leaf)
            for text, leaf in _paths(schema, schema.mutation_type, 1)
        ]
    return queries


@pytest.mark.parametrize("name", SUPERGRAPHS)
def test_every_field_path_plans_into_valid_fetches(name: str) -> None:
    queries = _queries(name)
    assert len(queries) >= 3
    for query, leaf in queries:
        result = plan(name, query)  # validates each fetch against its subgraph schema
        operations = " ".join(fetch.operation for _, fetch in fetches(result))
        # A type condition a subgraph can never satisfy is legitimately dropped there.
        if "... on" not in query:
            assert leaf in operations, f"{query}: {leaf} is fetched nowhere\n{result}"
