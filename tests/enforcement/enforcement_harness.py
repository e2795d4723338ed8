"""A small federated graph, served for real, for the visibility tests.

Two subgraphs (graphql-core schemas over HTTP on free 127.0.0.1 ports, recording every
request body): `deals` owns deals, notes, the `Node` interface and the `SearchResult`
union, and mutations; `partners` owns partners, reached from a deal by an entity jump
(`Deal.partner` -> `Partner.region`, `Partner.score`). Composed by the project's own composer.
Every scalar value in the data is distinct, so a test can tell where a value came from.
`Deal.flaky` fails for every deal but d1 (for error paths).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, build_schema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.composition import SubgraphSource, compose
from gateway.config import GatewayConfig
from gateway.enforcement.visibility import Policies
from gateway.gateway import Gateway
from policies.model import PolicySet, rules_from_dicts
from policies.principal import AuthMethod, Principal
from policies.signing import SignatureError, verify
from tests.asgi_server import free_socket as free_socket  # re-exported
from tests.asgi_server import serving

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'

DEALS_TYPES = """
type Query {
  deals: [Deal!]!
  deal(id: ID!): Deal
  dealStrict(id: ID!): Deal!
  node(id: ID!): Node
  search: [SearchResult!]!
}
type Mutation { registerDeal(title: String!): Deal  deleteDeal(id: ID!): Boolean }
interface Node { id: ID! }
union SearchResult = Deal | Note
type Note implements Node { id: ID! text: String! secret: String }
"""
DEALS_FED = (
    LINK
    + DEALS_TYPES
    + """
type Deal implements Node @key(fields: "id") {
  id: ID! title: String! amount: Int margin: Int! stage: String partner: Partner! note: Note
  flaky: String
}
type Partner @key(fields: "id", resolvable: false) { id: ID! }
"""
)
DEALS_PLAIN = (
    DEALS_TYPES
    + """
type Deal implements Node {
  id: ID! title: String! amount: Int margin: Int! stage: String partner: Partner! note: Note
  flaky: String
}
type Partner { id: ID! }
"""
)
PARTNERS_FED = (
    LINK
    + """
