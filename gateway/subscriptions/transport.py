"""Strawberry's subscription transports, adjusted where the gateway needs more than they do.

Strawberry serves graphql-transport-ws, SSE (graphql-sse "distinct connections" mode) and
multipart subscriptions, and all of them call `schema.stream`, which hands subscriptions to
the `SubscriptionService`. Three gaps are filled here, each by a small subclass:

- `GatewayTransportWSHandler`: Strawberry does not pass the subscribe message's
  `extensions` (where the client puts `lastEventId`) to `schema.stream`; this handler does.
  Its per-connection limit error carries a code (TOO_MANY_SUBSCRIPTIONS).
  It also sends a `ping` every `ping_interval` seconds (heartbeat; the client answers
  `pong`), limits the number of open connections, and logs an abrupt client disconnect
  without a traceback.
  It sends an event's payload as serialized once for its fan-out group, and live events
  straight from the fan-out loop (`WebSocketSink`) rather than through the operation's task.
- `EventIdSSETransport`: every SSE event carries the event id as its `id:` field, so a
  reconnecting EventSource/graphql-sse client sends it back as `Last-Event-ID`.
- `subscription_request`: where a subscription's principal and last event id come from
  (the context; the subscribe extensions, else the `Last-Event-ID` header).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar

import jwt
import orjson
from graphql import GraphQLError, OperationType, get_operation_ast
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.http.streaming import JSONEncoder, SSETransport
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.utils.aio import aclosing

from gateway.server.operations import OperationPipeline
from gateway.server.schema import GatewaySchema
from gateway.subscriptions.limits import SubscriptionLimits
from gateway.subscriptions.subscriber import Delivery
from gateway.websocket_protocol import SEND_NOW, TextMessage
from policies.auth import Authenticator
from policies.auth.errors import AuthError
from policies.principal import ANONYMOUS, Principal

if TYPE_CHECKING:
    from strawberry.schema.schema import StreamResult

logger = logging.getLogger(__name__)

PRINCIPAL = "principal"
LAST_EVENT_ID_HEADER = "last-event-id"


def is_subscription(pipeline: OperationPipeline, query: str, operation_name: str | None) -> bool:
    """Whether `query` parses and its operation `operation_name` is a subscription."""
    document = pipeline.prepare(query).document
    operation = None if document is None else get_operation_ast(document, operation_name)
    return operation is not None and operation.operation == OperationType.SUBSCRIPTION


def context_value(context: Any, name: str) -> Any:
    if isinstance(context, Mapping):
        return context.get(name)
    return getattr(context, name, None)


def subscription_principal(context: Any) -> Principal:
    """The principal the transport authenticated (anonymous when no auth is configured)."""
    principal = context_value(context, PRINCIPAL)
    return principal if isinstance(principal, Principal) else ANONYMOUS


def credentials_expire_at(context: Any) -> float | None:
    """When the bearer token that authenticated this subscription expires (epoch seconds),
    from the `connection_init` payload or the request's Authorization header. The token was
    verified when the connection or request was accepted; only its `exp` is read here."""
    params = context_value(context, "connection_params")
    authorization = None
    if isinstance(params, Mapping):
        authorization = next(
            (v for k, v in params.items() if isinstance(k, str) and k.lower() == "authorization"),
            None,
        )
    request = context_value(context, "request")
    if authorization is None and isinstance(request, HTTPConnection):
        authorization = request.headers.get("authorization")
    if not isinstance(authorization, str):
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    expires = claims.get("exp")
    return float(expires) if isinstance(expires, int | float) else None


def last_event_id(extensions: Mapping[str, Any] | None, context: Any) -> Any:
    """`extensions.lastEventId` of the subscribe request, else the SSE `Last-Event-ID`."""
    if extensions and extensions.get("lastEventId") is not None:
        return extensions["lastEventId"]
    request = context_value(context, "request")
    if isinstance(request, HTTPConnection):
        return request.headers.get(LAST_EVENT_ID_HEADER)
    return None


async def websocket_principal(authenticator: Authenticator, context: Any) -> Principal:
    """The `connection_init` payload's credentials, else the upgrade request's headers.
    A refused credential raises `ConnectionRejectionError` (Strawberry closes with 4403)."""
    try:
        principal = await authenticator.from_connection_params(
            context_value(context, "connection_params")
        )
        request = context_value(context, "request")
        if principal.is_anonymous and isinstance(request, HTTPConnection):
            principal = await authenticator.from_headers(request.headers)
    except AuthError as exc:
        raise ConnectionRejectionError(exc.to_graphql_error()) from exc
    return principal


class GatewayTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """graphql-transport-ws with subscribe extensions, server pings and a connection cap."""

    ping_interval: ClassVar[float] = 15.0
    max_connections: ClassVar[int] = 20_000
    open_connections: ClassVar[int] = 0

    @classmethod
    def configured(cls, limits: SubscriptionLimits) -> type[GatewayTransportWSHandler]:
        """A handler class with these limits' ping interval and connection cap."""
        return type(
            cls.__name__,
            (cls,),
            {"ping_interval": limits.ping_interval, "max_connections": limits.max_connections},
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._extensions: dict[str, Mapping[str, Any] | None] = {}
        self._pinger: asyncio.Task[None] | None = None

    async def handle(self) -> None:
        cls = GatewayTransportWSHandler
        if cls.open_connections >= self.max_connections:
            await self.websocket.close(code=4429, reason="Too many connections; retry later")
            return
        cls.open_connections += 1
        self._pinger = asyncio.create_task(self._ping())
        try:
            await super().handle()
        finally:
            cls.open_connections -= 1
            self._pinger.cancel()
            with suppress(asyncio.CancelledError):
                await self._pinger

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            if self.connection_acknowledged:
                try:
                    await self.send_message({"type": "ping"})
                except Exception:  # the socket is gone; `handle` is ending
                    return

    async def handle_subscribe(self, message: Any) -> None:
        limit = self.max_subscriptions_per_connection
        if (
            self.connection_acknowledged
            and limit is not None
            and len(self.operations) >= limit
            and isinstance(message.get("id"), str)
        ):
            error = GraphQLError(
                f"At most {limit} subscriptions may run on one connection; "
                "complete one first, or open another connection.",
                extensions={"code": "TOO_MANY_SUBSCRIPTIONS"},
            ).formatted
            refusal: ErrorMessage = {"id": message["id"], "type": "error", "payload": [error]}
            await self.send_message(refusal)
            return
        payload = message.get("payload")
        extensions = payload.get("extensions") if isinstance(payload, Mapping) else None
        if isinstance(extensions, Mapping) and isinstance(message.get("id"), str):
            self._extensions[message["id"]] = extensions
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        """Strawberry's, passing the subscribe message's extensions on, and running on the
        view's schema now (a live reload may have swapped it since the socket opened)."""
        extensions = self._extensions.pop(operation.id, None)
        socket = getattr(self.websocket, "ws", None)
        server = (socket.scope.get("extensions") or {}) if isinstance(socket, WebSocket) else {}
        send_now = server.get(SEND_NOW)
        sink = None if send_now is None else WebSocketSink(self, operation, send_now)
        schema = self.view.schema
        assert isinstance(schema, GatewaySchema)  # the gateway's views serve no other
        try:
            result_source = await schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=self.context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
                operation_extensions=dict(extensions) if extensions else None,
                sink=sink,
            )
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            if _is_disconnect(error):
                logger.debug("client gone during operation %s", operation.id)
                self.operations.pop(operation.id, None)
                return
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)

    async def _send_result_stream(
        self, operation: Operation[Any, Any], result_source: StreamResult
    ) -> None:
        """Strawberry's, except that an event's payload serialized once for its fan-out
        group (`payload_json`) is sent as is, not encoded again per subscriber."""
        first = True
        async for result in result_source:
            if first and isinstance(result, PreExecutionError):
                await self._handle_pre_execution_error(operation, result)
                return
            first = False
            text = getattr(result, "payload_json", None)
            if isinstance(text, str):
                if operation.completed:
                    return
                await self._send_text(_next_prefix(operation.id) + text + "}")
            elif isinstance(result, ExecutionResult):
                await operation.send_next(result)
            else:
                await self._reject_incremental_delivery(operation)
                return

    async def _send_text(self, text: str) -> None:
        socket = getattr(self.websocket, "ws", None)
        if not isinstance(socket, WebSocket):  # another adapter: let it encode
            await self.websocket.send_json(orjson.loads(text))
            return
        try:
            await socket.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    async def handle_task_exception(self, error: Exception) -> None:
        if _is_disconnect(error):
            logger.debug("client disconnected: %r", error)
            return
        await super().handle_task_exception(error)


