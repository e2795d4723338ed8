"""GraphQL errors in the client's terms.

Subgraph errors carry paths in the subgraph operation (`_entities/3/name`); the client needs
them at its own paths (`order/items/3/name`), without subgraph `locations`, and never
pointing below what its operation selected. Gateway-made errors (a subgraph that failed, a
value that breaks the schema) carry a stable `extensions.code`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

Path = tuple[str | int, ...]
GraphQLErrorDict = dict[str, Any]


class ErrorCode(StrEnum):
    UNKNOWN_OPERATION = "UNKNOWN_OPERATION"
    """The operation name is not in the document, or its kind has no root type."""
    SUBGRAPH_UNAVAILABLE = "SUBGRAPH_UNAVAILABLE"
    """The subgraph could not be reached (connection refused, reset, no URL configured)."""
    SUBGRAPH_TIMEOUT = "SUBGRAPH_TIMEOUT"
    """The subgraph did not answer within the per-subgraph timeout."""
    SUBGRAPH_BAD_RESPONSE = "SUBGRAPH_BAD_RESPONSE"
    """The subgraph answered, but not with a usable GraphQL response (HTTP error, not JSON,
    wrong shape, `_entities` of the wrong length)."""
    RESPONSE_VALIDATION_FAILED = "RESPONSE_VALIDATION_FAILED"
    """A value does not fit the API schema (null in a non-null field, unknown enum value,
    undeterminable runtime type)."""


def gateway_error(
    code: ErrorCode, message: str, path: Path | None = None, **extensions: Any
) -> GraphQLErrorDict:
    error: GraphQLErrorDict = {"message": message}
    if path:
        error["path"] = list(path)
    error["extensions"] = {"code": str(code), **extensions}
    return error


class SubgraphError(dict[str, Any]):
    """An error a subgraph wrote (not the gateway), serialized as the plain dict it is.

    The type is the mark: a subgraph knows nothing of the caller's view, so its words may
    quote what the view hides, and visibility enforcement replaces them for restricted
    callers (`gateway.enforcement.subgraph_errors`). `service` names the subgraph."""

    __slots__ = ("service",)

    def __init__(self, service: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service


def passthrough(error: Mapping[str, Any], service: str, path: Path | None) -> SubgraphError:
    """A subgraph's error as the client sees it: message and extensions kept, `locations`
    dropped, `path` replaced. The one place subgraph errors pass to clients; the result is
    marked as the subgraph's (`SubgraphError`), so visibility enforcement can mask it.
    (`service` is carried on the mark; it is not added to the error.)"""
    out = SubgraphError(service, message=str(error.get("message", "Subgraph error")))
    if path:
        out["path"] = list(path)
    extensions = error.get("extensions")
    if isinstance(extensions, Mapping) and extensions:
        out["extensions"] = dict(extensions)
    return out


def cut_before_list(path: Sequence[str | int]) -> Path:
    """A `Flatten` path up to its first "@" (where an error not tied to one entity goes)."""
    cut: list[str | int] = []
    for segment in path:
        if segment == "@":
            break
        cut.append(segment)
    return tuple(cut)


def subgraph_path(error: Mapping[str, Any]) -> Path | None:
    """The error's `path`, if it is a well-formed one."""
    path = error.get("path")
    if isinstance(path, list) and all(isinstance(s, str | int) for s in path):
        return tuple(path)
    return None


def trim_path(
    path: Path,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> Path:
    """`path` cut after its last step that the operation selects (list indices pass), so a
    subgraph error never points at a field the planner added or the client did not ask for."""
    sets: list[SelectionSetNode] = [selection_set]
    kept = 0
    for i, segment in enumerate(path):
        if isinstance(segment, int):
            kept = i + 1
            continue
        children: list[SelectionSetNode] = []
        found = False
        for selections in sets:
            found = _find_key(selections, segment, fragments, children) or found
        if not found:
            break
        sets = children
        kept = i + 1
    return path[:kept]


def _find_key(
    selection_set: SelectionSetNode,
    key: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    children: list[SelectionSetNode],
) -> bool:
    found = False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.alias.value if selection.alias else selection.name.value
            if name == key:
                found = True
                if selection.selection_set is not None:
                    children.append(selection.selection_set)
        elif isinstance(selection, InlineFragmentNode):
            found = _find_key(selection.selection_set, key, fragments, children) or found
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                found = _find_key(fragment.selection_set, key, fragments, children) or found
    return found
