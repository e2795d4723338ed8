"""Answer `__schema` and `__type` at the gateway, from the API schema.

Plans leave introspection out: it describes the gateway's own schema, not any subgraph's.
The root introspection fields of the operation run through graphql-core's executor against
the API schema; the result is copied into the response as is (it is already shaped).
"""

from __future__ import annotations

from collections.abc import Mapping
from inspect import isawaitable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
)

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})


def introspection_fields(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    """The root `__schema`/`__type` fields of a query (through root-level fragments)."""
    if operation.operation != OperationType.QUERY:
        return []
    found: list[FieldNode] = []
    _scan(operation.selection_set, fragments, found)
    return found


def _scan(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    found: list[FieldNode],
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOT_FIELDS:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _scan(selection.selection_set, fragments, found)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                _scan(fragment.selection_set, fragments, found)


def answer_introspection(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fields: list[FieldNode],
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run just `fields` against `schema`: (data by response key, formatted errors)."""
    document = DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=OperationType.QUERY,
                name=operation.name,
                variable_definitions=operation.variable_definitions,
                directives=(),
                selection_set=SelectionSetNode(selections=tuple(fields)),
            ),
            *fragments.values(),
        )
    )
    result = execute(schema, document, variable_values=dict(variables))
    if isawaitable(result):  # pragma: no cover - introspection resolvers are synchronous
        raise TypeError("introspection unexpectedly ran asynchronously")
    errors = [error.formatted for error in result.errors or ()]
    return dict(result.data or {}), [dict(e) for e in errors]
