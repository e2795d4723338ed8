"""Health endpoints for operators and orchestrators.

`GET /healthz`: the process answers (liveness). `GET /readyz`: a supergraph is loaded and
the gateway serves it (readiness); 503 otherwise, e.g. while shutting down.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class Readiness(Protocol):
    @property
    def ready(self) -> bool: ...


def health_routes(gateway: Readiness) -> list[Route]:
    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> JSONResponse:
        if gateway.ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, status_code=503)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
