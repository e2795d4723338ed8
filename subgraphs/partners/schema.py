"""The `partners` subgraph: `Partner` and `Product` entities, owned by the vendor.

Money is a `Float` in currency units (stored as integer cents).
"""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from resolvers import inputs
from resolvers import partners as repo
from resolvers.partners import PartnerKind, PartnerTier
from subgraphs.common.context import SubgraphContext
from subgraphs.common.pagination import DEFAULT_PAGE_SIZE, Page, decode_cursor, make_page, page_size
from subgraphs.common.schema import PARTNER_VISIBLE, SubgraphSchema

strawberry.enum(PartnerKind, description="What a partner does in the channel.")
strawberry.enum(PartnerTier, description="Program tier; higher tiers get deeper discounts.")

Ctx = Info[SubgraphContext, None]


def partner_loader(info: Ctx) -> DataLoader[str, repo.Partner | None]:
    db = info.context.db
    return info.context.loader("partners", lambda ids: repo.partners_by_ids(db, ids))


def product_loader(info: Ctx) -> DataLoader[str, repo.Product | None]:
    db = info.context.db
    return info.context.loader("products", lambda skus: repo.products_by_skus(db, skus))


@strawberry.type(description="A person to talk to at a partner.")
class Contact:
    name: str
    email: str
    role: str


@strawberry.federation.type(keys=["id"], description="A reseller, distributor or supplier.")
class Partner:
    id: strawberry.ID
    name: str = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    kind: PartnerKind = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    tier: PartnerTier
    region: str = strawberry.field(description="NA, LATAM, EMEA or APAC.")
    contacts: list[Contact]
    internal_notes: str | None = strawberry.federation.field(
        inaccessible=True, description="The vendor's own notes; never in the public graph."
    )
    version: int
    updated_at: datetime

    @classmethod
    def from_record(cls, record: repo.Partner) -> Partner:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            kind=record.kind,
            tier=record.tier,
            region=record.region,
            contacts=[Contact(name=c.name, email=c.email, role=c.role) for c in record.contacts],
            internal_notes=record.internal_notes,
            version=record.version,
            updated_at=record.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Partner | None:
        record = await partner_loader(info).load(str(id))
        return None if record is None else cls.from_record(record)


@strawberry.federation.type(keys=["sku"], description="A product in the vendor's catalog.")
class Product:
    sku: strawberry.ID
    name: str = strawberry.federation.field(shareable=True, tags=[PARTNER_VISIBLE])
    category: str = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    list_price: float = strawberry.federation.field(
        tags=[PARTNER_VISIBLE], description="List price in currency units."
    )
    version: int
    updated_at: datetime
    supplier_ids: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="The suppliers whose components go into the product.")
    async def suppliers(self, info: Ctx) -> list[Partner]:
        records = await partner_loader(info).load_many(list(self.supplier_ids))
        return [Partner.from_record(record) for record in records if record is not None]

    @classmethod
    def from_record(cls, record: repo.Product) -> Product:
        return cls(
            sku=strawberry.ID(record.sku),
            name=record.name,
            category=record.category,
            list_price=inputs.cents_to_money(record.list_price_cents),
            version=record.version,
            updated_at=record.updated_at,
            supplier_ids=record.supplier_ids,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, sku: strawberry.ID) -> Product | None:
        record = await product_loader(info).load(str(sku))
        return None if record is None else cls.from_record(record)


@strawberry.input
class ContactInput:
    name: str
    email: str
    role: str


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class UpdatePartnerInput:
    name: str | None = None
    tier: PartnerTier | None = None
    region: str | None = None
    contacts: list[ContactInput] | None = None


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class UpdateProductInput:
    name: str | None = None
    category: str | None = None
    list_price: float | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def partner(self, info: Ctx, id: strawberry.ID) -> Partner | None:
        return await Partner.resolve_reference(info, id)

    @strawberry.field(description="Partners in id order.")
    async def partners(
        self,
        info: Ctx,
        kind: PartnerKind | None = None,
        region: str | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[Partner]:
        size = page_size(first)
        records = await repo.list_partners(
            info.context.db, kind=kind, region=region, after=decode_cursor(after), limit=size + 1
        )
        return make_page(records, size, lambda r: r.id, Partner.from_record)

    @strawberry.field
    async def product(self, info: Ctx, sku: strawberry.ID) -> Product | None:
        return await Product.resolve_reference(info, sku)

    @strawberry.field(description="Products in SKU order.")
    async def products(
        self,
        info: Ctx,
        category: str | None = None,
        supplier_id: strawberry.ID | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[Product]:
        size = page_size(first)
        records = await repo.list_products(
            info.context.db,
            category=category,
            supplier_id=None if supplier_id is None else str(supplier_id),
            after=decode_cursor(after),
            limit=size + 1,
        )
        return make_page(records, size, lambda r: r.sku, Product.from_record)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Change a partner's profile; `version` is the one you read.")
    async def update_partner(
        self, info: Ctx, id: strawberry.ID, version: int, input: UpdatePartnerInput
    ) -> Partner:
        contacts = (
            None
            if input.contacts is None
            else [repo.Contact(c.name, c.email, c.role) for c in input.contacts]
        )
        changes = repo.PartnerChanges(
            name=input.name, tier=input.tier, region=input.region, contacts=contacts
        )
        record = await repo.update_partner(info.context.db, str(id), version, changes)
        return Partner.from_record(record)

    @strawberry.mutation(description="Change a catalog entry; `version` is the one you read.")
    async def update_product(
        self, info: Ctx, sku: strawberry.ID, version: int, input: UpdateProductInput
    ) -> Product:
        changes = repo.ProductChanges(
            name=input.name, category=input.category, list_price=input.list_price
        )
        record = await repo.update_product(info.context.db, str(sku), version, changes)
        return Product.from_record(record)


schema = SubgraphSchema(query=Query, mutation=Mutation)
