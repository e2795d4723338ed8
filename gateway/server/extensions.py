"""The Strawberry extensions that put the gateway's pipeline into Strawberry's lifecycle.

`RunPipeline` replaces Strawberry's parse, validate and execute steps with the pipeline's
(`gateway.server.operations`): it sets `graphql_document` while parsing,
`pre_execution_errors` while validating, and `result` before execution, which makes
Strawberry skip graphql-core's own execution. `MaskUnexpectedErrors` hides anything that
is not one of our coded errors. Both are passed to the schema as factories, so every
request gets fresh instances.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.server.errors import RequestErrorCode, ResponseError, error_code
from gateway.server.operations import OperationPipeline, PreparedOperation
from policies.principal import ANONYMOUS, Principal

INTERNAL_ERROR_MESSAGE = "Internal server error."


class RunPipeline(SchemaExtension):
    def __init__(self, pipeline: OperationPipeline) -> None:
        self.pipeline = pipeline
        self.prepared: PreparedOperation | None = None

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        assert query is not None  # Strawberry refuses a missing query before parsing
        self.prepared = self.pipeline.prepare(query)
        if self.prepared.document is None:
            # Raised, as a parse failure would be: Strawberry answers with it as a
            # pre-execution error. A fresh copy, since the cached one is shared.
            raise _copy(self.prepared.errors[0])
        self.execution_context.graphql_document = self.prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        assert self.prepared is not None
        errors = list(self.prepared.errors)
        if errors and self.prepared.document is not None:
            # Messages as the caller's own schema gives them: no hidden name suggested.
            principal = context_principal(self.execution_context.context)
            errors = self.pipeline.caller_errors(self.prepared.document, errors, principal)
        # Non-None stops Strawberry from validating again.
        self.execution_context.pre_execution_errors = errors
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        # Subscriptions (issue 6) will be served by `GatewaySchema.subscribe`; until then
        # the transports refuse them before they get here.
        if context.operation_type is not OperationType.SUBSCRIPTION:
            assert context.graphql_document is not None
            context.result = await self.pipeline.execute(
                context.graphql_document,
                context.operation_name,
                context.variables,
                context_principal(context.context),
            )
        yield


def context_principal(context: object) -> Principal:
    """The principal the transport authenticated (`context["principal"]`), else anonymous."""
    principal = context.get("principal") if isinstance(context, dict) else None
    return principal if isinstance(principal, Principal) else ANONYMOUS


def is_safe_to_show(error: GraphQLError) -> bool:
    """Our coded errors, and the executor's already-filtered errors, reach the client;
    anything else (an exception's text, a traceback's cause) is masked. A coded error may
    wrap a graphql-core error (variable coercion does), never another exception."""
    if isinstance(error, ResponseError):
        return True
    cause = error.original_error
    return error_code(error) is not None and (cause is None or isinstance(cause, GraphQLError))


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda error: not is_safe_to_show(error),
            error_message=INTERNAL_ERROR_MESSAGE,
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            INTERNAL_ERROR_MESSAGE,
            path=error.path,
            extensions={"code": str(RequestErrorCode.INTERNAL_SERVER_ERROR)},
        )


def gateway_extensions(
    pipeline: OperationPipeline,
) -> list[Callable[[], SchemaExtension]]:
    return [lambda: RunPipeline(pipeline), MaskUnexpectedErrors]


def _copy(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        error.message,
        source=error.source,
        positions=error.positions,
        extensions=dict(error.extensions or {}),
    )
