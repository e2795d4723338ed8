"""Planning a subscription's payload as an entity jump from the event's key, and the
`Subscription` type the gateway adds to the API schema (only where it can serve it)."""

from __future__ import annotations

import pytest
from graphql import parse
from subscription_harness import ROOT, SUPERGRAPH

from gateway.planner import PlanningError, QueryPlanner
from gateway.planner.plan import Fetch, Flatten, Sequence
from gateway.planner.subscription import SubscriptionPlan, plan_subscription
from gateway.subscriptions.schema import live_fields, with_subscriptions
from gateway.supergraph import Supergraph

DEMO = Supergraph.from_sdl(SUPERGRAPH.read_text())
SERVING, _ = with_subscriptions(DEMO.api_schema, DEMO.api_sdl)


def plan(query: str) -> SubscriptionPlan:
    planner = QueryPlanner(DEMO)
    return plan_subscription(DEMO, SERVING, parse(query), None, planner.root_types)


def test_the_selection_is_planned_from_the_event_key_across_subgraphs() -> None:
    planned = plan("subscription { dealChanged { stage partner { name } } }")
    assert (planned.response_key, planned.entity_type, planned.key_fields) == (
        "dealChanged",
        "Deal",
        ("id",),
    )
    node = planned.plan.node
    assert isinstance(node, Sequence)
    first, second = node.nodes
    assert isinstance(first, Flatten) and first.path == ("dealChanged",)
    assert first.node.service == "deals"
    assert str(first.node.requires[0]) == "... on Deal { __typename id }"
    assert "stage" in first.node.operation
    assert isinstance(second, Flatten) and second.path == ("dealChanged", "partner")
    assert second.node.service == "partners" and "name" in second.node.operation


def test_an_alias_is_the_path_and_a_composite_key_is_the_representation() -> None:
    planned = plan("subscription { item: inventoryChanged { available } }")
    assert planned.response_key == "item" and planned.key_fields == ("sku", "warehouseId")
    node = planned.plan.node
    assert isinstance(node, Flatten) and node.path == ("item",)
    assert isinstance(node.node, Fetch) and node.node.service == "inventory"
    assert str(node.node.requires[0]) == "... on InventoryItem { __typename sku warehouseId }"


def test_key_fields_alone_still_fetch_the_record() -> None:
    """The fetch tells whether the record still exists (a deleted one is null)."""
    node = plan("subscription { dealChanged { __typename id } }").plan.node
    assert isinstance(node, Flatten) and node.node.service == "deals"


def test_queries_are_not_planned_as_subscriptions() -> None:
    with pytest.raises(PlanningError):
        plan("{ deal(id: 1) { id } }")


def test_live_fields_are_added_only_for_the_types_a_supergraph_has() -> None:
    assert [f.name for f in live_fields(DEMO.api_schema)] == ["dealChanged", "inventoryChanged"]
    assert SERVING.subscription_type is not None
    assert set(SERVING.subscription_type.fields) == {"dealChanged", "inventoryChanged"}
    # A supergraph with its own Subscription type (tests/server) is left as it is.
    other = Supergraph.from_sdl(
        (ROOT / "tests" / "server" / "supergraph.graphql")
        .read_text()
        .replace("DEALS_URL", "http://127.0.0.1:9/graphql")
        .replace("PARTNERS_URL", "http://127.0.0.1:9/graphql")
    )
    schema, sdl = with_subscriptions(other.api_schema, other.api_sdl)
    assert schema is other.api_schema and sdl == other.api_sdl