def _next_prefix(operation_id: str) -> str:
    """A graphql-transport-ws `next` message up to its payload (then the payload and "}")."""
    return '{"id":' + orjson.dumps(operation_id).decode() + ',"type":"next","payload":'


class WebSocketSink:
    """Sends one operation's live events from the fan-out loop (`Subscriber.sink`): the
    `next` message is written at once when the socket has room (the server's SEND_NOW)."""

    def __init__(
        self,
        handler: GatewayTransportWSHandler,
        operation: Operation[Any, Any],
        send_now: Callable[[TextMessage], bool],
    ) -> None:
        self.handler = handler
        self.operation = operation
        self.send_now = send_now
        self.prefix = _next_prefix(operation.id).encode()

    def send(self, delivery: Delivery) -> bool:
        operation = self.operation
        if operation.completed or self.handler.operations.get(operation.id) is not operation:
            return True  # the client completed it (its task is being cancelled): drop it
        message = delivery.messages.get(self.prefix)  # shared by the operations of one id
        if message is None:
            message = TextMessage(self.prefix + delivery.utf8 + b"}")
            delivery.messages[self.prefix] = message
        return self.send_now(message)


def _is_disconnect(error: BaseException) -> bool:
    name = type(error).__name__
    return name in ("WebSocketDisconnect", "WebSocketDisconnected", "ClientDisconnected") or (
        isinstance(error, RuntimeError) and "websocket" in str(error).lower()
    )


class EventIdSSETransport(SSETransport):
    """SSE with `id: <eventId>` on every event that has one."""

    def encode_next(self, response: GraphQLHTTPResponse, encode_json: JSONEncoder) -> str:
        extensions = response.get("extensions")
        event_id = extensions.get("eventId") if isinstance(extensions, Mapping) else None
        text = self.encode_event("next", encode_json(response))
        if isinstance(event_id, str) and "\n" not in event_id and "\r" not in event_id:
            return f"id: {event_id}\r\n{text}"
        return text
