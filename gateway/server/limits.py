"""Limits on the shape of an operation: depth, aliases, root fields, and tokens.

Depth, aliases and root fields are measured through fragments, as the operation would run:
a fragment spread five times counts five times, so fragments cannot multiply a query past
the limits. Each fragment is measured once (memoized), so measuring is linear in the
document. Tokens are limited while parsing, before any AST is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
)
from graphql.language import Lexer, Source, TokenKind

from gateway.config import Limits
from gateway.server.errors import RequestErrorCode, coded_error


@dataclass(frozen=True, slots=True)
class Shape:
    """What the limits look at. `root_fields` counts fields at the top of the selection."""

    depth: int = 0
    aliases: int = 0
    root_fields: int = 0


def measure(
    selection_set: SelectionSetNode,
    fragment: Callable[[str], FragmentDefinitionNode | None],
) -> Shape:
    """The shape of a selection set, expanding fragments with `fragment(name)`.

    A fragment cycle (reported by graphql-core's `NoFragmentCycles`) counts as empty here.
    """
    memo: dict[str, Shape] = {}
    visiting: set[str] = set()

    def walk(selections: SelectionSetNode) -> Shape:
        depth = aliases = root_fields = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                inner = walk(selection.selection_set) if selection.selection_set else Shape()
                # Introspection counts as one level: graphql-core's MaxIntrospectionDepthRule
                # (one of its specified rules) bounds what is below it, and GraphiQL's
                # introspection query alone is 15 levels deep.
                is_introspection = selection.name.value.startswith("__")
                depth = max(depth, 1 if is_introspection else inner.depth + 1)
                aliases += inner.aliases + (1 if selection.alias else 0)
                root_fields += 1
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = walk(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                inner = spread(selection.name.value)
            else:  # pragma: no cover - graphql-core has no other selection kinds
                continue
            depth = max(depth, inner.depth)
            aliases += inner.aliases
            root_fields += inner.root_fields
        return Shape(depth, aliases, root_fields)

    def spread(name: str) -> Shape:
        if name in memo:
            return memo[name]
        definition = fragment(name)
        if definition is None or name in visiting:
            return Shape()
        visiting.add(name)
        memo[name] = walk(definition.selection_set)
        visiting.discard(name)
        return memo[name]

    return walk(selection_set)


def limits_rule(limits: Limits) -> type[ASTValidationRule]:
    """A validation rule class enforcing `limits` (graphql-core instantiates rules itself,
    so the limits are baked into a class; build it once per gateway so caches can key on it).
    """

    class OperationLimits(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.validation_context = context

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
            shape = measure(node.selection_set, self.validation_context.get_fragment)
            name = f"'{node.name.value}'" if node.name else "(anonymous)"
            for error in shape_errors(shape, limits, name, node):
                self.report_error(error)
            return self.SKIP

    return OperationLimits


def shape_errors(
    shape: Shape, limits: Limits, name: str, node: OperationDefinitionNode
) -> list[GraphQLError]:
    checks = (
        (shape.depth, limits.max_depth, RequestErrorCode.MAX_DEPTH_EXCEEDED, "depth",
         "Flatten the selection or split it into several operations."),
        (shape.aliases, limits.max_aliases, RequestErrorCode.MAX_ALIASES_EXCEEDED, "aliases",
         "Use fewer aliases, or variables and several requests."),
        (shape.root_fields, limits.max_root_fields, RequestErrorCode.MAX_ROOT_FIELDS_EXCEEDED,
         "root fields", "Split the operation into several requests."),
    )  # fmt: skip
    return [
        coded_error(
            code,
            f"Operation {name} has {what} {actual}, above the limit of {limit}. {advice}",
            node,
            limit=limit,
        )
        for actual, limit, code, what, advice in checks
        if actual > limit
    ]


def count_tokens(query: str, stop_after: int) -> int:
    """Lexical tokens in `query` (comments excluded), counting no further than `stop_after`.

    Used only after a parse failed, to tell "too many tokens" from a syntax error: lexing
    stops at the first token that cannot be read, so a syntax error early in a long
    document is reported as what it is.
    """
    lexer = Lexer(Source(query))
    count = 0
    try:
        while count < stop_after and lexer.advance().kind is not TokenKind.EOF:
            count += 1
    except GraphQLError:
        pass
    return count
