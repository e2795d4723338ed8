"""Fixtures for the subgraph tests: a seeded database and the three apps over it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from subgraph_harness import GatewaySigner, Subgraph

from resolvers.mongo import Document
from resolvers.seed import seed
from subgraphs.deals.app import create_app as create_deals
from subgraphs.inventory.app import create_app as create_inventory
from subgraphs.partners.app import create_app as create_partners

APPS: dict[str, Callable[[AsyncDatabase[Any]], Starlette]] = {
    "partners": create_partners,
    "deals": create_deals,
    "inventory": create_inventory,
}


@pytest.fixture
async def seeded(db: AsyncDatabase[Document]) -> AsyncDatabase[Document]:
    await seed(db, reset=True)
    return db


async def _subgraph(name: str, db: AsyncDatabase[Document]) -> AsyncIterator[Subgraph]:
    app = APPS[name](db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://subgraph", auth=GatewaySigner()
    ) as client:
        yield Subgraph(client)


@pytest.fixture
async def partners(seeded: AsyncDatabase[Document]) -> AsyncIterator[Subgraph]:
    async for subgraph in _subgraph("partners", seeded):
        yield subgraph


@pytest.fixture
async def deals(seeded: AsyncDatabase[Document]) -> AsyncIterator[Subgraph]:
    async for subgraph in _subgraph("deals", seeded):
        yield subgraph


@pytest.fixture
async def inventory(seeded: AsyncDatabase[Document]) -> AsyncIterator[Subgraph]:
    async for subgraph in _subgraph("inventory", seeded):
        yield subgraph
