"""A manufacturer's stock per warehouse (the `inventory` subgraph's data).

Collections: `warehouses` (`_id` = warehouse id) and `inventory`, one document per
(SKU, warehouse) with `_id` = `"<sku>@<warehouseId>"`, so a batch of composite keys is one
`$in` query. `available` is derived (`on_hand - reserved`) and never stored. Stock never
goes below zero and never below what is reserved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import inputs
from resolvers.errors import DomainError, ErrorCode
from resolvers.events import ChangeEvent
from resolvers.outbox import record_change
from resolvers.partners import products_by_skus
from resolvers.writes import apply_versioned, atomic, check_version, not_found

WAREHOUSES = "warehouses"
INVENTORY = "inventory"

ItemKey = tuple[str, str]  # (sku, warehouse id)


@dataclass(frozen=True, slots=True)
class Warehouse:
    id: str
    name: str
    region: str


@dataclass(frozen=True, slots=True)
class InventoryItem:
    sku: str
    warehouse_id: str
    on_hand: int
    reserved: int
    reorder_point: int
    unit_cost_cents: int
    restock_eta: date | None
    version: int
    updated_at: datetime

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def below_reorder_point(self) -> bool:
        return self.available < self.reorder_point


def item_id(sku: str, warehouse_id: str) -> str:
    return f"{sku}@{warehouse_id}"


def warehouse_from_doc(doc: dict[str, Any]) -> Warehouse:
    return Warehouse(id=doc["_id"], name=doc["name"], region=doc["region"])


def item_from_doc(doc: dict[str, Any]) -> InventoryItem:
    eta = doc.get("restock_eta")
    return InventoryItem(
        sku=doc["sku"],
        warehouse_id=doc["warehouse_id"],
        on_hand=int(doc["on_hand"]),
        reserved=int(doc["reserved"]),
        reorder_point=int(doc["reorder_point"]),
        unit_cost_cents=int(doc["unit_cost_cents"]),
        restock_eta=None if eta is None else date.fromisoformat(eta),
        version=int(doc["version"]),
        updated_at=doc["updated_at"],
    )


async def warehouses_by_ids(db: AsyncDatabase[Any], ids: Iterable[str]) -> dict[str, Warehouse]:
    """One query for many ids; unknown ids are absent from the result."""
    cursor = db[WAREHOUSES].find({"_id": {"$in": list(set(ids))}})
    return {doc["_id"]: warehouse_from_doc(doc) async for doc in cursor}


async def list_warehouses(db: AsyncDatabase[Any]) -> list[Warehouse]:
    return [warehouse_from_doc(doc) async for doc in db[WAREHOUSES].find().sort("_id", 1)]


async def items_by_keys(
    db: AsyncDatabase[Any], keys: Iterable[ItemKey]
) -> dict[ItemKey, InventoryItem]:
    """One query for many (sku, warehouse) keys; unknown keys are absent."""
    cursor = db[INVENTORY].find({"_id": {"$in": sorted({item_id(*key) for key in keys})}})
    items = [item_from_doc(doc) async for doc in cursor]
    return {(item.sku, item.warehouse_id): item for item in items}


async def items_by_skus(
    db: AsyncDatabase[Any], skus: Iterable[str]
) -> dict[str, list[InventoryItem]]:
    """Every warehouse's stock of each SKU, in one query; SKUs without stock map to []."""
    wanted = sorted(set(skus))
    found: dict[str, list[InventoryItem]] = {sku: [] for sku in wanted}
    async for doc in db[INVENTORY].find({"sku": {"$in": wanted}}).sort("_id", 1):
        found[doc["sku"]].append(item_from_doc(doc))
    return found


async def list_items(
    db: AsyncDatabase[Any],
    *,
    warehouse_id: str | None = None,
    sku: str | None = None,
    below_reorder_point: bool | None = None,
    after: str | None = None,
    limit: int,
) -> list[InventoryItem]:
    """Items in (sku, warehouse) order, starting after the item id `after`."""
    query: dict[str, Any] = {}
    if warehouse_id is not None:
        query["warehouse_id"] = warehouse_id
    if sku is not None:
        query["sku"] = sku
    if after is not None:
        query["_id"] = {"$gt": after}
    if below_reorder_point is not None:
        available = {"$subtract": ["$on_hand", "$reserved"]}
        op = "$lt" if below_reorder_point else "$gte"
        query["$expr"] = {op: [available, "$reorder_point"]}
    cursor = db[INVENTORY].find(query).sort("_id", 1).limit(limit)
    return [item_from_doc(doc) async for doc in cursor]


