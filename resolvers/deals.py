"""Deal registration (the `deals` subgraph's data).

Collection `deals` (`_id` = deal id, `D-000001`). A channel partner registers a deal for a
customer and a product; the vendor approves it; it ends WON, LOST or EXPIRED. The first
open registration for a customer and product wins: `open_key` (unique, present only while
the deal is open) makes a second one a `CONFLICT`.

Money is integer cents, discounts are basis points. The vendor's margin is derived from the
amount and the discount the vendor grants (`VENDOR_LIST_MARGIN_BPS` minus the discount).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import inputs
from resolvers.errors import DomainError, ErrorCode
from resolvers.events import ChangeEvent, now_ms
from resolvers.outbox import record_change
from resolvers.partners import PartnerKind, partners_by_ids, products_by_skus
from resolvers.writes import apply_versioned, atomic, check_version, not_found

DEALS = "deals"
DEAL_ID_COUNTER = "deal_id"
VENDOR_LIST_MARGIN_BPS = 3500
MAX_DISCOUNT_PERCENT = 30.0


class DealStage(StrEnum):
    REGISTERED = "REGISTERED"
    APPROVED = "APPROVED"
    WON = "WON"
    LOST = "LOST"
    EXPIRED = "EXPIRED"


TRANSITIONS: dict[DealStage, frozenset[DealStage]] = {
    DealStage.REGISTERED: frozenset({DealStage.APPROVED}),
    DealStage.APPROVED: frozenset({DealStage.WON, DealStage.LOST, DealStage.EXPIRED}),
    DealStage.WON: frozenset(),
    DealStage.LOST: frozenset(),
    DealStage.EXPIRED: frozenset(),
}
OPEN_STAGES = frozenset({DealStage.REGISTERED, DealStage.APPROVED})

# GraphQL names of what a registration sets (the event of a new deal lists them all).
REGISTERED_FIELDS = (
    "customer", "product", "partner", "stage", "amount", "discount", "vendorMargin",
    "expectedClose", "notes",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Deal:
    id: str
    customer: str
    product_sku: str
    product_name: str
    partner_id: str
    stage: DealStage
    amount_cents: int
    discount_bps: int
    vendor_margin_cents: int
    expected_close: date
    notes: str | None
    risk_score: float
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewDeal:
    customer: str
    product_sku: str
    partner_id: str
    amount: float
    discount: float
    expected_close: date
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class DealChanges:
    """Fields to change; `None` leaves a field as it is, `notes=""` clears the notes."""

    customer: str | None = None
    amount: float | None = None
    discount: float | None = None
    expected_close: date | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class DealFilter:
    partner_id: str | None = None
    stage: DealStage | None = None
    product_sku: str | None = None


def deal_from_doc(doc: dict[str, Any]) -> Deal:
    return Deal(
        id=doc["_id"],
        customer=doc["customer"],
        product_sku=doc["product_sku"],
        product_name=doc["product_name"],
        partner_id=doc["partner_id"],
        stage=DealStage(doc["stage"]),
        amount_cents=int(doc["amount_cents"]),
        discount_bps=int(doc["discount_bps"]),
        vendor_margin_cents=int(doc["vendor_margin_cents"]),
        expected_close=date.fromisoformat(doc["expected_close"]),
        notes=doc.get("notes"),
        risk_score=float(doc["risk_score"]),
        version=int(doc["version"]),
        updated_at=doc["updated_at"],
    )


def vendor_margin_cents(amount_cents: int, discount_bps: int) -> int:
    return amount_cents * (VENDOR_LIST_MARGIN_BPS - discount_bps) // 10_000


def risk_score(amount_cents: int, discount_bps: int) -> float:
    """An internal heuristic (0..1): deep discounts and large deals need more scrutiny."""
    size = 0.3 if amount_cents >= 25_000_000 else 0.1 if amount_cents >= 5_000_000 else 0.0
    return round(min(1.0, 0.1 + discount_bps / 3000 * 0.6 + size), 2)


def open_key(customer: str, product_sku: str) -> str:
    return f"{' '.join(customer.lower().split())}|{product_sku}"


def deal_id(number: int) -> str:
    return f"D-{number:06d}"


async def deals_by_ids(db: AsyncDatabase[Any], ids: Iterable[str]) -> dict[str, Deal]:
    """One query for many ids; unknown ids are absent from the result."""
    cursor = db[DEALS].find({"_id": {"$in": list(set(ids))}})
    return {doc["_id"]: deal_from_doc(doc) async for doc in cursor}


async def list_deals(
    db: AsyncDatabase[Any], where: DealFilter, *, after: str | None = None, limit: int
) -> list[Deal]:
    """Deals matching `where` in id order, starting after the id `after`."""
    query: dict[str, Any] = {}
    if where.partner_id is not None:
        query["partner_id"] = where.partner_id
    if where.stage is not None:
        query["stage"] = str(where.stage)
    if where.product_sku is not None:
        query["product_sku"] = where.product_sku
    if after is not None:
        query["_id"] = {"$gt": after}
    cursor = db[DEALS].find(query).sort("_id", 1).limit(limit)
    return [deal_from_doc(doc) async for doc in cursor]


def _event(doc: dict[str, Any], changed: tuple[str, ...]) -> ChangeEvent:
    return ChangeEvent(
        entity_type="Deal",
        key={"id": doc["_id"]},
        changed_fields=changed,
        version=int(doc["version"]),
        partner_ids=(doc["partner_id"],),
        occurred_at=doc["updated_at"],
    )


async def register_deal(db: AsyncDatabase[Any], new: NewDeal) -> Deal:
    """Register a channel partner's deal (stage REGISTERED, version 1); one `Deal` event."""
    customer = inputs.text(new.customer, "customer")
    sku = inputs.text(new.product_sku, "productSku")
    partner_id = inputs.text(new.partner_id, "partnerId")
    amount = inputs.money_cents(new.amount, "amount")
    discount = inputs.percent_bps(new.discount, "discount", maximum=MAX_DISCOUNT_PERCENT)
    expected_close = inputs.iso_date(new.expected_close, "expectedClose")
    notes = inputs.optional_text(new.notes, "notes", max_length=inputs.MAX_NOTES_LENGTH)
    key = open_key(customer, sku)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        product = (await products_by_skus(db, [sku], session)).get(sku)
        if product is None:
            raise not_found(f"product {sku!r}")
        partner = (await partners_by_ids(db, [partner_id], session)).get(partner_id)
        if partner is None:
            raise not_found(f"partner {partner_id!r}")
        if partner.kind == PartnerKind.SUPPLIER:
            raise inputs.bad_input(
                "partnerId", "deals are registered by channel partners (RESELLER or DISTRIBUTOR)"
            )
        existing = await db[DEALS].find_one({"open_key": key}, {"_id": 1}, session=session)
        if existing is not None:
            raise DomainError(
                ErrorCode.CONFLICT,
                f"an open deal for this customer and product is already registered "
                f"({existing['_id']})",
            )
        counter = await db["counters"].find_one_and_update(
            {"_id": DEAL_ID_COUNTER}, {"$inc": {"seq": 1}}, upsert=True,
            return_document=True, session=session,
        )  # fmt: skip
        assert counter is not None  # upsert=True with return_document=True
        doc = {
            "_id": deal_id(int(counter["seq"])),
            "customer": customer,
            "product_sku": sku,
            "product_name": product.name,
            "partner_id": partner_id,
            "stage": str(DealStage.REGISTERED),
            "amount_cents": amount,
            "discount_bps": discount,
            "vendor_margin_cents": vendor_margin_cents(amount, discount),
            "expected_close": expected_close,
            "notes": notes,
            "risk_score": risk_score(amount, discount),
            "open_key": key,
            "version": 1,
            "updated_at": now_ms(),
        }
        await db[DEALS].insert_one(doc, session=session)
        await record_change(db, session, _event(doc, REGISTERED_FIELDS))
        return doc

    return deal_from_doc(
        await atomic(
            db, work, duplicate_message="an open deal for this customer and product exists"
        )
    )


