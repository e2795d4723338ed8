"""Health endpoints for operators and orchestrators.

`GET /healthz`: the process answers (liveness). `GET /readyz`: a supergraph is loaded and
the gateway serves it (readiness); 503 otherwise, e.g. while shutting down. With live
reload, the body also says which schema generation serves and, when the last reload failed,
`lastReloadError` (still 200: the previous schema keeps serving).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from gateway.reload.reloader import SupergraphReloader


class Readiness(Protocol):
    @property
    def ready(self) -> bool: ...


def health_routes(gateway: Readiness, reloader: SupergraphReloader | None = None) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> JSONResponse:
        if gateway.ready:
            body: dict[str, Any] = {"status": "ready"}
            if reloader is not None:
                status = reloader.status
                body["generation"] = status.generation
                body["supergraphHash"] = status.supergraph_hash
                failure = status.last_failure
                body["lastReloadError"] = None if failure is None else failure.summary()
            return JSONResponse(body)
        return JSONResponse({"status": "not ready"}, status_code=503)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
