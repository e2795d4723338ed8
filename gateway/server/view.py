"""GraphQL over HTTP: Strawberry's ASGI view, made to follow the GraphQL-over-HTTP spec.

What changes from Strawberry's defaults:
- content negotiation: `application/graphql-response+json` when the client asks for it
  (then a request error, one with no `data`, is HTTP 400), else `application/json` (then
  every well-formed request gets 200); an Accept header allowing neither gets 406;
- GET runs queries only: a mutation over GET is 405 with `Allow: POST`;
- a subscription over a plain POST is refused (OPERATION_NOT_ALLOWED);
- HTTP-level failures (bad JSON, bad method) are GraphQL error responses with a code, not
  plain text;
- persisted queries are refused with PERSISTED_QUERY_NOT_SUPPORTED (clients fall back to
  sending the full query).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.subscriptions import (
    GRAPHQL_SSE_PROTOCOL,
    GRAPHQL_TRANSPORT_WS_PROTOCOL,
    MULTIPART_SUBSCRIPTION_PROTOCOL,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from gateway.server.errors import RequestErrorCode, coded_error, error_code
from gateway.server.operations import response_body
from gateway.subscriptions.limits import SubscriptionLimits
from gateway.subscriptions.transport import (
    PRINCIPAL,
    EventIdSSETransport,
    GatewayTransportWSHandler,
    websocket_principal,
)
from policies.auth import Authenticator
from policies.auth.errors import AuthError, AuthReason, unauthenticated
from policies.auth.request import API_KEY, AUTHORIZATION
from policies.principal import ANONYMOUS, Principal

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

_ALLOWED = {"GET": {OperationType.QUERY}, "POST": {OperationType.QUERY, OperationType.MUTATION}}
# Request errors that mean the HTTP request itself was malformed: 400 whatever was accepted.
_MALFORMED = {str(RequestErrorCode.BAD_REQUEST)}


class GraphQLHTTPError(HTTPException):
    """An HTTP-level refusal, answered as a GraphQL error response with `code`."""

    def __init__(
        self,
        status_code: int,
        code: RequestErrorCode,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.headers = dict(headers or {})


class Unauthenticated(HTTPException):
    """Credentials that cannot be verified: HTTP 401 with the auth error, never anonymous."""

    def __init__(self, error: AuthError) -> None:
        super().__init__(error.http_status, str(error))
        self.error = error


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None if it allows neither JSON type.

    The highest quality wins; on a tie, `application/graphql-response+json`. No Accept
    header means `application/json`, as for legacy clients.
    """
    if not accept or not accept.strip():
        return JSON
    best: str | None = None
    best_quality = 0.0
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        media_range = media_range.lower()
        if media_range == GRAPHQL_RESPONSE_JSON:
            candidate = GRAPHQL_RESPONSE_JSON
        elif media_range in (JSON, "application/*", "*/*"):
            candidate = JSON
        else:
            continue
        quality = _quality(params)
        if quality > best_quality or (
            quality == best_quality and quality > 0 and candidate == GRAPHQL_RESPONSE_JSON
        ):
            best, best_quality = candidate, quality
    return best


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def error_response(
    status_code: int,
    code: str,
    message: str,
    media_type: str | None = JSON,
    headers: Mapping[str, str] | None = None,
    **details: Any,
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code, **details}}]}
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type=media_type or JSON,
        headers=dict(headers or {}),
    )


