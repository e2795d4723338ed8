"""The MongoDB connection, through PyMongo's asyncio API.

`AsyncMongoClient` is the official successor of Motor (retired by MongoDB): native asyncio,
no thread pool in between.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

DEFAULT_DATABASE = "partnergraph"

Document = dict[str, Any]


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, uuidRepresentation="standard")


def database(
    client: AsyncMongoClient[Document], name: str = DEFAULT_DATABASE
) -> AsyncDatabase[Document]:
    return client[name]
