"""Demo data: one vendor's partner ecosystem, deterministic and idempotent.

The vendor, Northwind Networks, sells network gear through resellers and distributors,
builds it from suppliers' components, and stocks it in three regional warehouses. Every
value comes from fixed tables and a seeded random generator, so two runs produce the same
documents. Seeding is a bulk load: it writes no change events.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.deals import (
    DEAL_ID_COUNTER,
    DEALS,
    OPEN_STAGES,
    DealStage,
    deal_id,
    open_key,
    risk_score,
    vendor_margin_cents,
)
from resolvers.indexes import ensure_indexes
from resolvers.inventory import INVENTORY, WAREHOUSES, item_id
from resolvers.partners import PARTNERS, PRODUCTS

VENDOR = "Northwind Networks"
SEED = 20260105
SEED_TIME = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TODAY = date(2026, 1, 5)

# (id, name, kind, tier, region)
PARTNER_ROWS = [
    ("P-R01", "Acme IT Solutions", "RESELLER", "PLATINUM", "NA"),
    ("P-R02", "Brightpath Systems", "RESELLER", "GOLD", "NA"),
    ("P-R03", "Cobalt Integrators", "RESELLER", "GOLD", "EMEA"),
    ("P-R04", "Delta Netcare", "RESELLER", "SILVER", "EMEA"),
    ("P-R05", "Evergreen Tech Partners", "RESELLER", "REGISTERED", "APAC"),
    ("P-D01", "Globex Distribution", "DISTRIBUTOR", "PLATINUM", "NA"),
    ("P-D02", "Harbor Supply Chain", "DISTRIBUTOR", "GOLD", "EMEA"),
    ("P-D03", "Ingram Pacific", "DISTRIBUTOR", "GOLD", "APAC"),
    ("P-D04", "Juno Channel Group", "DISTRIBUTOR", "SILVER", "LATAM"),
    ("P-D05", "Kestrel Logistics", "DISTRIBUTOR", "REGISTERED", "EMEA"),
    ("P-S01", "Lumen Optics", "SUPPLIER", "PLATINUM", "APAC"),
    ("P-S02", "Meridian Silicon", "SUPPLIER", "GOLD", "NA"),
    ("P-S03", "Nordic Metalworks", "SUPPLIER", "GOLD", "EMEA"),
    ("P-S04", "Orion Power Systems", "SUPPLIER", "SILVER", "APAC"),
    ("P-S05", "Pinnacle Plastics", "SUPPLIER", "REGISTERED", "LATAM"),
]

# (sku, name, category, list price in currency units, supplier ids)
PRODUCT_ROWS = [
    ("NW-SW-1008", "Edge Switch 8-port", "Switching", 349.00, ("P-S02", "P-S05")),
    ("NW-SW-1024", "Edge Switch 24-port", "Switching", 899.00, ("P-S02", "P-S05")),
    ("NW-SW-2048", "Campus Switch 48-port PoE", "Switching", 2899.00, ("P-S02", "P-S04")),
    ("NW-SW-3032", "Spine Switch 32x100G", "Switching", 18500.00, ("P-S02", "P-S03")),
    ("NW-SW-3064", "Spine Switch 64x400G", "Switching", 46900.00, ("P-S02", "P-S03")),
    ("NW-RT-1100", "Branch Router", "Routing", 1199.00, ("P-S02",)),
    ("NW-RT-2200", "Aggregation Router", "Routing", 8900.00, ("P-S02", "P-S04")),
    ("NW-RT-4400", "Core Router 8-slot", "Routing", 64000.00, ("P-S02", "P-S03", "P-S04")),
    ("NW-WL-0600", "Wi-Fi 6 Access Point", "Wireless", 429.00, ("P-S01", "P-S05")),
    ("NW-WL-0700", "Wi-Fi 7 Access Point", "Wireless", 689.00, ("P-S01", "P-S05")),
    ("NW-WL-0710", "Outdoor Wi-Fi 7 Access Point", "Wireless", 1249.00, ("P-S01", "P-S03")),
    ("NW-WL-9000", "Wireless Controller", "Wireless", 5400.00, ("P-S02",)),
    ("NW-SC-0100", "Branch Firewall", "Security", 1590.00, ("P-S02", "P-S05")),
    ("NW-SC-0500", "Datacenter Firewall", "Security", 24900.00, ("P-S02", "P-S03")),
    ("NW-SC-0900", "Secure Access Gateway", "Security", 7800.00, ("P-S02",)),
    ("NW-OP-0010", "10G SR Optic", "Optics", 79.00, ("P-S01",)),
    ("NW-OP-0100", "100G LR4 Optic", "Optics", 649.00, ("P-S01",)),
    ("NW-OP-0400", "400G DR4 Optic", "Optics", 1890.00, ("P-S01",)),
    ("NW-CB-0003", "DAC Cable 3m", "Cabling", 39.50, ("P-S01", "P-S05")),
    ("NW-CB-0010", "AOC Cable 10m", "Cabling", 129.00, ("P-S01",)),
    ("NW-PW-0750", "750W Power Supply", "Power", 289.00, ("P-S04",)),
    ("NW-PW-1600", "1600W Power Supply", "Power", 549.00, ("P-S04",)),
    ("NW-RK-0042", "42U Rack Kit", "Racks", 1450.00, ("P-S03",)),
    ("NW-LC-1000", "Fabric Manager License", "Software", 12000.00, ()),
]

WAREHOUSE_ROWS = [
    ("WH-NA", "Reno Fulfillment Center", "NA"),
    ("WH-EU", "Rotterdam Distribution Hub", "EMEA"),
    ("WH-AP", "Singapore Logistics Park", "APAC"),
]

CUSTOMERS = [
    "Contoso Health", "Fabrikam Retail", "Tailspin Airlines", "Wide World Importers",
    "Litware Bank", "Adventure Works", "Proseware Labs", "Woodgrove Insurance",
    "Alpine Ski House", "Coho Winery", "Lucerne Publishing", "Margie's Travel",
    "Northridge University", "Blue Yonder Freight", "Trey Research", "Wingtip Toys",
    "Humongous Energy", "Graphic Design Institute", "City Power & Light", "Southridge Video",
    "Fourth Coffee", "School of Fine Art", "Relecloud Media", "VanArsdel Foods",
    "Consolidated Messenger", "Datum Corporation", "Bellows College", "Munson's Pickles",
    "Lamna Healthcare", "Nod Publishers", "Olympia Sports", "Parnell Aerospace",
]  # fmt: skip

DEAL_COUNT = 120
# Stage mix, weighted towards a live pipeline.
STAGES = (
    [DealStage.REGISTERED] * 30 + [DealStage.APPROVED] * 35 + [DealStage.WON] * 30
    + [DealStage.LOST] * 15 + [DealStage.EXPIRED] * 10
)  # fmt: skip
# A deal's version counts its writes: registration, then one per stage change.
STAGE_VERSION = {
    DealStage.REGISTERED: 1, DealStage.APPROVED: 2, DealStage.WON: 3, DealStage.LOST: 3,
    DealStage.EXPIRED: 3,
}  # fmt: skip
NOTES = [
    None, None, "Competitive against a legacy vendor.", "Customer asked for a PoC first.",
    "Budget approved for this fiscal year.", "Bundled with a three-year support contract.",
    "Replacing end-of-life equipment.", None,
]  # fmt: skip


def partner_docs() -> list[dict[str, Any]]:
    docs = []
    for index, (pid, name, kind, tier, region) in enumerate(PARTNER_ROWS):
        slug = name.lower().split()[0]
        docs.append(
            {
                "_id": pid,
                "name": name,
                "kind": kind,
                "tier": tier,
                "region": region,
                "contacts": [
                    {
                        "name": f"{slug.title()} Channel Desk",
                        "email": f"channel@{slug}.example",
                        "role": "Channel manager",
                    },
                    {
                        "name": f"{slug.title()} Operations",
                        "email": f"ops@{slug}.example",
                        "role": "Operations",
                    },
                ],
                "internal_notes": f"Onboarded in cohort {index % 3 + 1}; review annually.",
                "version": 1,
                "updated_at": SEED_TIME,
            }
        )
    return docs


def product_docs() -> list[dict[str, Any]]:
    return [
        {
            "_id": sku,
            "name": name,
            "category": category,
            "list_price_cents": round(price * 100),
            "supplier_ids": list(suppliers),
            "version": 1,
            "updated_at": SEED_TIME,
        }
        for sku, name, category, price, suppliers in PRODUCT_ROWS
    ]


def warehouse_docs() -> list[dict[str, Any]]:
    return [{"_id": wid, "name": name, "region": region} for wid, name, region in WAREHOUSE_ROWS]


def inventory_docs(rng: random.Random) -> list[dict[str, Any]]:
    docs = []
    for sku, _name, _category, price, _suppliers in PRODUCT_ROWS:
        for wid, _wname, _region in WAREHOUSE_ROWS:
            reorder_point = rng.choice([10, 20, 40, 80])
            # About one item in five is short: below its reorder point, restock on the way.
            short = rng.random() < 0.2
            on_hand = (
                rng.randint(0, reorder_point - 1)
                if short
                else rng.randint(reorder_point + 5, reorder_point * 6)
            )
            reserved = rng.randint(0, on_hand // 4)
            eta = TODAY + timedelta(days=rng.randint(3, 45)) if short else None
            docs.append(
                {
                    "_id": item_id(sku, wid),
                    "sku": sku,
                    "warehouse_id": wid,
                    "on_hand": on_hand,
                    "reserved": reserved,
                    "reorder_point": reorder_point,
                    "unit_cost_cents": round(price * 100 * rng.uniform(0.45, 0.6)),
                    "restock_eta": None if eta is None else eta.isoformat(),
                    "version": 1,
                    "updated_at": SEED_TIME,
                }
            )
    return docs


def deal_docs(rng: random.Random) -> list[dict[str, Any]]:
    channel = [row[0] for row in PARTNER_ROWS if row[2] != "SUPPLIER"]
    products = {row[0]: row for row in PRODUCT_ROWS}
    stages = list(STAGES)
    rng.shuffle(stages)
    open_keys: set[str] = set()
    docs = []
    for number, stage in enumerate(stages[:DEAL_COUNT], start=1):
        while True:
            customer = rng.choice(CUSTOMERS)
            sku = rng.choice(list(products))
            key = open_key(customer, sku)
            if stage not in OPEN_STAGES or key not in open_keys:
                break
        units = rng.choice([1, 2, 5, 10, 20, 50, 100])
        amount = round(products[sku][3] * 100) * units
        discount = rng.choice([0, 250, 500, 750, 1000, 1500, 2000])
        closes = TODAY + timedelta(days=rng.randint(-120, 180))
        doc: dict[str, Any] = {
            "_id": deal_id(number),
            "customer": customer,
            "product_sku": sku,
            "product_name": products[sku][1],
            "partner_id": rng.choice(channel),
            "stage": str(stage),
            "amount_cents": amount,
            "discount_bps": discount,
            "vendor_margin_cents": vendor_margin_cents(amount, discount),
            "expected_close": closes.isoformat(),
            "notes": rng.choice(NOTES),
            "risk_score": risk_score(amount, discount),
            "version": STAGE_VERSION[stage],
            "updated_at": SEED_TIME - timedelta(hours=DEAL_COUNT - number),
        }
        if stage in OPEN_STAGES:
            doc["open_key"] = key
            open_keys.add(key)
        docs.append(doc)
    return docs


def seed_documents() -> dict[str, list[dict[str, Any]]]:
    """Every seeded document, per collection; the same on every call."""
    rng = random.Random(SEED)
    return {
        PARTNERS: partner_docs(),
        PRODUCTS: product_docs(),
        WAREHOUSES: warehouse_docs(),
        INVENTORY: inventory_docs(rng),
        DEALS: deal_docs(rng),
    }


async def seed(db: AsyncDatabase[Any], *, reset: bool) -> None:
    """Load the demo ecosystem into `db`.

    `reset=True` first removes every partner, product, warehouse, inventory item and deal
    (including ones created after seeding); `reset=False` only (re)writes the seeded
    documents, leaving other records alone. Either way, running it twice gives the same
    data. No change events are written.
    """
    await ensure_indexes(db)
    documents = seed_documents()
    if reset:
        for collection in documents:
            await db[collection].delete_many({})
        await db["counters"].delete_one({"_id": DEAL_ID_COUNTER})
    for collection, docs in documents.items():
        await db[collection].bulk_write(
            [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in docs], ordered=False
        )
    await db["counters"].update_one(
        {"_id": DEAL_ID_COUNTER}, {"$max": {"seq": len(documents[DEALS])}}, upsert=True
    )
