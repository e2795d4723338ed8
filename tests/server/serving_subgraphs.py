"""The two subgraphs of the test supergraph, served for real over HTTP.

Each is a graphql-core schema built from its subgraph SDL, executed by `graphql()` and
served by uvicorn on a free 127.0.0.1 port inside the test's event loop. `deals` holds the
deals (and a Partner reference per deal); `partners` resolves partners, also through
`_entities`. Both record the operations they receive, so a test can see what reached them.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLSchema, build_schema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.asgi_server import serving as asgi_serving

DEALS_SDL = """
type Query { deals(stage: Stage): [Deal!]! deal(id: ID!): Deal }
type Mutation { advanceDeal(id: ID!, stage: Stage!): Deal }
enum Stage { OPEN WON LOST }
type Deal { id: ID! title: String! stage: Stage! amount: Int margin: Int partner: Partner }
type Partner { id: ID! }
"""

PARTNERS_SDL = """
scalar _Any
union _Entity = Partner
type Query { partners: [Partner!]! _entities(representations: [_Any!]!): [_Entity]! }
type Partner { id: ID! name: String! tier: Int }
"""

DEALS = [
    {"id": "d1", "title": "Fleet renewal", "stage": "OPEN", "amount": 120, "margin": 30,
     "partner": {"id": "p1"}},
    {"id": "d2", "title": "Edge rollout", "stage": "WON", "amount": 80, "margin": 12,
     "partner": {"id": "p2"}},
]  # fmt: skip
PARTNERS = {
    "p1": {"id": "p1", "name": "Acme Resell", "tier": 1},
    "p2": {"id": "p2", "name": "Globex", "tier": 2},
}


@dataclass
class Subgraph:
    name: str
    schema: GraphQLSchema
    root: dict[str, Any]
    mutation: dict[str, Any] = field(default_factory=dict)
    received: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        self.received.append(body["query"])
        is_mutation = body["query"].lstrip().startswith("mutation")
        result = await graphql(
            self.schema,
            body["query"],
            root_value=self.mutation if is_mutation else self.root,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        return Response(orjson.dumps(result.formatted), media_type="application/json")


def deals_subgraph() -> Subgraph:
    deals = copy.deepcopy(DEALS)

    def find(_info: Any, id: str) -> dict[str, Any] | None:
        return next((deal for deal in deals if deal["id"] == id), None)

    def advance(_info: Any, id: str, stage: str) -> dict[str, Any] | None:
        deal = find(_info, id)
        if deal is not None:
            deal["stage"] = stage
        return deal

    return Subgraph(
        "deals",
        build_schema(DEALS_SDL),
        root={
            "deals": lambda _info, stage=None: [d for d in deals if stage in (None, d["stage"])],
            "deal": find,
        },
        mutation={"advanceDeal": advance},
    )


def partners_subgraph() -> Subgraph:
    def entities(_info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        return [
            {"__typename": "Partner", **PARTNERS[r["id"]]} if r["id"] in PARTNERS else None
            for r in representations
        ]

    return Subgraph(
        "partners",
        build_schema(PARTNERS_SDL),
        root={"partners": lambda _info: list(PARTNERS.values()), "_entities": entities},
    )


@asynccontextmanager
async def serving(app: Any, path: str = "") -> AsyncIterator[str]:
    """Serve an ASGI app (lifespan on) on a free port until the block ends; yields its URL."""
    async with asgi_serving(app, path, lifespan="on") as url:
        yield url


@asynccontextmanager
async def subgraphs_served() -> AsyncIterator[tuple[Subgraph, Subgraph]]:
    deals, partners = deals_subgraph(), partners_subgraph()
    async with (
        serving(
            Starlette(routes=[Route("/graphql", deals.handle, methods=["POST"])]), "/graphql"
        ) as deals_url,
        serving(
            Starlette(routes=[Route("/graphql", partners.handle, methods=["POST"])]), "/graphql"
        ) as partners_url,
    ):
        deals.url, partners.url = deals_url, partners_url
        yield deals, partners
