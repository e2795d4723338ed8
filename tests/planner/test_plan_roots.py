"""Root-level planning: fields spread over subgraphs, fields returning Query, variables,
`__typename`, conditions on root fields."""

from __future__ import annotations

from planner_support import assert_snapshot, fetches, plan, services

from gateway.planner.plan import Condition, Parallel


def test_root_fields_of_different_subgraphs_run_in_parallel() -> None:
    result = plan("shop", "{ me { name } topProducts { name } }")
    assert isinstance(result.node, Parallel)
    assert sorted(services(result)) == ["accounts", "products"]


def test_field_returning_query_jumps_to_another_root() -> None:
    result = plan("roots", "{ self { a b thing { name size } } }")
    assert services(result) == ["a", "b", "c"]
    _, (path_b, b), (path_c, _) = fetches(result)
    assert path_b == ("self",)
    assert not b.requires  # a root query merged at `self`, not an entity fetch
    assert b.operation == "{ b thing { name __typename id } }"
    assert path_c == ("self", "thing")
    assert_snapshot("query_field_root_jump", result)


def test_enum_variable_is_declared_with_the_clients_type() -> None:
    result = plan("shop", "query($c: Currency = EUR) { topProducts { price(currency: $c) } }")
    ((_, products),) = fetches(result)
    assert products.operation.startswith("query($c: Currency = EUR) {")
    assert products.variable_usages == ("c",)


def test_root_field_under_a_variable_becomes_a_condition() -> None:
    result = plan("shop", "query($s: Boolean!) { me @include(if: $s) { name } }")
    assert isinstance(result.node, Condition) and result.node.variable == "s"
    ((_, accounts),) = fetches(result)
    assert "@include" not in accounts.operation
    assert accounts.variable_usages == ()


def test_skip_condition_goes_to_the_else_branch() -> None:
    result = plan("shop", "query($s: Boolean!) { me @skip(if: $s) { name } }")
    assert isinstance(result.node, Condition)
    assert result.node.if_clause is None and result.node.else_clause is not None


def test_typename_everywhere_stays_in_the_fetch_that_has_the_object() -> None:
    result = plan("shop", "{ topProducts { __typename reviews { __typename t: __typename } } }")
    (_, products), (_, reviews) = fetches(result)
    assert "topProducts { __typename upc }" in products.operation
    assert "reviews { __typename t: __typename }" in reviews.operation


def test_shareable_root_field_is_split_when_no_subgraph_has_everything() -> None:
    # Query.thing is in b and c; b has Thing.name, c has Thing.size: two parallel root
    # fetches instead of a root fetch and an entity jump.
    result = plan("roots", "{ thing { name size } }")
    assert isinstance(result.node, Parallel)
    assert sorted(fetch.operation for _, fetch in fetches(result)) == [
        "{ thing { name } }",
        "{ thing { size } }",
    ]


def test_shareable_root_field_is_not_split_when_one_subgraph_has_everything() -> None:
    result = plan("roots", "{ thing { id name } }")
    assert services(result) == ["b"]


def test_contradicting_conditions_exclude_the_field_and_its_fetches() -> None:
    query = """query($c: Boolean!) {
        order(id: "1") { id items @skip(if: $c) { name shippingCost @include(if: $c) } }
    }"""
    result = plan("example", query)
    assert services(result) == ["orders", "catalog"]
    (_, _), (_, catalog) = fetches(result)
    assert "weight" not in catalog.operation


def test_composite_field_with_everything_excluded_still_fetches_its_shape() -> None:
    result = plan(
        "requires", "query($c: Boolean!) { orders @include(if: $c) { id @skip(if: $c) } }"
    )
    ((_, orders),) = fetches(result)
    assert orders.operation == "{ orders { __typename } }"
