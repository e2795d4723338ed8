"""No side door: subgraphs take only calls the gateway signed, and learn the caller from them."""

from __future__ import annotations

import httpx
import orjson
from enforcement_harness import served_graph
from pymongo.asynchronous.database import AsyncDatabase

from gateway.enforcement import UNRESTRICTED
from policies.principal import ANONYMOUS, AuthMethod, Principal
from policies.signing import PRINCIPAL_HEADER, decode_principal, sign
from resolvers.mongo import Document
from subgraphs.common.app import create_subgraph_app
from subgraphs.deals.schema import schema as deals_schema

SECRET = b"s" * 32
QUERY = {"query": "{ __typename }"}


async def test_unsigned_direct_call_to_a_bundled_subgraph_is_refused(
    db: AsyncDatabase[Document],
) -> None:
    app = create_subgraph_app(deals_schema, db, secret=SECRET)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://deals") as client:
        unsigned = await client.post("/graphql", json=QUERY)
        forged = await client.post(
            "/graphql", json=QUERY, headers=sign(orjson.dumps(QUERY), ANONYMOUS, b"x" * 32)
        )
        body = orjson.dumps(QUERY)
        signed = await client.post(
            "/graphql",
            content=body,
            headers={"content-type": "application/json", **sign(body, ANONYMOUS, SECRET)},
        )
        health = await client.get("/healthz")
    assert unsigned.status_code == 401
    assert unsigned.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert forged.status_code == 401
    assert signed.status_code == 200 and signed.json() == {"data": {"__typename": "Query"}}
    assert health.status_code == 200


async def test_the_gateway_signs_every_subgraph_call_for_the_caller() -> None:
    caller = Principal(
        subject="u1", partner_id="p1", partner_kind="RESELLER", auth_method=AuthMethod.JWT
    )
    async with served_graph(secret=SECRET) as graph:
        signed = graph.gateway(UNRESTRICTED, signing_secret=SECRET)
        unsigned = graph.gateway(UNRESTRICTED, signing_secret=None)
        try:
            ok = await signed.execute("{ deals { id partner { name } } }", principal=caller)
            refused = await unsigned.execute("{ deals { id } }")
        finally:
            await signed.aclose()
            await unsigned.aclose()
        assert ok["data"]["deals"][0] == {"id": "d1", "partner": {"name": "Acme"}}
        # Both subgraphs (the root fetch and the entity jump) saw the caller, verified.
        seen = [decode_principal(h[PRINCIPAL_HEADER]) for h in graph.deals.headers]
        seen += [decode_principal(h[PRINCIPAL_HEADER]) for h in graph.partners.headers]
        assert len(seen) == 2
        assert {(p.subject, p.partner_id) for p in seen} == {("u1", "p1")}
    assert refused["data"] is None
    # The subgraph refused the unsigned call (401); its error reaches the caller as is.
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