class GatewayGraphQLView(GraphQL[Any, Any]):
    """`/graphql`: GraphQL over HTTP as the module docstring describes; GraphiQL for
    browsers (a GET without a query that accepts text/html)."""

    graphql_transport_ws_handler_class = GatewayTransportWSHandler
    stream_transport_classes_by_protocol = {
        **GraphQL.stream_transport_classes_by_protocol,
        GRAPHQL_SSE_PROTOCOL: EventIdSSETransport,
    }

    def __init__(
        self,
        schema: BaseSchema,
        graphiql: bool = True,
        authenticator: Authenticator | None = None,
        subscription_limits: SubscriptionLimits | None = None,
        schema_source: Callable[[], BaseSchema] | None = None,
    ) -> None:
        """`schema_source` (e.g. `lambda: gateway.schema`) is asked for the schema at each
        use, so a live reload serves new requests from the new schema generation."""
        limits = subscription_limits or SubscriptionLimits()
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            # The legacy `graphql-ws` protocol stays off (GHSA-vpwc-v33q-mq89).
            subscription_protocols=(
                GRAPHQL_TRANSPORT_WS_PROTOCOL,
                GRAPHQL_SSE_PROTOCOL,
                MULTIPART_SUBSCRIPTION_PROTOCOL,
            ),
            max_subscriptions_per_connection=limits.max_per_connection,
        )
        self.authenticator = authenticator
        self.graphql_transport_ws_handler_class = GatewayTransportWSHandler.configured(limits)
        if schema_source is not None:
            self._schema_source = schema_source

    @property
    def schema(self) -> BaseSchema:
        return self._schema_source()

    @schema.setter
    def schema(self, schema: BaseSchema) -> None:
        self._schema_source = lambda: schema

    async def on_ws_connect(self, context: Any) -> Any:
        """Authenticate a WebSocket from its `connection_init` payload, else its upgrade
        headers; a refused credential closes the socket (4403)."""
        if self.authenticator is not None:
            context[PRINCIPAL] = await websocket_principal(self.authenticator, context)
        return await super().on_ws_connect(context)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        """`principal`: an HTTP request's credentials are verified here (refused ones answer
        401); a WebSocket's are checked in `on_ws_connect`."""
        context: dict[str, Any] = {"request": request, "response": response}
        if not isinstance(request, WebSocket):
            context["principal"] = await self._principal(request)
        return context

    async def _principal(self, request: Request) -> Principal:
        try:
            if self.authenticator is not None:
                return await self.authenticator.from_headers(request.headers)
            if AUTHORIZATION in request.headers or API_KEY in request.headers:
                raise unauthenticated(
                    AuthReason.MALFORMED_CREDENTIALS,
                    "This gateway is not configured to verify credentials; send none.",
                )
        except AuthError as exc:
            raise Unauthenticated(exc) from None
        return ANONYMOUS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = self._refusal(request, exc)
        await response(scope, receive, send)

    def _refusal(self, request: Request, exc: HTTPException) -> Response:
        media_type = negotiate(request.headers.get("accept"))
        if isinstance(exc, Unauthenticated):
            return Response(
                orjson.dumps({"errors": [exc.error.to_graphql_error()]}),
                status_code=exc.status_code,
                media_type=media_type or JSON,
                headers={"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None,
            )
        if isinstance(exc, GraphQLHTTPError):
            return error_response(exc.status_code, exc.code, exc.reason, media_type, exc.headers)
        if exc.status_code == 405:
            return error_response(
                405,
                RequestErrorCode.METHOD_NOT_ALLOWED,
                "GraphQL is served with GET (queries) and POST.",
                media_type,
                {"Allow": "GET, POST"},
            )
        return error_response(exc.status_code, RequestErrorCode.BAD_REQUEST, exc.reason, media_type)

    async def get_sub_response(self, request: Request) -> Response:  # type: ignore[override]
        sub_response = await super().get_sub_response(request)
        # Carried to `create_response`, which does not see the request.
        sub_response.media_type = negotiate(request.headers.get("accept"))
        return sub_response

    def decode_json(self, data: str | bytes) -> object:
        decoded = orjson.loads(data)
        if not isinstance(decoded, dict | list):
            raise json.JSONDecodeError("expected a JSON object", str(data), 0)
        return decoded

    def encode_json(self, data: object) -> str:
        # Text, not bytes: WebSocket messages must go out as text frames.
        return orjson.dumps(data).decode()

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and not isinstance(data.operation_name, str | None):
            raise GraphQLHTTPError(
                400,
                RequestErrorCode.BAD_REQUEST,
                "The GraphQL operation's `operationName` must be a string or null.",
            )
        return data

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Any,
        root_value: Any | None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if sub_response.media_type is None:
            raise GraphQLHTTPError(
                406,
                RequestErrorCode.NOT_ACCEPTABLE,
                f"Responses are {GRAPHQL_RESPONSE_JSON} or {JSON}; "
                "the Accept header allows neither.",
            )
        if (request_data.extensions or {}).get("persistedQuery") is not None:
            return PreExecutionError(
                data=None,
                errors=[
                    coded_error(
                        RequestErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
                        "Persisted queries are not supported: send the full query text.",
                    )
                ],
            )
        method = request_adapter.method
        result = await self.schema.execute(
            request_data.query,
            variable_values=request_data.variables,
            context_value=context,
            root_value=root_value,
            operation_name=request_data.operation_name,
            allowed_operation_types=_ALLOWED[method],
            operation_extensions=request_data.extensions,
        )
        if (
            method == "GET"
            and _request_error_code(result) == RequestErrorCode.OPERATION_NOT_ALLOWED
        ):
            assert result.errors
            raise GraphQLHTTPError(
                405,
                RequestErrorCode.OPERATION_NOT_ALLOWED,
                result.errors[0].message,
                {"Allow": "POST"},
            )
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        return response_body(result)  # type: ignore[return-value]

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        media_type = sub_response.media_type or JSON
        status_code = 200
        if isinstance(response_data, Mapping) and "data" not in response_data:
            codes = {
                (error.get("extensions") or {}).get("code")
                for error in response_data.get("errors") or ()
                if isinstance(error, Mapping)
            }
            if media_type == GRAPHQL_RESPONSE_JSON or codes & _MALFORMED:
                status_code = 400
        response = Response(
            self.encode_json(response_data), status_code=status_code, media_type=media_type
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response


def _request_error_code(result: ExecutionResult) -> str | None:
    if isinstance(result, PreExecutionError) and result.errors:
        return error_code(result.errors[0])
    return None
