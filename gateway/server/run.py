"""Run the gateway with uvicorn until SIGINT/SIGTERM, then shut down cleanly (exit 0)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from gateway.config import GatewayConfig
from gateway.server.app import create_app
from gateway.servers import Listener, serve_all
from gateway.supergraph import SupergraphError

logger = logging.getLogger(__name__)


async def serve(
    supergraph_path: str,
    host: str = "127.0.0.1",
    port: int = 4000,
    config: GatewayConfig | None = None,
) -> None:
    """Load the supergraph, then serve it until a signal. Raises `SupergraphError` if the
    supergraph cannot be loaded (nothing is served then)."""
    from gateway.gateway import Gateway  # imported here: gateway.gateway imports this package

    config = replace(config or GatewayConfig(), host=host, port=port)
    gateway = Gateway.from_file(supergraph_path, config)
    logger.info("serving %s on http://%s:%d/graphql", gateway.supergraph, host, port)
    await serve_all([Listener("gateway", create_app(gateway, config), host, port)])


def run_server(supergraph_path: str, host: str = "127.0.0.1", port: int = 4000) -> None:
    """`partnergraph serve`: returns after a clean shutdown; exits with a message (status 1)
    when the supergraph cannot be loaded."""
    try:
        asyncio.run(serve(supergraph_path, host, port))
    except SupergraphError as exc:
        raise SystemExit(f"partnergraph serve: {exc}") from exc
