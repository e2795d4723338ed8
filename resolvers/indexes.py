"""Indexes of the bundled subgraphs' collections, created at start (idempotent).

They back the list filters (partner, stage, kind, category, supplier, warehouse) and the
rule "one open registration per customer and product" (`deals.open_key`, unique; only open
deals carry the field, so the index is sparse).
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.deals import DEALS
from resolvers.inventory import INVENTORY, WAREHOUSES
from resolvers.outbox import ensure_outbox_indexes
from resolvers.partners import PARTNERS, PRODUCTS

INDEXES: dict[str, list[IndexModel]] = {
    PARTNERS: [
        IndexModel([("kind", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("region", ASCENDING), ("_id", ASCENDING)]),
    ],
    PRODUCTS: [
        IndexModel([("category", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("supplier_ids", ASCENDING)]),
    ],
    DEALS: [
        IndexModel([("partner_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("stage", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("product_sku", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("open_key", ASCENDING)], unique=True, sparse=True, name="one_open_deal"),
    ],
    INVENTORY: [
        IndexModel([("sku", ASCENDING), ("warehouse_id", ASCENDING)], unique=True),
        IndexModel([("warehouse_id", ASCENDING), ("_id", ASCENDING)]),
    ],
}


async def ensure_indexes(db: AsyncDatabase[Any]) -> None:
    """Create the collections and their indexes, so writes in transactions find them."""
    existing = set(await db.list_collection_names())
    for name in (*INDEXES, WAREHOUSES):
        if name not in existing:
            await db.create_collection(name)
    for collection, models in INDEXES.items():
        await db[collection].create_indexes(models)
    await ensure_outbox_indexes(db)  # the subgraphs write the outbox the relay reads
