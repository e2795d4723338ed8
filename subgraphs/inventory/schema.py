"""The `inventory` subgraph: `InventoryItem` (composite key), `Warehouse`, and stock on
`Product`.

`Product.inventoryValue` needs the list price, which the partners subgraph owns: it is
`@external` here and the gateway passes it in the representation (`@requires`). Money is a
`Float` in currency units (stored as integer cents).
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from resolvers import inventory as repo
from resolvers import partners as catalog
from resolvers.errors import DomainError, ErrorCode
from resolvers.inputs import cents_to_money
from subgraphs.common.context import SubgraphContext
from subgraphs.common.pagination import DEFAULT_PAGE_SIZE, Page, decode_cursor, make_page, page_size
from subgraphs.common.schema import PARTNER_VISIBLE, SubgraphSchema

Ctx = Info[SubgraphContext, None]


def warehouse_loader(info: Ctx) -> DataLoader[str, repo.Warehouse | None]:
    db = info.context.db
    return info.context.loader("warehouses", lambda ids: repo.warehouses_by_ids(db, ids))


def item_loader(info: Ctx) -> DataLoader[repo.ItemKey, repo.InventoryItem | None]:
    db = info.context.db
    return info.context.loader("items", lambda keys: repo.items_by_keys(db, keys))


def stock_loader(info: Ctx) -> DataLoader[str, list[repo.InventoryItem] | None]:
    db = info.context.db
    return info.context.loader("stock", lambda skus: repo.items_by_skus(db, skus))


def catalog_loader(info: Ctx) -> DataLoader[str, catalog.Product | None]:
    db = info.context.db
    return info.context.loader("catalog", lambda skus: catalog.products_by_skus(db, skus))


async def _stock(info: Ctx, sku: str) -> list[repo.InventoryItem]:
    return await stock_loader(info).load(sku) or []


@strawberry.federation.type(keys=["id"], description="A warehouse holding stock.")
class Warehouse:
    id: strawberry.ID
    name: str = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    region: str

    @strawberry.field(description="Stock held here, in SKU order.")
    async def items(
        self,
        info: Ctx,
        below_reorder_point: bool | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[InventoryItem]:
        return await _items_page(info, str(self.id), None, below_reorder_point, first, after)

    @classmethod
    def from_record(cls, record: repo.Warehouse) -> Warehouse:
        return cls(id=strawberry.ID(record.id), name=record.name, region=record.region)

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Warehouse | None:
        record = await warehouse_loader(info).load(str(id))
        return None if record is None else cls.from_record(record)


# The partners subgraph owns Product and its description.
@strawberry.federation.type(keys=["sku"])
class Product:
    sku: strawberry.ID
    list_price: float | None = strawberry.federation.field(
        external=True, graphql_type=float, default=None
    )

    @strawberry.federation.field(shareable=True)
    async def name(self, info: Ctx) -> str:
        record = await catalog_loader(info).load(str(self.sku))
        if record is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"product {self.sku!r} does not exist")
        return record.name

    @strawberry.field(description="Stock per warehouse.")
    async def inventory(self, info: Ctx) -> list[InventoryItem]:
        return [InventoryItem.from_record(item) for item in await _stock(info, str(self.sku))]

    @strawberry.federation.field(
        tags=[PARTNER_VISIBLE], description="Units available across all warehouses."
    )
    async def available_to_promise(self, info: Ctx) -> int:
        return sum(item.available for item in await _stock(info, str(self.sku)))

    @strawberry.federation.field(
        requires=["listPrice"], description="Units on hand valued at list price."
    )
    async def inventory_value(self, info: Ctx) -> float:
        if self.list_price is None:
            raise DomainError(
                ErrorCode.BAD_USER_INPUT,
                "inventoryValue needs Product.listPrice: query it through the gateway",
            )
        units = sum(item.on_hand for item in await _stock(info, str(self.sku)))
        return round(units * self.list_price, 2)

    @classmethod
    async def resolve_reference(
        cls, info: Ctx, sku: strawberry.ID, listPrice: float | None = None
    ) -> Product | None:
        if await catalog_loader(info).load(str(sku)) is None:
            return None
        return cls(sku=sku, list_price=listPrice)


@strawberry.federation.type(
    keys=["sku warehouseId"], description="Stock of one product in one warehouse."
)
class InventoryItem:
    sku: strawberry.ID
    warehouse_id: strawberry.ID
    on_hand: int = strawberry.field(description="Units physically in the warehouse.")
    reserved: int = strawberry.field(description="Units set aside for orders.")
    available: int = strawberry.federation.field(
        tags=[PARTNER_VISIBLE], description="On hand minus reserved."
    )
    reorder_point: int
    below_reorder_point: bool = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    unit_cost: float = strawberry.field(description="The manufacturer's cost per unit.")
    stock_value: float = strawberry.field(description="Units on hand valued at unit cost.")
    restock_eta: date | None = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    version: int
    updated_at: datetime

    @strawberry.field
    def product(self) -> Product:
        return Product(sku=self.sku)

    @strawberry.field
    async def warehouse(self, info: Ctx) -> Warehouse:
        record = await warehouse_loader(info).load(str(self.warehouse_id))
        if record is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"warehouse {self.warehouse_id!r} is gone")
        return Warehouse.from_record(record)

    @classmethod
    def from_record(cls, record: repo.InventoryItem) -> InventoryItem:
        return cls(
            sku=strawberry.ID(record.sku),
            warehouse_id=strawberry.ID(record.warehouse_id),
            on_hand=record.on_hand,
            reserved=record.reserved,
            available=record.available,
            reorder_point=record.reorder_point,
            below_reorder_point=record.below_reorder_point,
            unit_cost=cents_to_money(record.unit_cost_cents),
            stock_value=cents_to_money(record.on_hand * record.unit_cost_cents),
            restock_eta=record.restock_eta,
            version=record.version,
            updated_at=record.updated_at,
        )

    @classmethod
    async def resolve_reference(
        cls, info: Ctx, sku: strawberry.ID, warehouseId: strawberry.ID
    ) -> InventoryItem | None:
        record = await item_loader(info).load((str(sku), str(warehouseId)))
        return None if record is None else cls.from_record(record)


async def _items_page(
    info: Ctx,
    warehouse_id: str | None,
    sku: str | None,
    below_reorder_point: bool | None,
    first: int,
    after: str | None,
) -> Page[InventoryItem]:
    size = page_size(first)
    records = await repo.list_items(
        info.context.db,
        warehouse_id=warehouse_id,
        sku=sku,
        below_reorder_point=below_reorder_point,
        after=decode_cursor(after),
        limit=size + 1,
    )
    return make_page(
        records, size, lambda r: repo.item_id(r.sku, r.warehouse_id), InventoryItem.from_record
    )


@strawberry.type
class Query:
    @strawberry.field
    async def warehouse(self, info: Ctx, id: strawberry.ID) -> Warehouse | None:
        return await Warehouse.resolve_reference(info, id)

    @strawberry.field
    async def warehouses(self, info: Ctx) -> list[Warehouse]:
        return [Warehouse.from_record(r) for r in await repo.list_warehouses(info.context.db)]

    @strawberry.field
    async def inventory_item(
        self, info: Ctx, sku: strawberry.ID, warehouse_id: strawberry.ID
    ) -> InventoryItem | None:
        return await InventoryItem.resolve_reference(info, sku, warehouse_id)

    @strawberry.field(description="Stock in (SKU, warehouse) order.")
    async def inventory_items(
        self,
        info: Ctx,
        warehouse_id: strawberry.ID | None = None,
        sku: strawberry.ID | None = None,
        below_reorder_point: bool | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[InventoryItem]:
        return await _items_page(
            info,
            None if warehouse_id is None else str(warehouse_id),
            None if sku is None else str(sku),
            below_reorder_point,
            first,
            after,
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Add (positive delta) or remove (negative) units on hand. On hand never "
        "drops below what is reserved."
    )
    async def adjust_stock(
        self,
        info: Ctx,
        sku: strawberry.ID,
        warehouse_id: strawberry.ID,
        delta: int,
        expected_version: int | None = None,
    ) -> InventoryItem:
        record = await repo.adjust_stock(
            info.context.db, str(sku), str(warehouse_id), delta, expected_version
        )
        return InventoryItem.from_record(record)

    @strawberry.mutation(description="Set aside available units for an order.")
    async def reserve_stock(
        self,
        info: Ctx,
        sku: strawberry.ID,
        warehouse_id: strawberry.ID,
        quantity: int,
        expected_version: int | None = None,
    ) -> InventoryItem:
        record = await repo.reserve_stock(
            info.context.db, str(sku), str(warehouse_id), quantity, expected_version
        )
        return InventoryItem.from_record(record)

    @strawberry.mutation(description="Return reserved units to available.")
    async def release_stock(
        self,
        info: Ctx,
        sku: strawberry.ID,
        warehouse_id: strawberry.ID,
        quantity: int,
        expected_version: int | None = None,
    ) -> InventoryItem:
        record = await repo.release_stock(
            info.context.db, str(sku), str(warehouse_id), quantity, expected_version
        )
        return InventoryItem.from_record(record)


schema = SubgraphSchema(query=Query, mutation=Mutation)
