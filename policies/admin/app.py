"""The admin API over HTTP: an ASGI app to mount at `/admin/graphql`.

Every request is authenticated first (`Authorization: Bearer` or `X-API-Key`, as on
`/graphql`) and must come from an admin: bad credentials and anonymous callers get HTTP 401
UNAUTHENTICATED, signed-in non-admins HTTP 403 FORBIDDEN, as a GraphQL error response, before
the body is read. Only then does Strawberry see the request. POST only (no GET, no GraphiQL:
the console at `/admin` is the UI), no subscriptions.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from policies.admin.access import AccessDenied, require_admin
from policies.admin.preview import PreviewGateway
from policies.admin.schema import AdminContext, build_admin_schema
from policies.admin.schema_status import SchemaControl
from policies.auth import Authenticator, AuthError
from policies.principal import Principal
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore

PRINCIPAL_SCOPE_KEY = "partnergraph.admin_principal"


class _AdminView(GraphQL[AdminContext, None]):
    def __init__(
        self,
        store: PolicyStore,
        watcher: PolicyWatcher,
        gateway: PreviewGateway,
        schema_control: SchemaControl | None = None,
    ):
        super().__init__(
            build_admin_schema(),
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(),
        )
        self.store = store
        self.watcher = watcher
        self.gateway = gateway
        self.schema_control = schema_control

    async def get_context(self, request: Any, response: Any) -> AdminContext:
        principal: Principal = request.scope[PRINCIPAL_SCOPE_KEY]
        return AdminContext(self.store, self.watcher, self.gateway, principal, self.schema_control)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP only; a malformed request (no query, bad JSON, GET) is a coded GraphQL
        error response (BAD_REQUEST) instead of Strawberry's plain text."""
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = _error_response(exc.status_code, exc.reason, {"code": "BAD_REQUEST"})
        await response(scope, receive, send)


class AdminApp:
    """Authenticates, admits admins only, then serves the admin schema."""

    def __init__(
        self,
        store: PolicyStore,
        watcher: PolicyWatcher,
        gateway: PreviewGateway,
        authenticator: Authenticator,
        schema_control: SchemaControl | None = None,
    ) -> None:
        self.authenticator = authenticator
        self.view = _AdminView(store, watcher, gateway, schema_control)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope, receive)
        try:
            principal = require_admin(await self.authenticator.from_headers(request.headers))
        except (AuthError, AccessDenied) as exc:
            refusal = _error_response(exc.http_status, exc.message, exc.extensions)
            await refusal(scope, receive, send)
            return
        await self.view({**scope, PRINCIPAL_SCOPE_KEY: principal}, receive, send)


def _error_response(status: int, message: str, extensions: dict[str, Any]) -> Response:
    body = orjson.dumps({"errors": [{"message": message, "extensions": extensions}]})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(body, status, headers, media_type="application/json")


def create_admin_app(
    store: PolicyStore,
    watcher: PolicyWatcher,
    gateway: PreviewGateway,
    authenticator: Authenticator,
    schema_control: SchemaControl | None = None,
) -> AdminApp:
    """The admin API as an ASGI app; mount with `Route("/admin/graphql", app)`.

    `store` holds the policies (and the API schema to check rules against), `watcher` this
    process's copy of them, `gateway` runs previews, `authenticator` verifies credentials,
    `schema_control` (the gateway's `SupergraphReloader`, when it reloads live) answers
    `schemaStatus` and `reloadSchema`.
    """
    return AdminApp(store, watcher, gateway, authenticator, schema_control)
