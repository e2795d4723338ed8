"""What the admin API's errors look like to a client: always a stable `extensions.code`.

A `PolicyError` keeps its code and extensions (BAD_USER_INPUT, CONFLICT with
`currentVersion`, NOT_FOUND, INVALID_POLICY with `problems`) and its full text, which names
each problem; an `AccessDenied` keeps its code (UNAUTHENTICATED, FORBIDDEN). GraphQL's own
errors get the codes clients know: GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
BAD_USER_INPUT (a variable that does not fit its type), OPERATION_RESOLUTION_FAILURE
(several operations and no `operationName`). Anything else is masked as
INTERNAL_SERVER_ERROR (details only in the log, see `AdminSchema.process_errors`).
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

from graphql import GraphQLError, OperationDefinitionNode
from strawberry.extensions import MaskErrors, SchemaExtension

from policies.admin.access import AccessDenied
from policies.errors import PolicyError

INTERNAL_ERROR_MESSAGE = "Internal server error."


class RequestErrorCode(StrEnum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def _expected(error: GraphQLError) -> PolicyError | AccessDenied | None:
    """The PolicyError or AccessDenied behind an error, if that is what it is."""
    cause = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause if isinstance(cause, PolicyError | AccessDenied) else None


def is_unexpected(error: GraphQLError) -> bool:
    """An exception from our code or a library, not an answer to the request."""
    if _expected(error) is not None:
        return False
    cause = error.original_error
    return cause is not None and not isinstance(cause, GraphQLError)


class RequireOperationName(SchemaExtension):
    """A document with several operations needs `operationName` (Strawberry would run the
    first one, which here could be the wrong write)."""

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        definitions = document.definitions if document is not None else ()
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        # `operation_name` falls back to the first operation's name; the name sent is private.
        sent = getattr(self.execution_context, "_provided_operation_name", None)
        if len(operations) > 1 and sent is None:
            raise GraphQLError(
                "The document has several operations: name the one to run in operationName.",
                extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
            )
        yield


class AdminErrors(MaskErrors):
    """Gives every error a code; masks the unexpected ones."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message=INTERNAL_ERROR_MESSAGE)
        self._phase = RequestErrorCode.GRAPHQL_PARSE_FAILED

    def on_validate(self) -> Iterator[None]:
        self._phase = RequestErrorCode.GRAPHQL_VALIDATION_FAILED
        yield

    def on_execute(self) -> Iterator[None]:
        # Errors of execution without a path are about the operation's variables.
        self._phase = RequestErrorCode.BAD_USER_INPUT
        yield

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._shown(error) for error in errors]

    def _shown(self, error: GraphQLError) -> GraphQLError:
        expected = _expected(error)
        if expected is not None:
            return GraphQLError(
                str(expected), nodes=error.nodes, path=error.path, extensions=expected.extensions
            )
        unexpected = is_unexpected(error)
        if not unexpected and (error.extensions or {}).get("code"):
            return error
        if unexpected or error.path is not None:
            return GraphQLError(
                INTERNAL_ERROR_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": str(RequestErrorCode.INTERNAL_SERVER_ERROR)},
            )
        return GraphQLError(
            error.message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            extensions={**(error.extensions or {}), "code": str(self._phase)},
        )
