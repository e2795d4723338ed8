"""The vendor's partner directory and product catalog (the `partners` subgraph's data).

Collections: `partners` (`_id` = partner id) and `products` (`_id` = SKU). The deals and
inventory repositories read both read-only, to check references and to find the partners a
record concerns; only this module writes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import inputs
from resolvers.events import ChangeEvent
from resolvers.outbox import record_change
from resolvers.writes import apply_versioned, atomic, check_version, not_found

PARTNERS = "partners"
PRODUCTS = "products"
REGIONS = ("NA", "LATAM", "EMEA", "APAC")
MAX_CONTACTS = 20


class PartnerKind(StrEnum):
    RESELLER = "RESELLER"
    DISTRIBUTOR = "DISTRIBUTOR"
    SUPPLIER = "SUPPLIER"


class PartnerTier(StrEnum):
    PLATINUM = "PLATINUM"
    GOLD = "GOLD"
    SILVER = "SILVER"
    REGISTERED = "REGISTERED"


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str
    role: str


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    kind: PartnerKind
    tier: PartnerTier
    region: str
    contacts: tuple[Contact, ...]
    internal_notes: str | None
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    list_price_cents: int
    supplier_ids: tuple[str, ...]
    version: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PartnerChanges:
    """Fields to change; `None` leaves a field as it is."""

    name: str | None = None
    tier: PartnerTier | None = None
    region: str | None = None
    contacts: Sequence[Contact] | None = None


@dataclass(frozen=True, slots=True)
class ProductChanges:
    name: str | None = None
    category: str | None = None
    list_price: float | None = None


def partner_from_doc(doc: dict[str, Any]) -> Partner:
    return Partner(
        id=doc["_id"],
        name=doc["name"],
        kind=PartnerKind(doc["kind"]),
        tier=PartnerTier(doc["tier"]),
        region=doc["region"],
        contacts=tuple(Contact(c["name"], c["email"], c["role"]) for c in doc["contacts"]),
        internal_notes=doc.get("internal_notes"),
        version=int(doc["version"]),
        updated_at=doc["updated_at"],
    )


def product_from_doc(doc: dict[str, Any]) -> Product:
    return Product(
        sku=doc["_id"],
        name=doc["name"],
        category=doc["category"],
        list_price_cents=int(doc["list_price_cents"]),
        supplier_ids=tuple(doc["supplier_ids"]),
        version=int(doc["version"]),
        updated_at=doc["updated_at"],
    )


async def partners_by_ids(
    db: AsyncDatabase[Any], ids: Iterable[str], session: AsyncClientSession | None = None
) -> dict[str, Partner]:
    """One query for many ids; unknown ids are absent from the result."""
    cursor = db[PARTNERS].find({"_id": {"$in": list(set(ids))}}, session=session)
    return {doc["_id"]: partner_from_doc(doc) async for doc in cursor}


async def products_by_skus(
    db: AsyncDatabase[Any], skus: Iterable[str], session: AsyncClientSession | None = None
) -> dict[str, Product]:
    """One query for many SKUs; unknown SKUs are absent from the result."""
    cursor = db[PRODUCTS].find({"_id": {"$in": list(set(skus))}}, session=session)
    return {doc["_id"]: product_from_doc(doc) async for doc in cursor}


async def list_partners(
    db: AsyncDatabase[Any],
    *,
    kind: PartnerKind | None = None,
    region: str | None = None,
    after: str | None = None,
    limit: int,
) -> list[Partner]:
    """Partners in id order, starting after the id `after`."""
    query: dict[str, Any] = {}
    if kind is not None:
        query["kind"] = str(kind)
    if region is not None:
        query["region"] = region
    if after is not None:
        query["_id"] = {"$gt": after}
    cursor = db[PARTNERS].find(query).sort("_id", 1).limit(limit)
    return [partner_from_doc(doc) async for doc in cursor]


async def list_products(
    db: AsyncDatabase[Any],
    *,
    category: str | None = None,
    supplier_id: str | None = None,
    after: str | None = None,
    limit: int,
) -> list[Product]:
    """Products in SKU order, starting after the SKU `after`."""
    query: dict[str, Any] = {}
    if category is not None:
        query["category"] = category
    if supplier_id is not None:
        query["supplier_ids"] = supplier_id
    if after is not None:
        query["_id"] = {"$gt": after}
    cursor = db[PRODUCTS].find(query).sort("_id", 1).limit(limit)
    return [product_from_doc(doc) async for doc in cursor]


def _region(value: str) -> str:
    if value not in REGIONS:
        raise inputs.bad_input("region", f"must be one of {', '.join(REGIONS)}")
    return value


def _contacts(contacts: Sequence[Contact]) -> list[dict[str, str]]:
    if len(contacts) > MAX_CONTACTS:
        raise inputs.bad_input("contacts", f"at most {MAX_CONTACTS} contacts")
    docs = []
    for index, contact in enumerate(contacts):
        email = inputs.text(contact.email, f"contacts[{index}].email", max_length=254)
        if "@" not in email.strip("@") or " " in email:
            raise inputs.bad_input(f"contacts[{index}].email", "must be an email address")
        docs.append(
            {
                "name": inputs.text(contact.name, f"contacts[{index}].name"),
                "email": email,
                "role": inputs.text(contact.role, f"contacts[{index}].role"),
            }
        )
    return docs


def _diff(doc: dict[str, Any], wanted: dict[str, tuple[str, Any]]) -> dict[str, tuple[str, Any]]:
    """The entries of `wanted` (storage name -> (GraphQL name, value)) that differ."""
    return {name: entry for name, entry in wanted.items() if doc.get(name) != entry[1]}


async def update_partner(
    db: AsyncDatabase[Any], partner_id: str, version: int, changes: PartnerChanges
) -> Partner:
    """Change a partner's profile if `version` is current; records one `Partner` event.

    A request that changes nothing writes nothing and records no event.
    """
    inputs.version(version)
    wanted: dict[str, tuple[str, Any]] = {}
    if changes.name is not None:
        wanted["name"] = ("name", inputs.text(changes.name, "name"))
    if changes.tier is not None:
        wanted["tier"] = ("tier", str(PartnerTier(changes.tier)))
    if changes.region is not None:
        wanted["region"] = ("region", _region(changes.region))
    if changes.contacts is not None:
        wanted["contacts"] = ("contacts", _contacts(changes.contacts))
    if not wanted:
        raise inputs.bad_input("input", "name at least one field to change")

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        doc = await db[PARTNERS].find_one({"_id": partner_id}, session=session)
        if doc is None:
            raise not_found(f"partner {partner_id!r}")
        check_version(doc, version, f"partner {partner_id!r}")
        diff = _diff(doc, wanted)
        if not diff:
            return doc
        updated = await apply_versioned(
            db, session, PARTNERS, doc, {name: value for name, (_, value) in diff.items()}
        )
        await record_change(
            db,
            session,
            ChangeEvent(
                entity_type="Partner",
                key={"id": partner_id},
                changed_fields=tuple(field for field, _ in diff.values()),
                version=updated["version"],
                partner_ids=(partner_id,),
                occurred_at=updated["updated_at"],
            ),
        )
        return updated

    return partner_from_doc(await atomic(db, work))


async def update_product(
    db: AsyncDatabase[Any], sku: str, version: int, changes: ProductChanges
) -> Product:
    """Change a catalog entry if `version` is current; records one `Product` event that
    concerns the product's suppliers."""
    inputs.version(version)
    wanted: dict[str, tuple[str, Any]] = {}
    if changes.name is not None:
        wanted["name"] = ("name", inputs.text(changes.name, "name"))
    if changes.category is not None:
        wanted["category"] = ("category", inputs.text(changes.category, "category"))
    if changes.list_price is not None:
        price = inputs.money_cents(changes.list_price, "listPrice")
        wanted["list_price_cents"] = ("listPrice", price)
    if not wanted:
        raise inputs.bad_input("input", "name at least one field to change")

    async def work(session: AsyncClientSession) -> dict[str, Any]:
        doc = await db[PRODUCTS].find_one({"_id": sku}, session=session)
        if doc is None:
            raise not_found(f"product {sku!r}")
        check_version(doc, version, f"product {sku!r}")
        diff = _diff(doc, wanted)
        if not diff:
            return doc
        updated = await apply_versioned(
            db, session, PRODUCTS, doc, {name: value for name, (_, value) in diff.items()}
        )
        await record_change(
            db,
            session,
            ChangeEvent(
                entity_type="Product",
                key={"sku": sku},
                changed_fields=tuple(field for field, _ in diff.values()),
                version=updated["version"],
                partner_ids=tuple(doc["supplier_ids"]),
                occurred_at=updated["updated_at"],
            ),
        )
        return updated

    return product_from_doc(await atomic(db, work))
