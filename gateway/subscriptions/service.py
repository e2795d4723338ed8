"""Subscriptions of one gateway process: from a subscribe request to a stream of results.

`GatewaySchema.stream` hands every subscription here, whatever the transport
(graphql-transport-ws, SSE, multipart), so all of them share the same checks, fan-out and
resume. The stream's first result is a `PreExecutionError` when the request cannot start
(bad document, bad variables, bad or expired last event id, limits); afterwards each result
is one event (`extensions.eventId`), and a last result with an error says why the gateway
ended it (`SLOW_CONSUMER`, `SHUTTING_DOWN`, `EVENTS_EXPIRED`, `SCHEMA_CHANGED`: after a live
reload, `rebase`, its operation no longer fits the graph; `CREDENTIALS_REVOKED`: its API
key was revoked, `revoke_credential`).

    service = SubscriptionService(events, planner, executor, serving_schema)
    async for result in service.stream(query, variables, operation_name, last_event_id, principal):
        ...
    await service.aclose()   # ends every subscription with SHUTTING_DOWN
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    get_variable_values,
    validate,
)
from graphql.execution.values import get_argument_values
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from gateway.enforcement import Visibility
from gateway.executor import Executor
from gateway.planner import QueryPlanner
from gateway.planner.errors import PlanningError
from gateway.server.errors import RequestErrorCode, ResponseError, coded_error, with_code
from gateway.server.operations import OperationPipeline, planning_error
from gateway.subscriptions.enrich import Enricher, LiveOperation, operation_key
from gateway.subscriptions.fanout import FanOut
from gateway.subscriptions.limits import LimitExceeded, PrincipalCounter, SubscriptionLimits
from gateway.subscriptions.policy import EventVisibility
from gateway.subscriptions.resume import deliveries
from gateway.subscriptions.schema import LiveField, live_fields
from gateway.subscriptions.subscriber import Delivery, DeliverySink, EndCode, Subscriber
from policies.principal import Principal
from resolvers.events import stream_name
from resolvers.stream import EventsExpired, EventStream, InvalidEventId, StreamUnavailable

logger = logging.getLogger(__name__)

SCHEMA_CHANGED_MESSAGE = (
    "The graph changed and this subscription no longer fits it. Check the schema, then "
    "subscribe again (with extensions.lastEventId set to the last eventId you received, "
    "to continue without missing events)."
)
SHUTDOWN_MESSAGE = (
    "The gateway is shutting down. Resubscribe (to any gateway) with extensions.lastEventId "
    "set to the last eventId you received, to continue without missing events."
)
REVOKED_MESSAGE = (
    "The API key this subscription was opened with has been revoked. Reconnect with a valid "
    "credential and resubscribe with extensions.lastEventId set to the last eventId you "
    "received, to continue without missing events."
)


class SubscriptionService:
    def __init__(
        self,
        events: EventStream,
        pipeline: OperationPipeline,
        planner: QueryPlanner,
        executor: Executor,
        schema: GraphQLSchema,
        *,
        visibility: Visibility | None = None,
        limits: SubscriptionLimits | None = None,
    ) -> None:
        self.events = events
        self.pipeline = pipeline
        self.schema = schema
        self.visibility = EventVisibility(visibility)
        self.limits = limits or SubscriptionLimits()
        self.enricher = Enricher(planner, executor, schema, self.visibility)
        self.fields = {field.name: field for field in live_fields(schema)}
        self.fanouts: dict[str, FanOut] = {}
        self.principals = PrincipalCounter(self.limits.max_per_principal)
        self.closing = False
        self.revision = 0  # schema generations served so far, minus one (`rebase`)
        self.revoked_credentials: set[str] = set()  # API key ids (`revoke_credential`)

    def fanout(self, field: LiveField) -> FanOut:
        found = self.fanouts.get(field.name)
        if found is None:
            found = self.fanouts[field.name] = FanOut(
                self.events,
                stream_name(field.entity_type),
                field,
                self.enricher,
                self.visibility,
            )
        return found

    @property
    def subscriber_count(self) -> int:
        return sum(len(f.subscribers) for f in self.fanouts.values())

    def stream(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        last_event_id: Any,
        principal: Principal,
        expires_at: float | None = None,
        sink: DeliverySink | None = None,
        credential: str | None = None,  # the API key id: its revocation ends it
    ) -> AsyncGenerator[ExecutionResult, None]:
        """The results of one subscription (see the module docstring). At `expires_at`
        (epoch seconds: the credential's expiry) it ends with CREDENTIALS_EXPIRED. With a
        `sink`, live events go to it straight from the fan-out, not through the results."""
        return self._stream(
            query, variables, operation_name, last_event_id, principal, expires_at, sink, credential
        )

    async def _stream(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        last_event_id: Any,
        principal: Principal,
        expires_at: float | None,
        sink: DeliverySink | None,
        credential: str | None,
    ) -> AsyncGenerator[ExecutionResult, None]:
        try:
            operation = self._operation(query, variables, operation_name)
            if last_event_id is not None and not isinstance(last_event_id, str):
                raise _refusal(
                    RequestErrorCode.BAD_USER_INPUT, "extensions.lastEventId must be a string."
                )
            if self.closing:
                raise _refusal(EndCode.SHUTTING_DOWN, SHUTDOWN_MESSAGE)
            if credential is not None and credential in self.revoked_credentials:
                raise _refusal(EndCode.CREDENTIALS_REVOKED, REVOKED_MESSAGE)
            bucket = self.principals.acquire(principal)
        except _Refused as refused:
            yield PreExecutionError(data=None, errors=refused.errors)
            return
        except LimitExceeded as exc:
            yield PreExecutionError(data=None, errors=[_error(exc.code, str(exc))])
            return
        revision = self.revision
        fanout = self.fanout(operation.field)
        subscriber = Subscriber(
            operation,
            principal,
            self.limits.max_queue,
            expires_at,
            sink=sink,
            credential=credential,
        )
        try:
            subscriber.watch_expiry()
            await fanout.attach(subscriber)
            if revision != self.revision and not self._still_fits(operation):
                subscriber.end(EndCode.SCHEMA_CHANGED, SCHEMA_CHANGED_MESSAGE)
            if credential is not None and credential in self.revoked_credentials:
                subscriber.end(EndCode.CREDENTIALS_REVOKED, REVOKED_MESSAGE)  # meanwhile
            first = True
            source = deliveries(self.events, fanout, subscriber, last_event_id)
            try:
                async for item in source:
                    first = False
                    if isinstance(item, Delivery):
                        yield _result(item)
                    else:
                        yield ExecutionResult(data=None, errors=[ResponseError(item.error())])
                        return
            except (EventsExpired, InvalidEventId, StreamUnavailable) as exc:
                error = _error(exc.code, str(exc))
                if first:
                    yield PreExecutionError(data=None, errors=[error])
                else:
                    yield ExecutionResult(data=None, errors=[error])
        finally:
            subscriber.close()
            fanout.detach(subscriber)
            self.principals.release(bucket)

    def _operation(
        self, query: str, variables: dict[str, Any] | None, operation_name: str | None
    ) -> LiveOperation:
        prepared = self.pipeline.prepare(query)
        if prepared.document is None or prepared.errors:
            raise _Refused(list(prepared.errors))
        document = prepared.document
        definition = get_operation_ast(document, operation_name)
        if definition is None:
            raise _Refused(
                [
                    coded_error(
                        RequestErrorCode.OPERATION_RESOLUTION_FAILURE,
                        "The document has no single subscription to run: send one operation, "
                        "or name it in `operationName`.",
                    )
                ]
            )
        coerced = get_variable_values(
            self.schema, definition.variable_definitions or (), variables or {}, max_errors=20
        )
        if isinstance(coerced, list):
            raise _Refused([with_code(e, RequestErrorCode.BAD_USER_INPUT) for e in coerced])
        field_node = _root_field(definition)
        field = self.fields.get(field_node.name.value) if field_node else None
        if field_node is None or field is None:
            raise _Refused(
                [coded_error(RequestErrorCode.BAD_REQUEST, "Subscribe to one live field.")]
            )
        subscription_type = self.schema.subscription_type
        assert subscription_type is not None
        arguments = get_argument_values(subscription_type.fields[field.name], field_node, coerced)
        try:
            self.enricher.plan(document, operation_name)
        except PlanningError as error:
            logger.error("cannot plan subscription %r: %s", operation_name, error.message)
            raise _Refused([planning_error(error)]) from error
        return LiveOperation(
            document=document,
            operation_name=operation_name,
            variables=coerced.coerced,
            field=field,
            filter=dict(arguments.get("filter") or {}),
            key=operation_key(query, operation_name, coerced.coerced),
        )

    def rebase(
        self,
        pipeline: OperationPipeline,
        planner: QueryPlanner,
        executor: Executor,
        schema: GraphQLSchema,
        visibility: Visibility | None = None,
    ) -> int:
        """Serve from a new schema generation (live reload) without dropping anyone: every
        stream keeps its reader and its subscribers, whose next events are planned against
        `schema`. A subscriber whose operation no longer validates or plans there is ended
        with SCHEMA_CHANGED (the message names nothing of the schema). Returns how many."""
        self.pipeline = pipeline
        self.schema = schema
        self.visibility = EventVisibility(visibility)
        self.enricher = Enricher(planner, executor, schema, self.visibility)
        self.fields = {field.name: field for field in live_fields(schema)}
        self.revision += 1
        ended = 0
        for fanout in self.fanouts.values():
            fanout.enricher, fanout.visibility = self.enricher, self.visibility
            for subscriber in list(fanout.subscribers):
                if subscriber.ended is None and not self._still_fits(subscriber.operation):
                    subscriber.end(EndCode.SCHEMA_CHANGED, SCHEMA_CHANGED_MESSAGE)
                    ended += 1
        return ended

    def _still_fits(self, operation: LiveOperation) -> bool:
        """Whether a running subscription's operation validates and plans on the schema
        served now (its live field still exists, so its stream is the same)."""
        if self.fields.get(operation.field.name) != operation.field:
            return False
        if validate(self.schema, operation.document, self.pipeline.rules):
            return False
        try:
            self.enricher.plan(operation.document, operation.operation_name)
        except PlanningError:
            return False
        return True

    def revoke_credential(self, credential: str) -> int:
        """The API key `credential` was revoked: end its subscriptions with
        CREDENTIALS_REVOKED and refuse new ones with it (on a WebSocket that was opened with
        it before). Idempotent. Returns how many subscriptions it ended."""
        self.revoked_credentials.add(credential)
        ended = 0
        for fanout in self.fanouts.values():
            for subscriber in list(fanout.subscribers):
                if subscriber.credential == credential and subscriber.ended is None:
                    subscriber.revoke(EndCode.CREDENTIALS_REVOKED, REVOKED_MESSAGE)
                    ended += 1
        return ended

    def open_credentials(self) -> set[str]:
        """The API key ids of the running subscriptions (what a revocation check reads)."""
        return {
            subscriber.credential
            for fanout in self.fanouts.values()
            for subscriber in fanout.subscribers
            if subscriber.credential is not None and subscriber.ended is None
        }

    async def aclose(self) -> None:
        """Graceful shutdown: end every subscription with SHUTTING_DOWN (clients resume
        elsewhere from their last event id), then stop the readers."""
        self.closing = True
        for fanout in self.fanouts.values():
            fanout.end_all(EndCode.SHUTTING_DOWN, SHUTDOWN_MESSAGE)
        for fanout in self.fanouts.values():
            await fanout.stop()


class _Refused(Exception):
    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def _refusal(code: str, message: str) -> _Refused:
    return _Refused([_error(code, message)])


def _error(code: str, message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": str(code)})


def _root_field(operation: OperationDefinitionNode) -> FieldNode | None:
    fields = [
        s
        for s in operation.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value != "__typename"
    ]
    return fields[0] if len(fields) == 1 else None


def _result(delivery: Delivery) -> ExecutionResult:
    """The event as Strawberry's result; `payload_json` (the shared serialization) lets the
    WebSocket transport send it without encoding it again."""
    payload = delivery.payload
    errors = payload.get("errors")
    result = ExecutionResult(
        data=payload.get("data"),
        errors=[ResponseError(e) for e in errors] if errors else None,
        extensions=payload.get("extensions"),
    )
    result.payload_json = delivery.json  # type: ignore[attr-defined]
    return result
