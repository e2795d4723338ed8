"""Fixtures for the serving tests: a gateway over the test supergraph, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from serving_support import supergraph_sdl

from gateway.config import GatewayConfig
from gateway.gateway import Gateway
from gateway.server import create_app


@pytest.fixture
def config() -> GatewayConfig:
    return GatewayConfig()


@pytest.fixture
async def gateway(config: GatewayConfig) -> AsyncIterator[Gateway]:
    gateway = Gateway.from_sdl(supergraph_sdl(), config)
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client
