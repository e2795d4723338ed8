"""Fixtures for the serving tests: a gateway over the test supergraph, an HTTP client.

Building a gateway takes a noticeable fraction of a second, so `gateway` hands out one
shared gateway per configuration (tests override `config` to change it). Tests that close
their gateway use `fresh_gateway`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from serving_support import supergraph_sdl

from gateway.config import GatewayConfig
from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app


@pytest.fixture
def config() -> GatewayConfig:
    return GatewayConfig()


@pytest.fixture(scope="session")
async def shared_gateways() -> AsyncIterator[dict[GatewayConfig, Gateway]]:
    gateways: dict[GatewayConfig, Gateway] = {}
    yield gateways
    for gateway in gateways.values():
        await gateway.aclose()


@pytest.fixture
def gateway(config: GatewayConfig, shared_gateways: dict[GatewayConfig, Gateway]) -> Gateway:
    if config not in shared_gateways:
        shared_gateways[config] = Gateway.from_sdl(supergraph_sdl(), config, policies=UNRESTRICTED)
    return shared_gateways[config]


@pytest.fixture
async def fresh_gateway(config: GatewayConfig) -> AsyncIterator[Gateway]:
    gateway = Gateway.from_sdl(supergraph_sdl(), config, policies=UNRESTRICTED)
    yield gateway
    await gateway.aclose()


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(gateway))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client
