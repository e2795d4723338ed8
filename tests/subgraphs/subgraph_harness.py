"""Helpers for the subgraph tests: drive an app over HTTP, look at the database."""

from __future__ import annotations

from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from policies.auth import AuthSettings
from policies.principal import ANONYMOUS, Principal
from policies.signing import sign
from resolvers.mongo import Document


class GatewaySigner(httpx.Auth):
    """Signs each request as the gateway does (the subgraphs accept only signed calls),
    with the subgraph secret the apps use by default."""

    requires_request_body = True

    def __init__(self, principal: Principal = ANONYMOUS) -> None:
        self.secret = AuthSettings.from_env().subgraph_secret
        self.principal = principal

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers.update(sign(request.content, self.principal, self.secret))
        yield request


class Subgraph:
    """One subgraph app driven in-process over HTTP (httpx's ASGI transport)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The response's data, asserting it has no errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


async def snapshot(db: AsyncDatabase[Document]) -> dict[str, list[Document]]:
    """Every document of every collection, to show that a request changed nothing."""
    names = sorted(await db.list_collection_names())
    return {name: [doc async for doc in db[name].find().sort("_id", 1)] for name in names}


async def outbox(db: AsyncDatabase[Document]) -> list[Document]:
    return [doc async for doc in db["outbox"].find().sort("seq", 1)]
