"""The `Subscription` type the gateway adds to the API schema, and its filters.

No subgraph defines subscriptions: the gateway serves them from the change-event streams.
Each live field names the entity type whose stream it reads; it is added only when the
supergraph has the types it refers to, so the generic gateway keeps working for any other
supergraph (it then simply has no `Subscription` type).

A filter is checked against what the event says (`key`, `partner_ids`) and, for criteria the
event does not carry (stage, region, ...), a small "probe" of the record fetched once per
event through `_entities` (see `fanout`).

A criterion is an oracle on the fields it reads: which events arrive tells the subscriber
their values. So a criterion matches only when the subscriber's view (at delivery time)
shows every field it reads, unmasked and unconditionally; otherwise no event matches it
(fail closed), whatever the hidden value is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema, extend_schema, parse

from policies.view import Access, PolicyView
from resolvers.events import ChangeEvent


@dataclass(frozen=True, slots=True)
class LiveField:
    """One subscription field: `name(filter: filter_input): entity_type`.

    Nullable: a record that cannot be read any more (deleted), or whose non-null field the
    caller may not see, is `null` with an error, and the event still carries its id.

    `probe` is the selection (on `entity_type`) that the filter criteria in `probed` read;
    `requires` are the types that must exist in the API schema for the field to be added.
    """

    name: str
    entity_type: str
    filter_input: str
    input_sdl: str
    probe: str
    probed: frozenset[str]
    requires: tuple[str, ...]
    description: str
    # criterion -> the (type, field) coordinates its value is read from
    reads: Mapping[str, tuple[tuple[str, str], ...]]

    def needs_probe(self, filter_: Mapping[str, Any]) -> bool:
        return any(filter_.get(name) is not None for name in self.probed)

    def matches(
        self,
        filter_: Mapping[str, Any],
        event: ChangeEvent,
        probe: Mapping[str, Any] | None,
        view: PolicyView | None,
    ) -> bool:
        """Whether the event passes every criterion that is set (null means "any"). With a
        `view` (None: unrestricted), a criterion on a field it does not plainly show never
        matches."""
        facts = _facts(self.name, event, probe)
        for name, wanted in filter_.items():
            if wanted is None:
                continue
            if view is not None and not all(
                view.field(type_name, field).access is Access.VISIBLE
                for type_name, field in self.reads.get(name, (("?", "?"),))
            ):
                return False
            value = facts.get(name)
            if isinstance(value, tuple):
                if wanted not in value:
                    return False
            elif value != wanted:
                return False
        return True


def _facts(field: str, event: ChangeEvent, probe: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values a filter compares, from the event and (when fetched) the probe."""
    record = probe or {}
    if field == "dealChanged":
        return {
            "partnerId": tuple(event.partner_ids),
            "stage": record.get("stage"),
            "productSku": (record.get("product") or {}).get("sku"),
        }
    return {
        "sku": event.key.get("sku"),
        "warehouseId": event.key.get("warehouseId"),
        "region": (record.get("warehouse") or {}).get("region"),
        "belowReorderPoint": record.get("belowReorderPoint"),
    }


LIVE_FIELDS: tuple[LiveField, ...] = (
    LiveField(
        name="dealChanged",
        entity_type="Deal",
        filter_input="DealChangedFilter",
        input_sdl='''
"""Which deal changes to receive; unset criteria match any deal."""
input DealChangedFilter {
  """Deals of this partner."""
  partnerId: ID
  """Deals now in this stage."""
  stage: DealStage
  """Deals for this product."""
  productSku: ID
}''',
        probe="stage product { sku }",
        probed=frozenset({"stage", "productSku"}),
        requires=("Deal", "DealStage", "Product"),
        description="A deal was registered or changed (stage, amount, ...).",
        reads={
            "partnerId": (("Deal", "partner"), ("Partner", "id")),
            "stage": (("Deal", "stage"),),
            "productSku": (("Deal", "product"), ("Product", "sku")),
        },
    ),
    LiveField(
        name="inventoryChanged",
        entity_type="InventoryItem",
        filter_input="InventoryChangedFilter",
        input_sdl='''
"""Which stock changes to receive; unset criteria match any item."""
input InventoryChangedFilter {
  sku: ID
  warehouseId: ID
  """Items held in a warehouse of this region."""
  region: String
  """Only items that are (true) or are not (false) below their reorder point."""
  belowReorderPoint: Boolean
}''',
        probe="belowReorderPoint warehouse { region }",
        probed=frozenset({"region", "belowReorderPoint"}),
        requires=("InventoryItem", "Warehouse"),
        description="Stock of an item in a warehouse changed.",
        reads={
            "sku": (("InventoryItem", "sku"),),
            "warehouseId": (("InventoryItem", "warehouseId"),),
            "region": (("InventoryItem", "warehouse"), ("Warehouse", "region")),
            "belowReorderPoint": (("InventoryItem", "belowReorderPoint"),),
        },
    ),
)


def live_fields(api_schema: GraphQLSchema) -> tuple[LiveField, ...]:
    """The live fields this API schema can serve (their types all exist)."""
    return tuple(f for f in LIVE_FIELDS if all(t in api_schema.type_map for t in f.requires))


def subscription_sdl(fields: tuple[LiveField, ...]) -> str:
    """The SDL the gateway adds to the API schema for `fields` ("" for none)."""
    if not fields:
        return ""
    lines = [
        '"""',
        "Live changes. Each event carries its id in `extensions.eventId` (SSE: the `id:`).",
        "Resubscribe with that id in `extensions.lastEventId` (SSE: the `Last-Event-ID`",
        "header) to receive every retained event you missed, then live events.",
        '"""',
        "type Subscription {",
    ]
    for field in fields:
        lines.append(f'  """{field.description}"""')
        lines.append(f"  {field.name}(filter: {field.filter_input}): {field.entity_type}")
    lines.append("}")
    inputs = "\n".join(field.input_sdl for field in fields)
    return "\n".join(lines) + "\n" + inputs + "\n"


def with_subscriptions(api_schema: GraphQLSchema, api_sdl: str) -> tuple[GraphQLSchema, str]:
    """The serving schema and SDL: the API schema plus the live fields it can serve.
    Unchanged when it can serve none, or when it already has a `Subscription` type."""
    fields = live_fields(api_schema)
    if not fields or api_schema.subscription_type is not None:
        return api_schema, api_sdl
    sdl = subscription_sdl(fields)
    extension = sdl + "\nextend schema { subscription: Subscription }\n"
    schema = extend_schema(api_schema, parse(extension))
    return schema, api_sdl.rstrip("\n") + "\n\n" + sdl


def live_field(name: str) -> LiveField:
    for field in LIVE_FIELDS:
        if field.name == name:
            return field
    raise KeyError(name)
