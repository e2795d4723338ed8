"""The seam the integrator wires: a Strawberry subgraph behind `RequireGatewaySignature`
reads the caller's principal in `get_context`; a gateway-side httpx call signs its body."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import strawberry
from auth_support import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.types import Info

from policies.auth.settings import load_or_create_secret
from policies.principal import AuthMethod, Principal
from policies.signing import RequireGatewaySignature, sign, signed_principal

SECRET = b"subgraph-secret-shared-with-the-gateway!"
SUPPLIER = Principal(
    subject="app-3",
    partner_id="P-S01",
    partner_kind="SUPPLIER",
    roles=("supplier_app",),
    auth_method=AuthMethod.API_KEY,
)


@strawberry.type
class Query:
    @strawberry.field
    def caller(self, info: Info[dict[str, Any], None]) -> str:
        principal: Principal = info.context["principal"]
        return f"{principal.partner_id}/{principal.auth_method}"


class SignedGraphQL(GraphQL[dict[str, Any], None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        return {"principal": signed_principal(request)}


@pytest.fixture
async def subgraph_url() -> AsyncIterator[str]:
    graphql = SignedGraphQL(strawberry.Schema(query=Query))
    app = Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"])])
    async with serving(RequireGatewaySignature(app, SECRET)) as url:
        yield f"{url}/graphql"


async def test_a_strawberry_subgraph_sees_the_signed_principal(subgraph_url: str) -> None:
    body = orjson.dumps({"query": "{ caller }"})
    headers = {"content-type": "application/json", **sign(body, SUPPLIER, SECRET)}
    async with httpx.AsyncClient() as client:
        signed = await client.post(subgraph_url, content=body, headers=headers)
        unsigned = await client.post(subgraph_url, json={"query": "{ caller }"})
    assert signed.status_code == 200
    assert signed.json() == {"data": {"caller": "P-S01/api_key"}}
    assert unsigned.status_code == 401
    assert unsigned.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_processes_starting_together_share_one_generated_secret(tmp_path: Path) -> None:
    """The gateway and its subgraphs may start at once: all must read the same secret."""
    path = tmp_path / "data" / "subgraph-secret"
    results: list[bytes] = []
    start = threading.Barrier(8)

    def load() -> None:
        start.wait()
        results.append(load_or_create_secret(path))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert path.read_bytes() == results[0]
    assert sorted(p.name for p in path.parent.iterdir()) == ["subgraph-secret"]
