"""ASGI app of the `deals` subgraph."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from subgraphs.common.app import create_subgraph_app
from subgraphs.deals.schema import schema

NAME = "deals"
DEFAULT_PORT = 4002


def create_app(db: AsyncDatabase[Any]) -> Starlette:
    return create_subgraph_app(schema, db)
