"""The admin API tests' graph, subgraph, callers and request helper.

The graph has one subgraph (deals), written here as a graphql-core schema served for real
over HTTP when a test previews a query; other tests point the gateway at a closed port.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import httpx
import orjson
from graphql import GraphQLSchema, build_schema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.supergraph import Supergraph
from policies.auth import mint_token
from policies.principal import AuthMethod, Principal
from tests.asgi_server import serving as serving  # re-exported for the tests here

SECRET = b"admin-api-tests-secret-of-at-least-32-bytes"
UNREACHABLE = "http://127.0.0.1:9/graphql"

SUPERGRAPH = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{ query: Query mutation: Mutation }

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean)
  repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__implements(graph: join__Graph!, interface: String!)
  repeatable on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import])
  repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph { DEALS @join__graph(name: "deals", url: "DEALS_URL") }

type Query @join__type(graph: DEALS) {
  deals: [Deal!]!
  deal(id: ID!): Deal
}
type Mutation @join__type(graph: DEALS) {
  closeDeal(id: ID!): Deal
}
type Deal @join__type(graph: DEALS, key: "id") {
  id: ID!
  title: String!
  amount: Int
  partnerId: String
}
"""

DEALS_SDL = """
type Query { deals: [Deal!]! deal(id: ID!): Deal }
type Mutation { closeDeal(id: ID!): Deal }
type Deal { id: ID! title: String! amount: Int partnerId: String }
"""

DEALS = [
    {"id": "d1", "title": "Fleet renewal", "amount": 120, "partnerId": "P-R01"},
    {"id": "d2", "title": "Edge rollout", "amount": 80, "partnerId": "P-R02"},
]


def supergraph_sdl(deals_url: str = UNREACHABLE) -> str:
    return SUPERGRAPH.replace("DEALS_URL", deals_url)


def mounted(app: Any) -> Starlette:
    """The admin app mounted as the integrator mounts it."""
    return Starlette(routes=[Route("/admin/graphql", app)])


class NotPreviewing:
    """The gateway of tests that never preview: reaching it is a test failure."""

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        principal: Principal,
    ) -> dict[str, Any]:
        raise AssertionError(f"this test was not meant to reach the gateway ({query!r})")


@cache
def api_schema() -> GraphQLSchema:
    return Supergraph.from_sdl(supergraph_sdl()).api_schema


def caller(
    subject: str,
    *,
    kind: str | None = None,
    partner_id: str | None = None,
    roles: tuple[str, ...] = (),
) -> Principal:
    return Principal(
        subject=subject,
        partner_id=partner_id,
        partner_kind=kind,
        tier="GOLD" if kind else None,
        roles=roles,
        auth_method=AuthMethod.JWT,
    )


ADMIN = caller("admin-1", kind="VENDOR", partner_id="vendor", roles=("admin",))
OTHER_ADMIN = caller("admin-2", kind="VENDOR", partner_id="vendor", roles=("admin",))
RESELLER = caller("reseller-user", kind="RESELLER", partner_id="P-R01")


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, SECRET, ttl=600)}"}


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    as_: Principal | None = ADMIN,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a GraphQL request as `as_` (None: no credentials)."""
    sent = dict(headers or (bearer(as_) if as_ is not None else {}))
    return await client.post("/admin/graphql", json={"query": query, "variables": variables},
                             headers=sent)  # fmt: skip


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    as_: Principal | None = ADMIN,
) -> dict[str, Any]:
    """The response body of a request the API accepted at the HTTP level."""
    response = await post(client, query, variables, as_=as_)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


# -- the deals subgraph, served for real ----------------------------------------------------


def deals_app(received: list[dict[str, Any]]) -> Starlette:
    """The deals subgraph; records each request's body and principal header names."""
    schema = build_schema(DEALS_SDL)
    root = {
        "deals": lambda _info: DEALS,
        "deal": lambda _info, id: next((d for d in DEALS if d["id"] == id), None),
    }

    async def handle(request: Request) -> Response:
        body = orjson.loads(await request.body())
        received.append(body)
        result = await graphql(
            schema, body["query"], root_value=root, variable_values=body.get("variables")
        )
        return Response(orjson.dumps(result.formatted), media_type="application/json")

    return Starlette(routes=[Route("/graphql", handle, methods=["POST"])])
