"""Request error codes and the GraphQL errors that carry them.

A code is the stable part of an error: clients branch on `extensions.code`, never on the
message. The table of codes and HTTP statuses is in the `gateway.server` docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from graphql import GraphQLError, Node


class RequestErrorCode(StrEnum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    BAD_REQUEST = "BAD_REQUEST"
    OPERATION_RESOLUTION_FAILURE = "OPERATION_RESOLUTION_FAILURE"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    OPERATION_NOT_ALLOWED = "OPERATION_NOT_ALLOWED"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
    BODY_TOO_LARGE = "BODY_TOO_LARGE"
    MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
    MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
    MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
    MAX_ROOT_FIELDS_EXCEEDED = "MAX_ROOT_FIELDS_EXCEEDED"
    QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def coded_error(
    code: RequestErrorCode,
    message: str,
    nodes: Node | list[Node] | None = None,
    **details: Any,
) -> GraphQLError:
    """A GraphQL error with `extensions.code` (and any extra details beside it)."""
    return GraphQLError(message, nodes=nodes, extensions={"code": str(code), **details})


def error_code(error: GraphQLError) -> str | None:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


def with_code(error: GraphQLError, code: RequestErrorCode) -> GraphQLError:
    """`error` itself if it already has a code, else a copy that carries `code`.

    A copy, because errors can sit in a shared cache and must not change under readers.
    """
    if error_code(error) is not None:
        return error
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": str(code)},
    )


class ResponseError(GraphQLError):
    """An error the executor already shaped as response JSON (path, code, message as the
    client must see them). It is passed through as is: the executor decided what is safe."""

    def __init__(self, formatted: Mapping[str, Any]) -> None:
        super().__init__(
            str(formatted.get("message", "")),
            extensions=dict(formatted.get("extensions") or {}),
        )
        self._formatted = dict(formatted)

    @property
    def formatted(self) -> dict[str, Any]:  # type: ignore[override]
        return self._formatted
