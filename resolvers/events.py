"""Change events: what a committed write tells the rest of the system.

One committed write produces exactly one `ChangeEvent`. It is recorded in the outbox in the
same transaction as the write, and a relay appends it to the entity type's stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson


def now_ms() -> datetime:
    """The current time at millisecond precision, what MongoDB (the outbox) stores."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """A committed change to one entity.

    `key` is the entity's `@key` fields as they appear in a representation (e.g.
    `{"id": "D-001"}` or `{"sku": "SKU-1", "warehouseId": "WH-EU"}`), so the gateway can
    enrich the event through `_entities` without knowing the subgraph's storage.
    `partner_ids` are the partners the record concerns; the gateway uses them for fast
    pre-filtering but still applies the full policy to the enriched record.
    """

    entity_type: str
    key: dict[str, Any]
    changed_fields: tuple[str, ...]
    version: int
    partner_ids: tuple[str, ...] = ()
    occurred_at: datetime = field(default_factory=lambda: now_ms())
    outbox_id: str = ""

    def to_fields(self) -> dict[str, str]:
        """Flat string fields, the shape of a Redis Stream entry."""
        return {
            "type": self.entity_type,
            "key": orjson.dumps(self.key, option=orjson.OPT_SORT_KEYS).decode(),
            "changed": ",".join(self.changed_fields),
            "version": str(self.version),
            "partners": ",".join(self.partner_ids),
            "at": self.occurred_at.isoformat(),
            "outbox_id": self.outbox_id,
        }

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> ChangeEvent:
        return cls(
            entity_type=fields["type"],
            key=orjson.loads(fields["key"]),
            changed_fields=tuple(f for f in fields["changed"].split(",") if f),
            version=int(fields["version"]),
            partner_ids=tuple(p for p in fields["partners"].split(",") if p),
            occurred_at=datetime.fromisoformat(fields["at"]),
            outbox_id=fields.get("outbox_id", ""),
        )

    def __str__(self) -> str:
        key = ",".join(f"{k}={v}" for k, v in sorted(self.key.items()))
        return (
            f"{self.entity_type}({key}) v{self.version} changed [{', '.join(self.changed_fields)}]"
        )


def stream_name(entity_type: str) -> str:
    """One stream per entity type, e.g. `partnergraph:events:Deal`."""
    return f"partnergraph:events:{entity_type}"
