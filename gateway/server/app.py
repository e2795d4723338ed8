"""The gateway's Starlette application: `/graphql` (HTTP and WebSocket), `/healthz`,
`/readyz`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute

from gateway.config import GatewayConfig
from gateway.server.body_limit import BodyLimitMiddleware
from gateway.server.health import health_routes
from gateway.server.view import GatewayGraphQLView

if TYPE_CHECKING:  # gateway.gateway imports this package: no import cycle at run time
    from gateway.gateway import Gateway
    from gateway.reload.reloader import SupergraphReloader


def create_app(
    gateway: Gateway,
    config: GatewayConfig | None = None,
    reloader: SupergraphReloader | None = None,
) -> Starlette:
    """An ASGI app serving `gateway`; it closes the gateway when the server shuts down.
    With `reloader`, the app runs it while serving and `/readyz` reports on it.

    `config` sets the HTTP-level options (body limit, GraphiQL) and defaults to the
    gateway's own config, which also holds the operation limits the gateway enforces.
    """
    config = config or gateway.config

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if reloader is not None:
            reloader.start()
        try:
            yield
        finally:
            if reloader is not None:
                await reloader.stop()
            await gateway.aclose()

    view = GatewayGraphQLView(
        gateway.schema,
        graphiql=config.graphiql,
        authenticator=gateway.authenticator,
        subscription_limits=gateway.subscription_limits,
        schema_source=lambda: gateway.schema,  # per request: live reloads swap it
    )
    return Starlette(
        routes=[
            *health_routes(gateway, reloader),
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
        ],
        middleware=[Middleware(BodyLimitMiddleware, max_bytes=config.limits.max_body_bytes)],
        lifespan=lifespan,
    )
