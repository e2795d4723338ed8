"""Every error a subgraph returns carries a stable `extensions.code`.

- A `DomainError` keeps its message and its code (`NOT_FOUND`, `CONFLICT`, ...).
- Request errors get GraphQL-standard codes: `GRAPHQL_PARSE_FAILED`,
  `GRAPHQL_VALIDATION_FAILED`, and `BAD_USER_INPUT` for values of the wrong type.
- Anything unexpected is masked as `INTERNAL_SERVER_ERROR`: its message and stack stay in
  the server log (`Schema.process_errors` sees the original first), never in the response.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import DomainError

INTERNAL = "INTERNAL_SERVER_ERROR"
INTERNAL_MESSAGE = "Internal server error; the subgraph logged the details."

# graphql-core's wording for a value that does not fit its type (literal or variable).
_BAD_VALUE_MARKERS = ("cannot represent", "Expected value of type", "got invalid value")


def error_code(error: GraphQLError) -> str:
    """The code for an error that does not carry one."""
    if error.path is None and error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"  # a variable's value does not fit its type
    if error.path is None and error.original_error is None:
        if error.message.startswith("Syntax Error"):
            return "GRAPHQL_PARSE_FAILED"
        if any(marker in error.message for marker in _BAD_VALUE_MARKERS):
            return "BAD_USER_INPUT"
        return "GRAPHQL_VALIDATION_FAILED"
    return INTERNAL


def with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = original.extensions
        message = original.message
    elif error.extensions and "code" in error.extensions:
        return error
    else:
        code = error_code(error)
        extensions = {**(error.extensions or {}), "code": code}
        masked = code == INTERNAL and original is not None
        message = INTERNAL_MESSAGE if masked else error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Rewrites the operation's errors as described above, after they were logged."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [with_code(error) for error in errors]