type Query { partners: [Partner!]! }
type Partner @key(fields: "id") { id: ID! name: String! region: String! score: Int }
"""
)
PARTNERS_PLAIN = """
scalar _Any
union _Entity = Partner
type Query { partners: [Partner!]! _entities(representations: [_Any!]!): [_Entity]! }
type Partner { id: ID! name: String! region: String! score: Int }
"""

NOTES = {"n1": {"__typename": "Note", "id": "n1", "text": "CallBack", "secret": "SECRET-NOTE"}}
DEALS = [
    {"__typename": "Deal", "id": "d1", "title": "Fleet", "amount": 12011, "margin": 33301,
     "stage": "OPEN", "partner": {"id": "p1"}, "note": NOTES["n1"]},
    {"__typename": "Deal", "id": "d2", "title": "Edge", "amount": 12022, "margin": 33302,
     "stage": "WON", "partner": {"id": "p2"}, "note": None},
    {"__typename": "Deal", "id": "d3", "title": "Core", "amount": 30033, "margin": 33303,
     "stage": "LOST", "partner": {"id": "p1"}, "note": None},
]  # fmt: skip
PARTNERS = {
    "p1": {"id": "p1", "name": "Acme", "region": "EU", "score": 77001},
    "p2": {"id": "p2", "name": "Globex", "region": "US", "score": 77002},
}


def _find(items: list[dict[str, Any]], id_: str) -> dict[str, Any] | None:
    return next((item for item in items if item["id"] == id_), None)


def _deals_root() -> dict[str, Any]:
    return {
        "deals": lambda _info: DEALS,
        "deal": lambda _info, id: _find(DEALS, id),
        "dealStrict": lambda _info, id: _find(DEALS, id),
        "node": lambda _info, id: _find(DEALS, id) or NOTES.get(id),
        "search": lambda _info: [*DEALS, *NOTES.values()],
    }


def _type_resolver(value: Any, *_: Any) -> str:
    return str(value["__typename"])


@dataclass
class ServedSubgraph:
    name: str
    schema: GraphQLSchema
    root: dict[str, Any]
    secret: bytes | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    """The headers of each accepted request."""
    url: str = ""

    @property
    def queries(self) -> str:
        """Every operation text this subgraph received, joined (for "never sent" checks)."""
        return "\n".join(str(r.get("query")) for r in self.requests)

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        if self.secret is not None:
            try:
                verify(raw, request.headers, self.secret)
            except SignatureError as exc:
                return JSONResponse({"errors": [exc.to_graphql_error()]}, 401)
        body = orjson.loads(raw)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        root = dict(self.root)
        result = await graphql(
            self.schema,
            body["query"],
            root_value=root,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        return Response(orjson.dumps(result.formatted), media_type="application/json")


def _flaky(deal: dict[str, Any], _info: Any) -> str:
    if deal["id"] != "d1":
        raise GraphQLError("the flaky service is down")
    return "steady"


def deals_subgraph(secret: bytes | None = None) -> ServedSubgraph:
    schema = build_schema(DEALS_PLAIN)
    deal_type = schema.type_map["Deal"]
    assert isinstance(deal_type, GraphQLObjectType)
    deal_type.fields["flaky"].resolve = _flaky
    for name in ("Node", "SearchResult"):
        setattr(schema.type_map[name], "resolve_type", _type_resolver)  # noqa: B010
    root = _deals_root()
    root["registerDeal"] = lambda _info, title: {**DEALS[0], "id": "d9", "title": title}
    root["deleteDeal"] = lambda _info, id: True
    return ServedSubgraph("deals", schema, root, secret)


def partners_subgraph(secret: bytes | None = None) -> ServedSubgraph:
    schema = build_schema(PARTNERS_PLAIN)
    setattr(schema.type_map["_Entity"], "resolve_type", lambda *_: "Partner")  # noqa: B010

    def entities(_info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        return [PARTNERS.get(r.get("id", "")) for r in representations]

    root = {"partners": lambda _info: list(PARTNERS.values()), "_entities": entities}
    return ServedSubgraph("partners", schema, root, secret)


@asynccontextmanager
async def serve_subgraphs(*subgraphs: ServedSubgraph) -> AsyncIterator[None]:
    async with AsyncExitStack() as stack:
        for subgraph in subgraphs:
            app = Starlette(routes=[Route("/graphql", subgraph.handle, methods=["POST"])])
            subgraph.url = await stack.enter_async_context(serving(app, "/graphql"))
        yield


def supergraph_sdl(
    deals_url: str = "http://deals.invalid/graphql",
    partners_url: str = "http://partners.invalid/graphql",
) -> str:
    composition = compose(
        [
            SubgraphSource("deals", deals_url, DEALS_FED),
            SubgraphSource("partners", partners_url, PARTNERS_FED),
        ]
    )
    return composition.supergraph_sdl


def policy_set(*rules: dict[str, Any], version: int = 1) -> PolicySet:
    return PolicySet(version=version, rules=tuple(rules_from_dicts(list(rules))))


def reseller(partner_id: str = "p1", regions: tuple[str, ...] = ("EU",)) -> Principal:
    return Principal(
        subject=f"user-{partner_id}",
        partner_id=partner_id,
        partner_kind="RESELLER",
        tier="GOLD",
        regions=regions,
        roles=("sales",),
        auth_method=AuthMethod.JWT,
    )


@dataclass
class Graph:
    deals: ServedSubgraph
    partners: ServedSubgraph
    sdl: str

    def gateway(self, policies: Policies, **options: Any) -> Gateway:
        config = GatewayConfig(
            subgraph_urls={"deals": self.deals.url, "partners": self.partners.url}
        )
        return Gateway.from_sdl(self.sdl, config, policies=policies, **options)

    @property
    def sent(self) -> str:
        return self.deals.queries + "\n" + self.partners.queries


@asynccontextmanager
async def served_graph(secret: bytes | None = None) -> AsyncIterator[Graph]:
    graph = Graph(deals_subgraph(secret), partners_subgraph(secret), supergraph_sdl())
    async with serve_subgraphs(graph.deals, graph.partners):
        yield graph
