"""The `deals` subgraph: the `Deal` entity, `Partner.deals`, and the registration workflow.

`Deal.product` provides the product's `name` from the copy taken at registration
(`@provides`), so a deal list needs no jump to the partners subgraph for names. Money is a
`Float` in currency units (stored as integer cents); `discount` is a percentage.
"""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from resolvers import deals as repo
from resolvers.deals import DealStage
from resolvers.inputs import cents_to_money
from subgraphs.common.context import SubgraphContext
from subgraphs.common.pagination import DEFAULT_PAGE_SIZE, Page, decode_cursor, make_page, page_size
from subgraphs.common.schema import PARTNER_VISIBLE, SubgraphSchema

strawberry.enum(
    DealStage,
    description="REGISTERED -> APPROVED -> WON | LOST | EXPIRED; the last three are final.",
)

Ctx = Info[SubgraphContext, None]


def deal_loader(info: Ctx) -> DataLoader[str, repo.Deal | None]:
    db = info.context.db
    return info.context.loader("deals", lambda ids: repo.deals_by_ids(db, ids))


# Entities owned by the partners subgraph carry no description here: the owner's is used.
@strawberry.federation.type(keys=[Key(fields=FieldSet("sku"), resolvable=False)])
class Product:
    sku: strawberry.ID
    name: str = strawberry.federation.field(external=True)


@strawberry.federation.type(keys=["id"])
class Partner:
    id: strawberry.ID

    @strawberry.field(description="The partner's deals, in id order.")
    async def deals(
        self,
        info: Ctx,
        stage: DealStage | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[Deal]:
        where = repo.DealFilter(partner_id=str(self.id), stage=stage)
        return await _page(info, where, first, after)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Partner:
        return cls(id=id)


@strawberry.federation.type(keys=["id"], description="A deal a channel partner registered.")
class Deal:
    id: strawberry.ID
    customer: str = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    product: Product = strawberry.federation.field(provides=["name"], tags=[PARTNER_VISIBLE])
    partner: Partner
    stage: DealStage = strawberry.federation.field(tags=[PARTNER_VISIBLE])
    amount: float = strawberry.federation.field(
        tags=[PARTNER_VISIBLE], description="Deal value in currency units."
    )
    discount: float = strawberry.field(description="Discount granted, in percent.")
    vendor_margin: float = strawberry.field(description="The vendor's margin, currency units.")
    expected_close: date
    notes: str | None
    risk_score: float = strawberry.federation.field(
        inaccessible=True, description="Internal review heuristic, 0..1."
    )
    version: int
    updated_at: datetime

    @classmethod
    def from_record(cls, record: repo.Deal) -> Deal:
        return cls(
            id=strawberry.ID(record.id),
            customer=record.customer,
            product=Product(sku=strawberry.ID(record.product_sku), name=record.product_name),
            partner=Partner(id=strawberry.ID(record.partner_id)),
            stage=record.stage,
            amount=cents_to_money(record.amount_cents),
            discount=record.discount_bps / 100,
            vendor_margin=cents_to_money(record.vendor_margin_cents),
            expected_close=record.expected_close,
            notes=record.notes,
            risk_score=record.risk_score,
            version=record.version,
            updated_at=record.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Ctx, id: strawberry.ID) -> Deal | None:
        record = await deal_loader(info).load(str(id))
        return None if record is None else cls.from_record(record)


async def _page(info: Ctx, where: repo.DealFilter, first: int, after: str | None) -> Page[Deal]:
    size = page_size(first)
    records = await repo.list_deals(
        info.context.db, where, after=decode_cursor(after), limit=size + 1
    )
    return make_page(records, size, lambda r: r.id, Deal.from_record)


@strawberry.input(description="Deals matching every field given.")
class DealFilter:
    partner_id: strawberry.ID | None = None
    stage: DealStage | None = None
    product_sku: strawberry.ID | None = None


@strawberry.input
class RegisterDealInput:
    customer: str
    product_sku: strawberry.ID
    partner_id: strawberry.ID
    amount: float = strawberry.field(description="Deal value in currency units.")
    discount: float = strawberry.field(default=0.0, description="Requested discount, percent.")
    expected_close: date
    notes: str | None = None


@strawberry.input(description="Fields to change; omitted fields stay as they are.")
class UpdateDealInput:
    customer: str | None = None
    amount: float | None = None
    discount: float | None = None
    expected_close: date | None = None
    notes: str | None = strawberry.field(default=None, description='"" clears the notes.')


@strawberry.type
class Query:
    @strawberry.field
    async def deal(self, info: Ctx, id: strawberry.ID) -> Deal | None:
        return await Deal.resolve_reference(info, id)

    @strawberry.field(description="Deals in id order.")
    async def deals(
        self,
        info: Ctx,
        filter: DealFilter | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> Page[Deal]:
        where = repo.DealFilter()
        if filter is not None:
            where = repo.DealFilter(
                partner_id=None if filter.partner_id is None else str(filter.partner_id),
                stage=filter.stage,
                product_sku=None if filter.product_sku is None else str(filter.product_sku),
            )
        return await _page(info, where, first, after)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a deal; it starts REGISTERED at version 1.")
    async def register_deal(self, info: Ctx, input: RegisterDealInput) -> Deal:
        new = repo.NewDeal(
            customer=input.customer,
            product_sku=str(input.product_sku),
            partner_id=str(input.partner_id),
            amount=input.amount,
            discount=input.discount,
            expected_close=input.expected_close,
            notes=input.notes,
        )
        return Deal.from_record(await repo.register_deal(info.context.db, new))

    @strawberry.mutation(description="Move a deal to its next stage (legal transitions only).")
    async def advance_deal_stage(
        self, info: Ctx, id: strawberry.ID, version: int, to: DealStage
    ) -> Deal:
        record = await repo.advance_deal_stage(info.context.db, str(id), version, to)
        return Deal.from_record(record)

    @strawberry.mutation(description="Edit an open deal; `version` is the one you read.")
    async def update_deal(
        self, info: Ctx, id: strawberry.ID, version: int, input: UpdateDealInput
    ) -> Deal:
        changes = repo.DealChanges(
            customer=input.customer,
            amount=input.amount,
            discount=input.discount,
            expected_close=input.expected_close,
            notes=input.notes,
        )
        record = await repo.update_deal(info.context.db, str(id), version, changes)
        return Deal.from_record(record)


schema = SubgraphSchema(query=Query, mutation=Mutation)
