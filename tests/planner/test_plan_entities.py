"""Planning with entity jumps, keys, @requires, @provides and shareable fields (PLANNER.md
checklist cases 1-12, 21-24). Each test checks the plan's shape and its printed snapshot."""

from __future__ import annotations

from planner_support import assert_snapshot, fetches, plan, services


def test_worked_example_requires_after_merged_catalog_fetch() -> None:
    query = "query Q($id: ID!) { order(id: $id) { items { name shippingCost } } }"
    result = plan("example", query)
    assert services(result) == ["orders", "catalog", "shipping"]
    (_, orders), (catalog_path, catalog), (shipping_path, shipping) = fetches(result)
    assert catalog_path == shipping_path == ("order", "items", "@")
    assert "name weight" in catalog.operation
    assert str(shipping.requires[0]) == "... on Product { __typename sku weight }"
    assert shipping.variable_usages == ()
    assert orders.variable_usages == ("id",)
    assert_snapshot("worked_example", result)


def test_worked_example_with_include_condition() -> None:
    query = (
        "query Q($id: ID!, $s: Boolean!) "
        "{ order(id: $id) { items { name shippingCost @include(if: $s) } } }"
    )
    result = plan("example", query)
    text = str(result)
    assert "weight @include(if: $s)" in text
    assert "Condition(if: $s)" in text
    assert_snapshot("worked_example_include", result)


def test_one_subgraph_is_one_fetch_with_aliases_kept() -> None:
    result = plan("shop", "{ me { myName: name org { title } } }")
    assert services(result) == ["accounts"]
    assert result.node is not None
    assert "myName: name" in next(iter(fetches(result)))[1].operation
    assert_snapshot("one_subgraph", result)


def test_shareable_field_comes_from_the_subgraph_already_used() -> None:
    # Dims is @shareable in products and inventory: products already serves the list.
    result = plan("shop", "{ topProducts { name dims { w h } } }")
    assert services(result) == ["products"]


def test_provides_keeps_the_field_local_and_the_same_field_elsewhere_jumps() -> None:
    result = plan("shop", "{ topReviews { author { name } editor { name } } }")
    assert services(result) == ["reviews", "accounts"]
    paths = [path for path, _ in fetches(result)]
    assert paths == [(), ("topReviews", "@", "editor")]
    assert_snapshot("provides", result)


def test_jump_under_nested_lists_uses_each_level() -> None:
    result = plan("shop", "{ topProducts { reviews { editor { name } } } }")
    paths = [path for path, _ in fetches(result)]
    assert paths == [(), ("topProducts", "@"), ("topProducts", "@", "reviews", "@", "editor")]
    assert_snapshot("nested_lists", result)


def test_compound_key_builds_a_nested_representation() -> None:
    result = plan("shop", "{ topProducts { inStock } }")
    (_, products), (_, inventory) = fetches(result)
    assert "sku org { id }" in products.operation
    assert str(inventory.requires[0]) == "... on Product { __typename sku org { id } }"
    assert_snapshot("compound_key", result)


def test_the_key_the_source_can_supply_is_used() -> None:
    # accounts has keys `id` and `email`; reviews can only give `email`.
    result = plan("shop", "{ topReviews { editor { id } } }")
    (_, reviews), (_, accounts) = fetches(result)
    assert "editor { __typename email }" in reviews.operation
    assert str(accounts.requires[0]) == "... on User { __typename email }"


def test_missing_key_field_takes_two_hops() -> None:
    # reviews knows Product by upc only; inventory needs `sku org { id }` from products.
    result = plan("shop", "{ topReviews { product { inStock } } }")
    assert services(result) == ["reviews", "products", "inventory"]
    assert_snapshot("two_hops", result)


def test_resolvable_false_is_never_an_entity_target() -> None:
    # Org is resolvable only in accounts (`resolvable: false` in products and inventory).
    result = plan("shop", "{ topProducts { org { title } } }")
    assert services(result) == ["products", "accounts"]


def test_requires_beside_a_sibling_in_the_same_subgraph_is_one_fetch() -> None:
    result = plan("shop", "{ topProducts { inStock shippingEstimate } }")
    assert services(result) == ["products", "inventory"]
    (_, products), (_, inventory) = fetches(result)
    assert "dims { w }" in products.operation
    assert "inStock shippingEstimate" in inventory.operation
    assert str(inventory.requires[0]) == "... on Product { __typename sku org { id } dims { w } }"
    assert_snapshot("requires_sibling", result)


def test_required_field_behind_a_jump_gives_three_stages() -> None:
    query = "{ topReviews { body product { name inStock shippingEstimate } } }"
    result = plan("shop", query)
    assert services(result) == ["reviews", "products", "inventory"]
    assert_snapshot("requires_three_stages", result)


def test_include_behind_a_jump_becomes_a_condition() -> None:
    query = (
        "query($s: Boolean!) "
        "{ topProducts { upc name @skip(if: $s) "
        "reviews @include(if: $s) { body editor { name } } } }"
    )
    result = plan("shop", query)
    assert result.node is not None
    text = str(result)
    assert text.count("Condition(if: $s)") == 1
    assert "name @skip(if: $s)" in text
    assert_snapshot("include_condition", result)


def test_one_field_under_two_aliases_with_different_arguments() -> None:
    result = plan("shop", "{ topProducts { eur: price(currency: EUR) usd: price } }")
    ((_, products),) = fetches(result)
    assert "eur: price(currency: EUR) usd: price" in products.operation


def test_alias_clashing_with_a_key_gets_an_internal_alias() -> None:
    result = plan("shop", "query($u: String!) { product(upc: $u) { upc: name reviews { body } } }")
    (_, products), (_, reviews) = fetches(result)
    assert "upc: name" in products.operation
    assert "upc__pg: upc" in products.operation
    assert str(reviews.requires[0]) == "... on Product { __typename upc__pg: upc }"
    assert_snapshot("alias_clash", result)


def test_named_fragments_plan_like_the_inlined_query() -> None:
    with_fragments = """
        query { topReviews { ...R } }
        fragment R on Review { body product { ...P } }
        fragment P on Product { name ... on Product { inStock } }
    """
    inlined = "query { topReviews { body product { name inStock } } }"
    assert str(plan("shop", with_fragments)) == str(plan("shop", inlined))


def test_variables_are_declared_only_where_used() -> None:
    query = "query($first: Int, $e: String!) { topReviews(first: $first) { editor { name } } }"
    result = plan("shop", query.replace(", $e: String!", ""))
    (_, reviews), (_, accounts) = fetches(result)
    assert reviews.variable_usages == ("first",)
    assert reviews.operation.startswith("query($first: Int) {")
    assert accounts.variable_usages == ()
