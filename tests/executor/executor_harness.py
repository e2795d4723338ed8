"""Real subgraph servers for executor tests.

Each `Subgraph` is a graphql-core schema built from a small SDL, executed for real and served
over HTTP by uvicorn on a free 127.0.0.1 port, inside the test's event loop. It records every
request (body, headers) and the order in which requests start and end, and can be told to
misbehave (answer HTTP 500, answer non-JSON, stall, or answer with a given payload).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLSchema, build_schema, graphql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.executor import Executor
from tests.asgi_server import free_socket as free_socket  # re-exported
from tests.asgi_server import serving

ENTITIES_SDL = """
scalar _Any
extend type Query { _entities(representations: [_Any!]!): [_Entity]! }
"""

Resolve = Callable[[dict[str, Any]], Any]


@dataclass
class Subgraph:
    """One subgraph. `root` is the root value: plain values, or callables `(info, **args)`.
    `entities` maps a `__typename` to a function from a representation to an object (or None);
    `entity_types` lists the `_Entity` union members."""

    name: str
    sdl: str
    root: dict[str, Any] = field(default_factory=dict)
    entities: dict[str, Resolve] = field(default_factory=dict)
    mutation: dict[str, Any] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)
    """The client port of each request: equal ports mean a reused keep-alive connection."""
    events: list[tuple[str, str, int]] | None = None
    """(event, subgraph, request number) in order; may be shared by several subgraphs."""
    before: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    """Awaited before answering (e.g. to stall, or to wait for another request)."""
    respond: Callable[[dict[str, Any]], Response | None] | None = None
    """Answers instead of executing, when it returns a response."""
    url: str = ""
    schema: GraphQLSchema = field(init=False)

    def __post_init__(self) -> None:
        sdl = self.sdl
        if self.entities:
            sdl += ENTITIES_SDL + f"union _Entity = {' | '.join(self.entities)}\n"
        self.schema = build_schema(sdl)
        if self.events is None:
            self.events = []

    @property
    def entity_calls(self) -> list[list[dict[str, Any]]]:
        """The representations of each `_entities` request, in order."""
        return [
            r["variables"]["representations"]
            for r in self.requests
            if "representations" in r.get("variables", {})
        ]

    async def handle(self, request: Request) -> Response:
        body = orjson.loads(await request.body())
        number = len(self.requests)
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        self.peers.append(request.client.port if request.client else -1)
        assert self.events is not None
        self.events.append(("start", self.name, number))
        try:
            if self.before is not None:
                await self.before(body)
            if self.respond is not None:
                response = self.respond(body)
                if response is not None:
                    return response
            return await self._execute(body)
        finally:
            self.events.append(("end", self.name, number))

    async def _execute(self, body: dict[str, Any]) -> Response:
        root = dict(self.root)
        if self.entities:
            root["_entities"] = self._resolve_entities
        is_mutation = body["query"].lstrip().startswith("mutation")
        result = await graphql(
            self.schema,
            body["query"],
            root_value=dict(self.mutation) if is_mutation else root,
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        return Response(orjson.dumps(result.formatted), media_type="application/json")

    def _resolve_entities(self, _info: Any, representations: list[dict[str, Any]]) -> list[Any]:
        out = []
        for representation in representations:
            found = self.entities[representation["__typename"]](representation)
            if isinstance(found, dict):
                found = {"__typename": representation["__typename"], **found}
            out.append(found)
        return out


@asynccontextmanager
async def serve(*subgraphs: Subgraph) -> AsyncIterator[None]:
    """Serve every subgraph on its own free port (setting `.url`) until the block ends."""
    async with AsyncExitStack() as stack:
        for subgraph in subgraphs:
            app = Starlette(routes=[Route("/graphql", subgraph.handle, methods=["POST"])])
            url = serving(app, "/graphql", timeout_keep_alive=5)
            subgraph.url = await stack.enter_async_context(url)
        yield


@asynccontextmanager
async def gateway(
    api_sdl: str, *subgraphs: Subgraph, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> AsyncIterator[Executor]:
    """Serve `subgraphs` and yield an executor for them over the API schema `api_sdl`."""
    async with serve(*subgraphs):
        executor = Executor(
            build_schema(api_sdl),
            {s.name: s.url for s in subgraphs},
            timeout=timeout,
            headers=headers,
        )
        try:
            yield executor
        finally:
            await executor.aclose()
