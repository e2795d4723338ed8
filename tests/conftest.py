"""Shared fixtures: a real MongoDB-protocol server and the real Redis server.

One `secantusd-py` (in memory) serves the whole session; each test gets a database of its
own. Redis is the shared server on 127.0.0.1:6379; each test gets a key prefix of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.embedded_mongo import EmbeddedMongo
from resolvers.mongo import Document, connect

REDIS_URL = os.environ.get("PARTNERGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
async def mongo_server() -> AsyncIterator[EmbeddedMongo]:
    server = await EmbeddedMongo.start(":memory:")
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def mongo_client(mongo_server: EmbeddedMongo) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = connect(mongo_server.url)
    yield client
    await client.close()


@pytest.fixture
async def db(mongo_client: AsyncMongoClient[Document]) -> AsyncIterator[AsyncDatabase[Document]]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        await client.ping()
    except Exception as exc:  # pragma: no cover - environment problem, not a test result
        pytest.fail(f"Redis is not answering at {REDIS_URL}: {exc}")
    yield client
    await client.aclose()


@pytest.fixture
def key_prefix() -> Iterator[str]:
    yield f"pgtest:{uuid.uuid4().hex[:8]}:"