async def advance_deal_stage(
    db: AsyncDatabase[Any], deal: str, version: int, to: DealStage
) -> Deal:
    """Move a deal along its lifecycle (legal transitions only); one `Deal` event."""
    inputs.version(version)
    target = DealStage(to)

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        doc = await db[DEALS].find_one({"_id": deal}, session=session)
        if doc is None:
            raise not_found(f"deal {deal!r}")
        check_version(doc, version, f"deal {deal!r}")
        current = DealStage(doc["stage"])
        allowed = TRANSITIONS[current]
        if target not in allowed:
            options = ", ".join(sorted(allowed)) or "none, the deal is closed"
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"a {current} deal cannot move to {target} (allowed: {options})",
                stage=str(current),
            )
        closing = target not in OPEN_STAGES
        updated = await apply_versioned(
            db, session, DEALS, doc, {"stage": str(target)}, unset=("open_key",) if closing else ()
        )
        await record_change(db, session, _event(updated, ("stage",)))
        return updated

    return deal_from_doc(await atomic(db, work))


async def update_deal(
    db: AsyncDatabase[Any], deal: str, version: int, changes: DealChanges
) -> Deal:
    """Edit an open deal if `version` is current; one `Deal` event listing what changed.

    A request that changes nothing writes nothing and records no event.
    """
    inputs.version(version)
    customer = None if changes.customer is None else inputs.text(changes.customer, "customer")
    amount = None if changes.amount is None else inputs.money_cents(changes.amount, "amount")
    discount = (
        None
        if changes.discount is None
        else inputs.percent_bps(changes.discount, "discount", maximum=MAX_DISCOUNT_PERCENT)
    )
    expected_close = (
        None
        if changes.expected_close is None
        else inputs.iso_date(changes.expected_close, "expectedClose")
    )
    notes = (
        None
        if changes.notes is None
        else inputs.optional_text(changes.notes, "notes", max_length=inputs.MAX_NOTES_LENGTH)
    )
    if all(
        value is None
        for value in (changes.customer, changes.amount, changes.discount, changes.expected_close,
                      changes.notes)
    ):  # fmt: skip
        raise inputs.bad_input("input", "name at least one field to change")

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        doc = await db[DEALS].find_one({"_id": deal}, session=session)
        if doc is None:
            raise not_found(f"deal {deal!r}")
        check_version(doc, version, f"deal {deal!r}")
        stage = DealStage(doc["stage"])
        if stage not in OPEN_STAGES:
            raise DomainError(
                ErrorCode.INVALID_TRANSITION,
                f"the deal is closed ({stage}); closed deals cannot be edited",
                stage=str(stage),
            )
        new: dict[str, Any] = {}
        changed: list[str] = []

        def put(storage: str, value: Any, field: str | None = None) -> None:
            """Stage a change; `field` is its GraphQL name, None for internal fields."""
            if doc.get(storage) != value:
                new[storage] = value
                if field is not None:
                    changed.append(field)

        if customer is not None:
            put("customer", customer, "customer")
            put("open_key", open_key(customer, doc["product_sku"]))
        new_amount = doc["amount_cents"] if amount is None else amount
        new_discount = doc["discount_bps"] if discount is None else discount
        put("amount_cents", new_amount, "amount")
        put("discount_bps", new_discount, "discount")
        put("vendor_margin_cents", vendor_margin_cents(new_amount, new_discount), "vendorMargin")
        put("risk_score", risk_score(new_amount, new_discount))
        if expected_close is not None:
            put("expected_close", expected_close, "expectedClose")
        if changes.notes is not None:
            put("notes", notes, "notes")
        if not changed:
            return doc
        if "open_key" in new and await db[DEALS].find_one(
            {"open_key": new["open_key"], "_id": {"$ne": deal}}, {"_id": 1}, session=session
        ):
            raise DomainError(
                ErrorCode.CONFLICT, "an open deal for this customer and product is registered"
            )
        updated = await apply_versioned(db, session, DEALS, doc, new)
        await record_change(db, session, _event(updated, tuple(changed)))
        return updated

    return deal_from_doc(
        await atomic(
            db, work, duplicate_message="an open deal for this customer and product exists"
        )
    )
