"""The ASGI app of a subgraph: its schema served at `/graphql`, over one database.

Only calls signed by the gateway get through (`policies.signing.RequireGatewaySignature`,
`/healthz` exempt): a partner cannot go around the gateway's visibility policies by
calling a subgraph directly. The verified principal is in the request context, for the
subgraph's own write checks. The secret is `PARTNERGRAPH_SUBGRAPH_SECRET` or the one kept
in the data dir (`AuthSettings.from_env`), the same the gateway signs with; `secret=None`
turns the check off, for clients that cannot sign (Apollo Gateway in the interop test).

Indexes are created when the app starts (Starlette lifespan); tests that drive the app
without a lifespan call `resolvers.indexes.ensure_indexes` themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from policies.auth import AuthSettings
from policies.principal import ANONYMOUS
from policies.signing import RequireGatewaySignature, signed_principal
from resolvers.indexes import ensure_indexes
from subgraphs.common.context import SubgraphContext
from subgraphs.common.schema import SubgraphSchema


class SubgraphGraphQL(GraphQL[SubgraphContext, None]):
    def __init__(self, schema: SubgraphSchema, db: AsyncDatabase[Any]) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.db = db
        self.unsigned = False

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> SubgraphContext:
        principal = ANONYMOUS if self.unsigned else signed_principal(request)
        return SubgraphContext(db=self.db, principal=principal)


class _FromEnvironment:
    def __repr__(self) -> str:
        return "FROM_ENVIRONMENT"


FROM_ENVIRONMENT: Any = _FromEnvironment()
"""The default secret: the gateway's subgraph secret from the environment / data dir."""


async def _healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_subgraph_app(
    schema: SubgraphSchema, db: AsyncDatabase[Any], *, secret: bytes | None = FROM_ENVIRONMENT
) -> Starlette:
    """The subgraph's app; `secret=None` (explicit, never the default) accepts unsigned
    calls, whose context principal is anonymous."""
    if secret is FROM_ENVIRONMENT:
        secret = AuthSettings.from_env().subgraph_secret

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ensure_indexes(db)
        yield

    graphql = SubgraphGraphQL(schema, db)
    graphql.unsigned = secret is None
    middleware = []
    if secret is not None:
        middleware.append(
            Middleware(RequireGatewaySignature, secret=secret, exempt_paths={"/healthz"})
        )
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", _healthz, methods=["GET"]),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
