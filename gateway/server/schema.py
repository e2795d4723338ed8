"""The Strawberry seam: a `strawberry.Schema` that serves a schema built at run time.

Strawberry builds its graphql-core schema from Python types. The gateway's schema comes from
the supergraph instead, so `GatewaySchema` is built with a placeholder Query and then
swaps in the API schema (`self._schema`, a private attribute: Strawberry is pinned, and
`tests/server/test_schema_seam.py` pins this seam). Resolution never reaches graphql-core's
resolvers: the `RunPipeline` extension sets the result before execution.

`GatewaySchema.execute` also turns Strawberry's request exceptions (no query, unknown
operation, operation type not allowed on this transport) into coded request errors, so
every caller gets a GraphQL response and never an exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError, GraphQLSchema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from gateway.server.errors import RequestErrorCode, coded_error
from gateway.server.extensions import gateway_extensions, is_safe_to_show
from gateway.server.operations import OperationPipeline, unknown_operation_error

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

    from gateway.subscriptions.service import SubscriptionService
    from gateway.subscriptions.subscriber import DeliverySink

logger = logging.getLogger(__name__)


@strawberry.type
class _Placeholder:
    """Satisfies Strawberry's constructor; replaced by the API schema right after."""

    placeholder: bool = False


_NOT_ALLOWED = {
    OperationType.QUERY: "Queries are not allowed in this request.",
    OperationType.MUTATION: "Mutations must be sent with POST, not GET.",
    OperationType.SUBSCRIPTION: (
        "Subscriptions are not served over plain HTTP requests; "
        "use a subscription transport (WebSocket, SSE or multipart)."
    ),
}


class InFlight:
    """How many `execute` calls are running: a retired schema generation waits for none."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def idle(self) -> None:
        await self._idle.wait()


class GatewaySchema(strawberry.Schema):
    def __init__(
        self,
        api_schema: GraphQLSchema,
        api_sdl: str,
        pipeline: OperationPipeline,
    ) -> None:
        super().__init__(query=_Placeholder, extensions=gateway_extensions(pipeline))
        self._schema = api_schema
        self._api_sdl = api_sdl
        self.pipeline = pipeline
        # Serves subscriptions on every streaming transport (set by `Gateway`).
        self.subscriptions: SubscriptionService | None = None
        self.in_flight = InFlight()

    def as_str(self) -> str:
        return self._api_sdl

    __str__ = as_str

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        if query and operation_name is None and self.pipeline.needs_operation_name(query):
            return PreExecutionError(data=None, errors=[unknown_operation_error(None)])
        self.in_flight.enter()
        try:
            return await super().execute(
                query,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_name=operation_name,
                allowed_operation_types=allowed_operation_types,
                operation_extensions=operation_extensions,
            )
        except MissingQueryError:
            error = coded_error(
                RequestErrorCode.BAD_REQUEST,
                "The request has no GraphQL query: send the operation text in `query`.",
            )
        except CannotGetOperationTypeError as exc:
            error = unknown_operation_error(exc.operation_name)
        except InvalidOperationTypeError as exc:
            error = coded_error(
                RequestErrorCode.OPERATION_NOT_ALLOWED, _NOT_ALLOWED[exc.operation_type]
            )
        finally:
            self.in_flight.leave()
        return PreExecutionError(data=None, errors=[error])

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        sink: DeliverySink | None = None,
    ) -> StreamResult:
        """Subscriptions go to the `SubscriptionService` (graphql-core never runs them),
        with the transport's `sink` if it has one; anything else streams as Strawberry does."""
        from gateway.subscriptions.revocation import api_key_credential
        from gateway.subscriptions.transport import (
            credentials_expire_at,
            is_subscription,
            last_event_id,
            subscription_principal,
        )

        allowed = allowed_operation_types is None or (
            OperationType.SUBSCRIPTION in set(allowed_operation_types)
        )
        if (
            self.subscriptions is not None
            and query
            and allowed
            and is_subscription(self.pipeline, query, operation_name)
        ):
            return self.subscriptions.stream(
                query,
                variable_values,
                operation_name,
                last_event_id(operation_extensions, context_value),
                subscription_principal(context_value),
                credentials_expire_at(context_value),
                sink,
                credential=api_key_credential(context_value),
            )
        return await super().stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=allowed_operation_types,
        )

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        """Log what clients will not see; coded errors are the client's business."""
        for error in errors:
            if is_safe_to_show(error):
                logger.debug("request error: %s", error.message)
            else:
                logger.error("unexpected error: %s", error.message, exc_info=error.original_error)