Stock = tuple[int, int]  # (on_hand, reserved)


async def _change_stock(
    db: AsyncDatabase[Any],
    sku: str,
    warehouse_id: str,
    expected_version: int | None,
    compute: Callable[[Stock], Stock],
    changed: tuple[str, ...],
) -> InventoryItem:
    """Read, compute the new stock, write it and its event, in one transaction."""
    if expected_version is not None:
        inputs.version(expected_version)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        doc = await db[INVENTORY].find_one({"_id": item_id(sku, warehouse_id)}, session=session)
        if doc is None:
            raise not_found(f"inventory for {sku!r} in warehouse {warehouse_id!r}")
        if expected_version is not None:
            check_version(doc, expected_version, f"inventory for {sku!r} in {warehouse_id!r}")
        on_hand, reserved = compute((int(doc["on_hand"]), int(doc["reserved"])))
        updated = await apply_versioned(
            db, session, INVENTORY, doc, {"on_hand": on_hand, "reserved": reserved}
        )
        product = (await products_by_skus(db, [sku], session)).get(sku)
        await record_change(
            db,
            session,
            ChangeEvent(
                entity_type="InventoryItem",
                key={"sku": sku, "warehouseId": warehouse_id},
                changed_fields=changed,
                version=updated["version"],
                partner_ids=() if product is None else product.supplier_ids,
                occurred_at=updated["updated_at"],
            ),
        )
        return updated

    return item_from_doc(await atomic(db, work))


def _insufficient(message: str, available: int) -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_STOCK, message, available=available)


async def adjust_stock(
    db: AsyncDatabase[Any],
    sku: str,
    warehouse_id: str,
    delta: int,
    expected_version: int | None = None,
) -> InventoryItem:
    """Add (receipt) or remove (shrinkage, shipment) units on hand; one event.

    On hand can drop to what is reserved, never below it (and so never below zero).
    """
    change = inputs.stock_delta(delta, "delta")

    def compute(stock: Stock) -> Stock:
        on_hand, reserved = stock
        if on_hand + change < reserved:
            raise _insufficient(
                f"cannot remove {-change} units: {on_hand} on hand, {reserved} reserved, "
                f"so at most {on_hand - reserved} can be removed",
                on_hand - reserved,
            )
        return on_hand + change, reserved

    return await _change_stock(
        db, sku, warehouse_id, expected_version, compute, ("onHand", "available")
    )


async def reserve_stock(
    db: AsyncDatabase[Any],
    sku: str,
    warehouse_id: str,
    amount: int,
    expected_version: int | None = None,
) -> InventoryItem:
    """Set aside available units for an order; one event."""
    units = inputs.quantity(amount, "quantity")

    def compute(stock: Stock) -> Stock:
        on_hand, reserved = stock
        if units > on_hand - reserved:
            raise _insufficient(
                f"cannot reserve {units} units: only {on_hand - reserved} available",
                on_hand - reserved,
            )
        return on_hand, reserved + units

    return await _change_stock(
        db, sku, warehouse_id, expected_version, compute, ("reserved", "available")
    )


async def release_stock(
    db: AsyncDatabase[Any],
    sku: str,
    warehouse_id: str,
    amount: int,
    expected_version: int | None = None,
) -> InventoryItem:
    """Return reserved units to available; one event."""
    units = inputs.quantity(amount, "quantity")

    def compute(stock: Stock) -> Stock:
        on_hand, reserved = stock
        if units > reserved:
            raise inputs.bad_input(
                "quantity", f"cannot release {units} units: only {reserved} reserved"
            )
        return on_hand, reserved - units

    return await _change_stock(
        db, sku, warehouse_id, expected_version, compute, ("reserved", "available")
    )
