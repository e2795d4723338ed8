"""Small federation subgraphs for the reload tests, served for real (uvicorn, free ports).

- `catalog`: `slow` answers only once the test opens `SLOW_GATE` (an in-flight request
  the test controls), `fast` answers at once.
- `ratings`: the "fourth partner" — a new root field and a field on the bundled `Partner`
  entity (key `id`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from tests.asgi_server import serving

SLOW_GATE = asyncio.Event()


@strawberry.type
class CatalogQuery:
    @strawberry.field
    async def slow(self) -> str:
        await SLOW_GATE.wait()
        return "slow answer"

    @strawberry.field
    def fast(self) -> str:
        return "fast answer"


catalog_schema = strawberry.federation.Schema(query=CatalogQuery, federation_version="2.9")

# The catalog as a later version of it describes itself: `slow` is gone, `fresh` is new.
CATALOG_V2_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query {
  fast: String!
  fresh: String!
}
"""


@strawberry.type
class CatalogV2Query(CatalogQuery):
    @strawberry.field
    def fresh(self) -> str:
        return "fresh answer"


catalog_v2_schema = strawberry.federation.Schema(query=CatalogV2Query, federation_version="2.9")


@strawberry.federation.type(keys=["id"])
class Partner:
    id: strawberry.ID

    @strawberry.field
    def rating(self) -> int:
        return len(str(self.id)) % 5 + 1

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Partner:
        return Partner(id=id)


@strawberry.type
class PartnerRating:
    partner_id: strawberry.ID
    stars: int


@strawberry.type
class RatingsQuery:
    @strawberry.field
    def partner_ratings(self) -> list[PartnerRating]:
        return [PartnerRating(partner_id=strawberry.ID("P-R01"), stars=5)]


ratings_schema = strawberry.federation.Schema(
    query=RatingsQuery, types=[Partner], federation_version="2.9"
)


def sdl_of(schema: strawberry.federation.Schema) -> str:
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.data is not None, result.errors
    return str(result.data["_service"]["sdl"])


@contextlib.asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """Serve an ASGI app (with its lifespan) on a free port; yields its `/graphql` URL."""
    async with serving(app, "/graphql", lifespan="on") as url:
        yield url


def graphql_app(schema: strawberry.federation.Schema) -> Starlette:
    """The subgraph at `/graphql` (unsigned calls: these test subgraphs check nothing)."""
    view: GraphQL[Any, Any] = GraphQL(schema, graphql_ide=None)
    return Starlette(routes=[Route("/graphql", view)])
