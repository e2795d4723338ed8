"""The ASGI app of a subgraph: its schema served at `/graphql`, over one database.

Indexes are created when the app starts (Starlette lifespan); tests that drive the app
without a lifespan call `resolvers.indexes.ensure_indexes` themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from resolvers.indexes import ensure_indexes
from subgraphs.common.context import SubgraphContext
from subgraphs.common.schema import SubgraphSchema


class SubgraphGraphQL(GraphQL[SubgraphContext, None]):
    def __init__(self, schema: SubgraphSchema, db: AsyncDatabase[Any]) -> None:
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)
        self.db = db

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> SubgraphContext:
        return SubgraphContext(db=self.db)


def create_subgraph_app(schema: SubgraphSchema, db: AsyncDatabase[Any]) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await ensure_indexes(db)
        yield

    graphql = SubgraphGraphQL(schema, db)
    return Starlette(
        routes=[Route("/graphql", graphql, methods=["GET", "POST"])], lifespan=lifespan
    )
