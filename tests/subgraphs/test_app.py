"""The apps create their indexes at start, on an empty database."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.mongo import Document
from subgraphs.registry import SUBGRAPHS


async def test_start_creates_indexes(db: AsyncDatabase[Document]) -> None:
    app = SUBGRAPHS["deals"].create_app(db)
    async with app.router.lifespan_context(app):
        indexes = await db["deals"].index_information()
    assert indexes["one_open_deal"]["unique"] is True
    assert {"partners", "products", "deals", "warehouses", "inventory"} <= set(
        await db.list_collection_names()
    )
