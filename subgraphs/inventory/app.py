"""ASGI app of the `inventory` subgraph."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from subgraphs.common.app import create_subgraph_app
from subgraphs.inventory.schema import schema

NAME = "inventory"
DEFAULT_PORT = 4003


def create_app(db: AsyncDatabase[Any]) -> Starlette:
    return create_subgraph_app(schema, db)
