"""@requires in depth: chains, arguments, fragments, and clashes with client aliases."""

from __future__ import annotations

from planner_support import assert_snapshot, fetches, plan, services

from gateway.planner.plan import Sequence


def test_requires_on_requires_chains_three_entity_fetches() -> None:
    result = plan("requires", "{ orders { items { insuredCost policy } } }")
    assert services(result) == ["orders", "catalog", "shipping", "insurance"]
    assert isinstance(result.node, Sequence)
    assert len(result.node.nodes) == 4  # one stage per fetch
    *_, (_, shipping), (_, insurance) = fetches(result)
    assert str(shipping.requires[0]) == "... on Item { __typename sku weight quantity }"
    assert str(insurance.requires[0]) == "... on Item { __typename sku shippingCost }"
    # policy (no @requires, insurance too, nothing waits for it) rides in the last fetch
    assert "... on Item { insuredCost policy }" in insurance.operation
    assert_snapshot("requires_chain", result)


def test_required_field_with_arguments_does_not_take_the_clients_key() -> None:
    result = plan("requires", "{ orders { items { bulky size { w } } } }")
    (_, _), (_, catalog), (_, shipping) = fetches(result)
    assert "size__pg_35f82f: size(unit: INCH) { w h }" in catalog.operation
    assert "size { w }" in catalog.operation  # the client's own field, under its own key
    assert (
        str(shipping.requires[0]) == "... on Item { __typename sku size__pg_35f82f: size { w h } }"
    )


def test_required_fragments_select_typename_and_each_member() -> None:
    result = plan("requires", "{ orders { items { careful } } }")
    (_, _), (_, catalog), (_, shipping) = fetches(result)
    expected = "packaging { __typename ... on Bag { fragile } ... on Box { volume } }"
    assert expected in catalog.operation
    assert str(shipping.requires[0]) == f"... on Item {{ __typename sku {expected} }}"
    assert_snapshot("requires_fragments", result)


def test_required_field_clashing_with_a_client_alias_is_aliased() -> None:
    result = plan("requires", "{ orders { items { shippingCost weight: quantity } } }")
    (_, orders), (_, catalog), (_, shipping) = fetches(result)
    assert "weight: quantity" in orders.operation
    assert "weight__pg: weight" in catalog.operation
    assert str(shipping.requires[0]) == "... on Item { __typename sku weight__pg: weight quantity }"


def test_required_field_local_to_the_parent_is_fetched_there() -> None:
    # quantity lives in orders, weight in catalog: both feed shipping.
    result = plan("requires", "{ orders { items { shippingCost } } }")
    (_, orders), (_, catalog), (_, _) = fetches(result)
    assert "quantity" in orders.operation
    assert "weight" in catalog.operation


def test_conditional_requires_is_not_merged_into_an_unconditional_fetch() -> None:
    # Merging would send representations without `dims` when $s is false, and an executor
    # drops representations missing a required field: inStock would be lost with them.
    query = "query($s: Boolean!) { topProducts { inStock shippingEstimate @include(if: $s) } }"
    result = plan("shop", query)
    assert services(result) == ["products", "inventory", "inventory"]
    text = str(result)
    assert "dims @include(if: $s) { w }" in text
    assert "Condition(if: $s)" in text
    assert_snapshot("requires_conditional_sibling", result)


def test_two_requires_of_one_field_with_different_arguments_keep_apart() -> None:
    result = plan("requires", "{ orders { items { bulky compact } } }")
    (_, _), (_, catalog), (_, shipping) = fetches(result)
    assert catalog.operation.count(": size(unit: ") == 2
    inch, cm = (
        "size__pg_35f82f: size(unit: INCH) { w h }",
        "size__pg_bb6f35: size(unit: CM) { w }",
    )
    assert inch in catalog.operation and cm in catalog.operation
    requires = str(shipping.requires[0])
    assert "size__pg_35f82f: size { w h }" in requires
    assert "size__pg_bb6f35: size { w }" in requires
