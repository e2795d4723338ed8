"""One HTTP server for the corpus's fixture subgraphs (Starlette on uvicorn, 127.0.0.1).

Every subgraph of every set gets its own endpoint, `POST /<set>/<subgraph>`, speaking
GraphQL over HTTP (JSON). One server keeps the corpus light on a 2-core machine; the
gateway still makes real HTTP calls. Each set has one `Recorder`.

Test control (used by the runner and by reference.mjs):

- `POST /<set>/<subgraph>/__fault` `{"fault": 500 | "short_entities" | null}`: answer with
  that HTTP status, or drop the last element of `_entities`, until cleared;
- `POST /<set>/__reset`: clear the set's recorder and faults;
- `GET /<set>/__log`: what the set's subgraphs saw (requests, mutation calls, violations).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .subgraph import Recorder, StrictSubgraph

Fault = int | str | None
SHORT_ENTITIES = "short_entities"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _json(value: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status, media_type="application/json")


def _bad_request(message: str, status: int = 400) -> Response:
    return _json({"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}, status)


class CorpusApp:
    """The ASGI app: routes requests to the strict subgraphs of each set."""

    def __init__(self, sets: Mapping[str, Mapping[str, StrictSubgraph]]):
        self.sets = sets
        self.recorders: dict[str, Recorder] = {}
        for name, subgraphs in sets.items():
            for subgraph in subgraphs.values():
                self.recorders[name] = subgraph.recorder
        self.faults: dict[tuple[str, str], Fault] = {}
        self.app = Starlette(
            routes=[
                Route("/{set}/__log", self._log, methods=["GET"]),
                Route("/{set}/__reset", self._reset, methods=["POST"]),
                Route("/{set}/{subgraph}/__fault", self._fault, methods=["POST"]),
                Route("/{set}/{subgraph}", self._graphql, methods=["POST"]),
            ]
        )

    def set_fault(self, set_name: str, subgraph: str, fault: Fault) -> None:
        if fault is None:
            self.faults.pop((set_name, subgraph), None)
        else:
            self.faults[(set_name, subgraph)] = fault

    def reset(self, set_name: str) -> None:
        recorder = self.recorders.get(set_name)
        if recorder is not None:
            recorder.clear()
        for key in [k for k in self.faults if k[0] == set_name]:
            del self.faults[key]

    async def _graphql(self, request: Request) -> Response:
        set_name, name = request.path_params["set"], request.path_params["subgraph"]
        subgraph = self.sets.get(set_name, {}).get(name)
        if subgraph is None:
            return _bad_request(f"no subgraph {set_name}/{name} in the corpus", 404)
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _bad_request("the body is not JSON: send {query, variables, operationName}")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _bad_request("the body must be a JSON object with a string `query`")
        fault = self.faults.get((set_name, name))
        if isinstance(fault, int):
            subgraph.recorder.request(name, body)
            return Response("injected fault", status_code=fault, media_type="text/plain")
        result = subgraph.execute(body)
        data = result.get("data")
        if fault == SHORT_ENTITIES and isinstance(data, dict):
            entities = data.get("_entities")
            if isinstance(entities, list) and entities:
                data["_entities"] = entities[:-1]
        return _json(result)

    async def _fault(self, request: Request) -> Response:
        try:
            body = orjson.loads(await request.body() or b"{}")
        except orjson.JSONDecodeError:
            return _bad_request(
                'the body is not JSON: send {"fault": 500 | "short_entities" | null}'
            )
        fault = body.get("fault") if isinstance(body, dict) else None
        if not (fault is None or fault == SHORT_ENTITIES or isinstance(fault, int)):
            return _bad_request(
                f'unknown fault {fault!r}: use an HTTP status, "short_entities" or null'
            )
        self.set_fault(request.path_params["set"], request.path_params["subgraph"], fault)
        return _json({"ok": True})

    async def _reset(self, request: Request) -> Response:
        self.reset(request.path_params["set"])
        return _json({"ok": True})

    async def _log(self, request: Request) -> Response:
        recorder = self.recorders.get(request.path_params["set"])
        if recorder is None:
            return _json({"error": "no such set"}, 404)
        return _json(
            {
                "requests": [asdict(r) for r in recorder.requests],
                "mutation_calls": recorder.mutation_calls,
                "violations": recorder.violations,
            }
        )


class ServerThread:
    """Runs a `CorpusApp` under uvicorn in a background thread (its own event loop), so a
    gateway under test in the test's loop cannot stall the subgraphs, nor they it."""

    def __init__(self, app: CorpusApp, port: int | None = None):
        self.app = app
        self.port = port or free_port()
        config = uvicorn.Config(
            app.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="corpus-subgraphs", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, set_name: str, subgraph: str) -> str:
        return f"{self.base_url}/{set_name}/{subgraph}"

    def _run(self) -> None:
        asyncio.run(self._server.serve())

    def start(self) -> None:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"corpus subgraph server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join()
