"""The gateway's Starlette application: `/graphql` (HTTP and WebSocket), `/healthz`,
`/readyz`, and — when policies live in a store — the admin API (`/admin/graphql`) and the
admin console (`/admin`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from gateway.config import GatewayConfig
from gateway.server.body_limit import BodyLimitMiddleware
from gateway.server.health import health_routes
from gateway.server.view import GatewayGraphQLView

if TYPE_CHECKING:  # gateway.gateway imports this package: no import cycle at run time
    from gateway.enforcement.wiring import Access
    from gateway.gateway import Gateway
    from gateway.reload.reloader import SupergraphReloader
    from resolvers.stream import EventStream


def create_app(
    gateway: Gateway,
    config: GatewayConfig | None = None,
    reloader: SupergraphReloader | None = None,
    access: Access | None = None,
    events: EventStream | None = None,
) -> Starlette:
    """An ASGI app serving `gateway`; it closes the gateway when the server shuts down.
    With `reloader`, the app runs it while serving and `/readyz` reports on it. With
    `access` holding a policy store, it also serves the admin API and console (their live
    panel reads `events`); with `access` holding API keys, a revoked key ends the live
    subscriptions it opened.

    `config` sets the HTTP-level options (body limit, GraphiQL) and defaults to the
    gateway's own config, which also holds the operation limits the gateway enforces.
    """
    config = config or gateway.config

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # A revoked API key ends the live subscriptions it opened (in every replica).
        revocations = access.revocation_watcher(gateway.subscriptions) if access else None
        if revocations is not None:
            await revocations.start()
        if reloader is not None:
            reloader.start()
        try:
            yield
        finally:
            if reloader is not None:
                await reloader.stop()
            if revocations is not None:
                await revocations.stop()
            await gateway.aclose()

    view = GatewayGraphQLView(
        gateway.schema,
        graphiql=config.graphiql,
        authenticator=gateway.authenticator,
        subscription_limits=gateway.subscription_limits,
        schema_source=lambda: gateway.schema,  # per request: live reloads swap it
    )
    app = Starlette(
        routes=[
            *health_routes(gateway, reloader),
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
            *admin_routes(gateway, access, reloader, events),
        ],
        middleware=[Middleware(BodyLimitMiddleware, max_bytes=config.limits.max_body_bytes)],
        lifespan=lifespan,
    )
    # Run by `gateway.servers.serve_all` before connections close.
    app.state.before_shutdown = [gateway.end_subscriptions]
    return app


def admin_routes(
    gateway: Gateway,
    access: Access | None,
    reloader: SupergraphReloader | None,
    events: EventStream | None,
) -> list[BaseRoute]:
    """`/admin/graphql` (the admin API) and `/admin` (the console), when policies are kept in
    a store; none for a fixed policy file (there is nothing to edit)."""
    if access is None or access.store is None or access.watcher is None:
        return []
    from gateway.console import LiveSources, create_console_app
    from policies.admin import create_admin_app

    admin_api = create_admin_app(
        access.store, access.watcher, gateway, access.authenticator, schema_control=reloader
    )
    live = LiveSources(events=events, subscriptions=gateway.subscriptions)
    return [
        Route("/admin/graphql", admin_api),
        Mount("/admin", create_console_app(access.authenticator, live)),
    ]
