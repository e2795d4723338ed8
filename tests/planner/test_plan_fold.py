"""The fold pass (`FetchGraph._fold_into_later_fetches`, PLANNER.md §5.9): an entity fetch
rides in a later fetch of the same subgraph at the same path (a `@requires` fetch beside a
plain sibling) when that delays nothing another fetch needs and keeps the conditional
`@requires` rule."""

from __future__ import annotations

from planner_support import HERE, assert_snapshot, fetches, plan, services

from gateway.planner.fetch_graph import FetchGraph, FetchGroup
from gateway.planner.plan import Sequence

# The public gateway benchmark's nested query, as bench/ runs it.
NESTED = (HERE.parents[1] / "bench" / "queries" / "nested.graphql").read_text()


def test_requires_beside_a_sibling_is_one_fetch() -> None:
    # policy is plain in insurance; insuredCost needs shippingCost (itself @requires).
    result = plan("requires", "{ orders { items { policy insuredCost } } }")
    assert services(result) == ["orders", "catalog", "shipping", "insurance"]
    *_, (path, insurance) = fetches(result)
    assert path == ("orders", "@", "items", "@")
    assert "... on Item { insuredCost policy }" in insurance.operation
    assert str(insurance.requires[0]) == "... on Item { __typename sku shippingCost }"


def test_a_conditional_requires_fetch_does_not_take_an_unconditional_sibling() -> None:
    # Folded, policy would not be fetched when $s is false: the @requires fetch keeps its
    # own condition, so the unconditional sibling keeps its own fetch.
    query = "query($s: Boolean!) { orders { items { policy insuredCost @include(if: $s) } } }"
    result = plan("requires", query)
    assert services(result).count("insurance") == 2
    assert "Condition(if: $s)" in str(result)
    assert_snapshot("fold_refused_conditional_requires", result)


def test_a_conditional_sibling_rides_in_the_unconditional_requires_fetch() -> None:
    query = "query($s: Boolean!) { orders { items { policy @include(if: $s) insuredCost } } }"
    result = plan("requires", query)
    assert services(result) == ["orders", "catalog", "shipping", "insurance"]
    *_, (_, insurance) = fetches(result)
    assert "insuredCost policy @include(if: $s)" in insurance.operation
    assert insurance.variable_usages == ("s",)
    assert "Condition" not in str(result)


def test_bench_nested_query_has_one_inventory_fetch_per_path() -> None:
    # inStock (plain) and shippingEstimate (@requires price weight from products) are both
    # in inventory at the same product paths: 13 fetches, where Apollo's planner makes 16.
    result = plan("bench", NESTED)
    found = list(fetches(result))
    assert len(found) == 13
    inventory = [(path, f) for path, f in found if f.service == "inventory"]
    assert len({path for path, _ in inventory}) == len(inventory) == 4
    for _, fetch in inventory:
        assert "inStock" in fetch.operation and "shippingEstimate" in fetch.operation
    assert_snapshot("bench_nested", result)


# --- the pass on hand-built graphs -----------------------------------------------------


def _entity(fetches: FetchGraph, subgraph: str, parents: set[FetchGroup]) -> FetchGroup:
    """An entity group at `items.@` (typename + sku as inputs) selecting `subgraph`'s own
    field, waiting for `parents`."""
    group = FetchGroup(subgraph, ("items", "@"), parents=set(parents), conditions=frozenset())
    inputs = group.inputs.fragment("Item")
    inputs.add_typename()
    inputs.add_field("sku")
    group.selection.fragment("Item").add_field(f"{subgraph}Field{group.id}")
    fetches.groups.append(group)
    return group


def _graph() -> tuple[FetchGraph, FetchGroup, FetchGroup, FetchGroup]:
    """root -> early(shipping); root -> catalog -> later(shipping, requires weight)."""
    fetches = FetchGraph()
    root = fetches.root("orders", "Query")
    early = _entity(fetches, "shipping", {root})
    catalog = _entity(fetches, "catalog", {root})
    later = _entity(fetches, "shipping", {catalog})
    later.inputs.fragment("Item").add_field("weight")
    later.has_requires = True
    return fetches, early, catalog, later


def test_fold_merges_the_early_group_into_the_later_one() -> None:
    fetches, early, catalog, later = _graph()
    fetches.optimize()
    assert early not in fetches.groups
    assert later.parents == {catalog}
    assert f"shippingField{early.id}" in later.selection.print()


def test_fold_keeps_a_group_another_fetch_needs_before_the_later_one() -> None:
    fetches, early, _, later = _graph()
    needs_early = _entity(fetches, "insurance", {early})
    fetches.optimize()
    assert early in fetches.groups and later in fetches.groups
    assert needs_early.parents == {early}


def test_fold_moves_a_child_that_already_waits_for_the_later_group() -> None:
    fetches, early, _, later = _graph()
    after_both = _entity(fetches, "insurance", {early, later})
    fetches.optimize()
    assert early not in fetches.groups
    assert after_both.parents == {later}


def test_fold_needs_the_later_inputs_to_cover_the_early_ones() -> None:
    fetches, early, _, later = _graph()
    early.inputs.fragment("Item").add_field("upc")  # another key: other representations
    fetches.optimize()
    assert early in fetches.groups and later in fetches.groups


def test_fold_needs_the_later_group_to_wait_for_the_early_parents() -> None:
    fetches, early, _, later = _graph()
    other_root = fetches.root("accounts", "Query")
    early.parents.add(other_root)
    fetches.optimize()
    assert early in fetches.groups and later in fetches.groups


def test_fold_is_deterministic() -> None:
    query = "{ orders { items { policy insuredCost } } }"
    assert str(plan("requires", query)) == str(plan("requires", query))
    first = str(plan("bench", NESTED))
    assert all(str(plan("bench", NESTED)) == first for _ in range(3))


def test_fold_result_is_a_plain_sequence_for_a_chain() -> None:
    result = plan("requires", "{ orders { items { policy insuredCost } } }")
    assert isinstance(result.node, Sequence)
    assert len(result.node.nodes) == 4
