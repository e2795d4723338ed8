"""Operation-level planning: mutations, overrides, introspection, errors and the cache."""

from __future__ import annotations

import pytest
from graphql import parse
from planner_support import HERE, assert_snapshot, fetches, plan, planner, services, supergraph

from gateway.planner import PlanCache, PlanningError, QueryPlanner
from gateway.planner.plan import Sequence
from gateway.supergraph import Supergraph


def test_mutation_fields_run_in_order_consecutive_same_subgraph_share_a_fetch() -> None:
    query = """mutation($e: String!) {
        login(email: $e) { name } logout
        addReview(upc: "1", body: "b") { id }
        again: login(email: $e) { id }
    }"""
    result = plan("shop", query)
    assert isinstance(result.node, Sequence)
    assert services(result) == ["accounts", "reviews", "accounts"]
    (_, first), (_, second), (_, third) = fetches(result)
    assert first.operation_kind == second.operation_kind == "mutation"
    assert "login(email: $e) { name } logout" in first.operation
    assert "again: login(email: $e)" in third.operation
    assert_snapshot("mutation_order", result)


def test_mutation_payload_entity_jump_runs_before_the_next_mutation() -> None:
    query = """mutation { addReview(upc: "1", body: "b") { editor { name } } logout }"""
    result = plan("shop", query)
    assert services(result) == ["reviews", "accounts", "accounts"]
    kinds = [fetch.operation_kind for _, fetch in fetches(result)]
    assert kinds == ["mutation", "query", "mutation"]


def test_override_without_label_leaves_the_old_owner_unused() -> None:
    result = plan("shop", "{ topProducts { weight } }")
    assert services(result) == ["products"]


def test_override_label_switches_owner_and_cache_entry() -> None:
    query = "{ topProducts { stock } }"
    off = plan("shop", query)
    on = plan("shop", query, labels=frozenset({"percent(25)"}))
    assert services(off) == ["products"]
    assert services(on) == ["products", "inventory"]
    assert_snapshot("override_label_on", on)


def test_unknown_override_labels_do_not_split_the_cache() -> None:
    cache = PlanCache()
    qp = QueryPlanner(supergraph("shop"), cache)
    document = parse("{ topProducts { stock } }")
    qp.plan(document, override_labels=frozenset({"unrelated"}))
    qp.plan(document)
    assert (len(cache), cache.hits) == (1, 1)


def test_repeated_operation_is_planned_once_per_view() -> None:
    cache = PlanCache(maxsize=2)
    qp = QueryPlanner(supergraph("shop"), cache)
    document = parse("{ me { name } }")
    first = qp.plan(document)
    assert qp.plan(parse("{ me { name } }")) is first
    other_view = qp.plan(document, view_key="partner:42")
    assert other_view is not first and other_view == first
    assert (cache.hits, cache.misses, len(cache)) == (1, 2, 2)
    qp.plan(parse("{ users { id } }"))
    assert len(cache) == 2  # bounded: the least recently used plan went


def test_two_operations_pick_by_name() -> None:
    document = "query A { me { name } } query B { topProducts { name } }"
    assert services(plan("shop", document, "B")) == ["products"]
    with pytest.raises(PlanningError) as caught:
        planner("shop").plan(parse(document))
    assert caught.value.extensions["code"] == "GRAPHQL_VALIDATION_FAILED"
    with pytest.raises(PlanningError, match="unknown operation named 'C'"):
        planner("shop").plan(parse(document), "C")


def test_introspection_and_root_typename_need_no_subgraph() -> None:
    assert plan("shop", "{ __typename __schema { queryType { name } } }").node is None
    result = plan("shop", "{ __typename me { name } }")
    assert services(result) == ["accounts"]
    assert "__typename" not in result.node.operation  # type: ignore[union-attr]


def test_literal_skip_drops_the_field_and_its_fetches() -> None:
    result = plan("shop", "{ topProducts { name reviews @skip(if: true) { body } } }")
    assert services(result) == ["products"]


def test_subscriptions_are_refused_with_a_clear_error() -> None:
    with pytest.raises(PlanningError, match="subscription"):
        planner("shop").build(parse("subscription { me { name } }"))


def test_plans_are_deterministic() -> None:
    query = (
        "{ topReviews { body author { name } editor { name org { title } } "
        "product { name inStock shippingEstimate } } }"
    )
    first = QueryPlanner(supergraph("shop")).plan(parse(query))
    second = QueryPlanner(supergraph("shop")).plan(parse(query))
    assert str(first) == str(second)
    assert first == second


def test_unreachable_field_is_a_planning_error_that_says_why() -> None:
    # Make inventory's only key unusable: nothing can jump into inventory any more.
    sdl = (
        (HERE / "supergraphs" / "shop.graphql")
        .read_text()
        .replace(
            '@join__type(graph: INVENTORY, key: "sku org { id }")',
            '@join__type(graph: INVENTORY, key: "sku org { id }", resolvable: false)',
        )
    )
    broken = QueryPlanner(Supergraph.from_sdl(sdl))
    with pytest.raises(PlanningError) as caught:
        broken.plan(parse("{ topProducts { inStock } }"))
    assert "Product.inStock lives in inventory, which cannot be reached from products" in (
        caught.value.message
    )
    assert caught.value.extensions == {"code": "QUERY_PLANNING_FAILED"}
    # Nothing was cached for the failed operation; a plannable one still plans.
    assert len(broken.cache) == 0
    assert services(broken.plan(parse("{ topProducts { name } }"))) == ["products"]


@pytest.mark.parametrize(
    "query",
    [
        "{ nope }",
        "{ me }",
        "{ me { name { x } } }",
        "{ me { ...F } }",
        "{ me { ... on Nope { id } } }",
    ],
)
def test_an_unvalidated_bad_document_is_refused_clearly(query: str) -> None:
    with pytest.raises(PlanningError) as caught:
        planner("shop").plan(parse(query))
    assert caught.value.extensions["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_used_overridden_field_is_not_fetched_from_the_old_owner() -> None:
    # Apollo-composed: legacy keeps `price` only for its @key (usedOverridden).
    result = plan("override", "{ products { name price } }")
    assert services(result) == ["legacy", "modern"]
    (_, legacy), (_, modern) = fetches(result)
    assert "price" not in legacy.operation
    assert "price" in modern.operation


def test_progressive_override_label_in_apollo_format() -> None:
    query = "{ products { stock } }"
    assert services(plan("override", query)) == ["legacy"]
    assert services(plan("override", query, labels=frozenset({"percent(50)"}))) == [
        "legacy",
        "modern",
    ]


def test_percent_labels_are_rolled_per_request() -> None:
    qp = planner("shop")
    assert qp.known_labels == frozenset({"percent(25)"})
    assert qp.roll_percent_labels(lambda: 0.10) == frozenset({"percent(25)"})
    assert qp.roll_percent_labels(lambda: 0.25) == frozenset()
    assert qp.roll_percent_labels(lambda: 0.99) == frozenset()
