"""What the admin API's errors look like to a client.

A `PolicyError` keeps its code and extensions (BAD_USER_INPUT, CONFLICT with
`currentVersion`, NOT_FOUND, INVALID_POLICY with `problems`) and its full text, which names
each problem. GraphQL's own parse and validation errors pass as they are. Anything else is
masked as INTERNAL_SERVER_ERROR (details only in the log).
"""

from __future__ import annotations

import logging

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from policies.admin.access import AccessDenied
from policies.errors import PolicyError

log = logging.getLogger(__name__)
INTERNAL_ERROR_MESSAGE = "Internal server error."


def _expected(error: GraphQLError) -> Exception | None:
    """The PolicyError or AccessDenied behind an error, if that is what it is."""
    cause = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause if isinstance(cause, PolicyError | AccessDenied) else None


def is_unexpected(error: GraphQLError) -> bool:
    if _expected(error) is not None:
        return False
    cause = error.original_error
    return cause is not None and not isinstance(cause, GraphQLError)


class AdminErrors(MaskErrors):
    """Coded errors as they are, everything else masked (and logged)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=INTERNAL_ERROR_MESSAGE)

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._shown(error) for error in errors]

    def _shown(self, error: GraphQLError) -> GraphQLError:
        expected = _expected(error)
        if isinstance(expected, PolicyError | AccessDenied):
            return GraphQLError(
                str(expected),
                nodes=error.nodes,
                path=error.path,
                extensions=expected.extensions,
            )
        if is_unexpected(error):
            log.error("admin API error at %s", error.path, exc_info=error.original_error)
            return GraphQLError(
                INTERNAL_ERROR_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INTERNAL_SERVER_ERROR"},
            )
        return error
