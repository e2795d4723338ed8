"""Compiling policies into views: precedence, targets, record conditions, keys, the demo rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_demo import demo_policy_set, demo_schema, partner

from policies.check import check_rules
from policies.model import PolicySet, Rule
from policies.principal import ANONYMOUS
from policies.view import Access, ViewCache, build_view, compile_view, explain

RESELLER = partner("RESELLER", "p-r1")


def rule(rule_id: str, target: str, effect: str, **extra: Any) -> Rule:
    data: dict[str, Any] = {"id": rule_id, "target": target, "effect": effect}
    data["principals"] = extra.pop("principals", {"partnerKinds": ["RESELLER"]})
    return Rule.from_dict({**data, **extra})


def view_of(*rules: Rule, principal: Any = RESELLER) -> Any:
    policy_set = PolicySet(1, rules)
    assert check_rules(rules, demo_schema()) == []
    return build_view(policy_set, principal, demo_schema())


ALLOW_QUERY = rule("q", "Query.deal", "allow")


def test_no_rule_means_deny() -> None:
    view = view_of(ALLOW_QUERY, rule("a", "Deal.amount", "allow"))
    assert view.field("Deal", "amount").access is Access.VISIBLE
    assert view.field("Deal", "customer").access is Access.HIDDEN
    assert view.field("Product", "name").access is Access.HIDDEN
    assert not view.type("Product").visible
    assert not view.type("NoSuchType").visible


@pytest.mark.parametrize(
    ("effects", "expected"),
    [
        (["allow"], Access.VISIBLE),
        (["allow", "mask"], Access.MASKED),
        (["mask"], Access.MASKED),
        (["mask", "allow", "deny"], Access.HIDDEN),
        (["deny", "allow"], Access.HIDDEN),
        (["deny"], Access.HIDDEN),
    ],
)
def test_deny_beats_mask_beats_allow(effects: list[str], expected: Access) -> None:
    rules = [
        rule(f"r{i}", "Deal.amount", effect, **({"mask": 0} if effect == "mask" else {}))
        for i, effect in enumerate(effects)
    ]
    decision = view_of(ALLOW_QUERY, *rules).field("Deal", "amount")
    assert decision.access is expected
    if expected is Access.MASKED:
        assert decision.mask == 0


def test_type_star_covers_every_field_and_a_field_rule_narrows_it() -> None:
    view = view_of(
        ALLOW_QUERY, rule("all", "Deal.*", "allow"), rule("no", "Deal.vendorMargin", "deny")
    )
    assert view.field("Deal", "customer").access is Access.VISIBLE
    assert view.field("Deal", "vendorMargin").access is Access.HIDDEN
    assert view.type("Deal").visible and view.type("Deal").condition is None


def test_a_whole_type_deny_hides_every_field_and_every_field_that_returns_the_type() -> None:
    view = view_of(ALLOW_QUERY, rule("all", "Deal.*", "allow"), rule("no", "Deal", "deny"))
    assert view.field("Deal", "customer").access is Access.HIDDEN
    assert not view.type("Deal").visible
    assert view.field("Query", "deal").access is Access.HIDDEN  # it returns a hidden type
    assert not view.type("Query").visible  # no visible field left


def test_a_whole_type_condition_filters_records_and_leaves_fields_visible() -> None:
    view = view_of(
        ALLOW_QUERY,
        rule("own", "Deal", "allow", condition="record.partner.id == principal.partnerId"),
    )
    assert view.field("Deal", "customer").access is Access.VISIBLE
    assert str(view.type("Deal")) == 'records if record.partner.id == "p-r1"'
    assert view.allows_record("Deal", {"partner": {"id": "p-r1"}})
    assert not view.allows_record("Deal", {"partner": {"id": "p-r2"}})
    assert not view.allows_record("Deal", {})  # the condition's fields were not fetched
    assert view.record_fields("Deal") == {"partner.id"}


def test_a_conditional_field_allow_is_conditional_per_record() -> None:
    view = view_of(
        ALLOW_QUERY,
        rule("all", "Deal.*", "allow"),
        rule("no", "Deal.discount", "deny"),
        rule("big", "Deal.amount", "allow", condition='record.stage == "WON"'),
        rule("nobig", "Deal.amount", "deny", condition="record.amount > 1000000"),
    )
    # Deal.* allows amount unconditionally; the conditional deny still narrows it.
    amount = view.field("Deal", "amount")
    assert amount.access is Access.CONDITIONAL
    assert view.shows_field("Deal", "amount", {"amount": 5})
    assert not view.shows_field("Deal", "amount", {"amount": 5_000_000})
    assert not view.shows_field("Deal", "amount", {})
    assert view.record_fields("Deal") == {"amount"}


def test_a_condition_on_the_caller_only_is_decided_when_the_view_is_compiled() -> None:
    gold = rule("gold", "Deal.*", "allow", condition='principal.tier == "GOLD"')
    assert view_of(ALLOW_QUERY, gold).field("Deal", "id").access is Access.VISIBLE
    silver = partner("RESELLER", "p-r1", tier="SILVER")
    assert view_of(ALLOW_QUERY, gold, principal=silver).field("Deal", "id").is_hidden


def test_a_deny_whose_condition_cannot_be_judged_hides() -> None:
    view = view_of(
        ALLOW_QUERY,
        rule("all", "Deal.*", "allow"),
        rule("x", "Deal.notes", "deny", condition="record.partner.id != principal.partnerId"),
        principal=partner("RESELLER", None),  # type: ignore[arg-type]
    )
    assert view.field("Deal", "notes").is_hidden
    assert view.field("Deal", "customer").access is Access.VISIBLE


def test_rules_for_other_callers_do_not_apply() -> None:
    view = view_of(
        ALLOW_QUERY,
        rule("all", "Deal.*", "allow"),
        rule("d", "Deal.amount", "deny", principals={"partnerKinds": ["SUPPLIER"]}),
    )
    assert view.field("Deal", "amount").access is Access.VISIBLE


def test_introspection_fields_are_always_visible() -> None:
    view = view_of()
    for name in ("__typename", "__schema", "__type"):
        assert view.field("Query", name).access is Access.VISIBLE


# -- the demo policies ---------------------------------------------------------------------

DEMO = demo_policy_set()


def demo_view(principal: Any) -> Any:
    return build_view(DEMO, principal, demo_schema())


def test_the_demo_policies_are_valid_for_the_demo_graph() -> None:
    assert check_rules(DEMO.rules, demo_schema()) == []


def test_demo_a_reseller_sees_its_own_deals_never_another_resellers_nor_the_margin() -> None:
    view = demo_view(RESELLER)
    assert view.allows_record("Deal", {"partner": {"id": "p-r1"}})
    assert not view.allows_record("Deal", {"partner": {"id": "p-r2"}})
    assert view.field("Deal", "vendorMargin").is_hidden
    assert view.field("Deal", "amount").access is Access.VISIBLE
    assert view.field("Query", "deals").access is Access.VISIBLE
    assert not view.type("InventoryItem").visible
    assert view.field("InventoryItem", "unitCost").is_hidden


def test_demo_a_supplier_sees_stock_levels_not_unit_costs() -> None:
    view = demo_view(partner("SUPPLIER", "p-s1"))
    assert view.field("InventoryItem", "onHand").access is Access.VISIBLE
    assert view.field("InventoryItem", "available").access is Access.VISIBLE
    assert view.field("InventoryItem", "unitCost").is_hidden
    assert view.field("InventoryItem", "stockValue").is_hidden  # it would reveal the cost
    assert not view.type("Deal").visible


def test_demo_a_distributor_sees_inventory_in_its_regions() -> None:
    view = demo_view(partner("DISTRIBUTOR", "p-d1", regions=("EMEA", "NA"), tier="SILVER"))
    assert view.allows_record("InventoryItem", {"warehouse": {"region": "NA"}})
    assert not view.allows_record("InventoryItem", {"warehouse": {"region": "APAC"}})
    assert view.record_fields("InventoryItem") == {"warehouse.region"}
    restock = view.field("InventoryItem", "restockEta")
    assert restock.access is Access.MASKED and restock.mask is None


def test_demo_vendor_staff_see_everything_but_admin_things() -> None:
    staff = demo_view(partner("VENDOR", "vendor", roles=("staff",)))
    admin = demo_view(partner("VENDOR", "vendor", roles=("admin",)))
    for type_name in ("Deal", "InventoryItem", "Partner", "Warehouse", "Product"):
        assert staff.type(type_name).visible and staff.type(type_name).condition is None
    assert staff.field("Deal", "vendorMargin").access is Access.VISIBLE
    assert staff.field("InventoryItem", "unitCost").access is Access.VISIBLE
    assert staff.field("Mutation", "updatePartner").is_hidden
    assert admin.field("Mutation", "updatePartner").access is Access.VISIBLE


def test_demo_anonymous_sees_nothing() -> None:
    view = demo_view(ANONYMOUS)
    assert not any(decision.visible for decision in view.types.values())
    assert all(decision.is_hidden for decision in view.fields.values())


# -- keys and caching ----------------------------------------------------------------------


def test_view_keys_are_equal_for_principals_with_the_same_decisions() -> None:
    one = demo_view(partner("RESELLER", "p-r1", subject="alice", regions=("NA",)))
    two = demo_view(partner("RESELLER", "p-r1", subject="bob", regions=("EMEA",)))
    assert one.key == two.key
    staff_a = demo_view(partner("VENDOR", "vendor", subject="carol", regions=("NA",)))
    staff_b = demo_view(partner("VENDOR", "vendor", subject="dave", regions=("APAC",)))
    assert staff_a.key == staff_b.key
    assert demo_view(ANONYMOUS).key == build_view(DEMO, ANONYMOUS, demo_schema()).key


def test_view_keys_differ_when_decisions_differ() -> None:
    own = demo_view(partner("RESELLER", "p-r1"))
    other = demo_view(partner("RESELLER", "p-r2"))
    supplier = demo_view(partner("SUPPLIER", "p-r1"))
    assert len({own.key, other.key, supplier.key, demo_view(ANONYMOUS).key}) == 4
    # Two resellers read different records but plan the same fetches.
    assert own.plan_key == other.plan_key
    assert own.plan_key != supplier.plan_key


def test_the_cache_shares_compiled_views_and_follows_new_versions() -> None:
    cache = ViewCache()
    alice = partner("RESELLER", "p-r1", subject="alice")
    bob = partner("RESELLER", "p-r1", subject="bob")
    first = cache.get(DEMO, alice, demo_schema())
    assert cache.get(DEMO, bob, demo_schema()) is first
    assert cache.get(DEMO, partner("RESELLER", "p-r2"), demo_schema()) is not first
    newer = PolicySet(2, DEMO.rules[:-2])  # drop the stock-value and unit-cost denies
    after = cache.get(newer, alice, demo_schema())
    assert after.policy_version == 2 and after is not first
    assert compile_view(DEMO, alice, demo_schema()).key == first.key


def test_explain_names_the_deciding_rule_and_why() -> None:
    text = explain(DEMO, RESELLER, "Deal.vendorMargin", demo_schema())
    assert text.decision == "hidden"
    assert text.deciding_rules == ("reseller-no-margin",)
    assert "deny beats" in text.reason
    unmatched = explain(DEMO, ANONYMOUS, "Deal.amount")
    assert unmatched.decision == "hidden" and "no rule matches" in unmatched.reason
    missing = explain(DEMO, RESELLER, "Deal.nope", demo_schema())
    assert missing.decision == "hidden" and missing.reason == "not in the API schema"
    record = explain(DEMO, RESELLER, "Deal")
    assert record.deciding_rules == ("reseller-own-deals",)
    assert 'record.partner.id == "p-r1"' in str(record)


def test_a_view_prints_its_decisions() -> None:
    text = str(demo_view(RESELLER))
    assert 'Deal: records if record.partner.id == "p-r1"' in text
    assert "vendorMargin" not in text


# -- checking rules against the schema -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"target": "Dael.amount", "effect": "allow"}, "unknown type 'Dael'"),
        ({"target": "Deal.amout", "effect": "allow"}, "type Deal has no field 'amout'"),
        ({"target": "DealStage", "effect": "allow"}, "not an object or interface type"),
        ({"target": "Deal.amount", "effect": "mask", "mask": "n/a"}, "'n/a' is not a valid Float"),
        ({"target": "Deal.amount", "effect": "mask", "mask": None}, "the field is non-null"),
        ({"target": "Deal.stage", "effect": "mask", "mask": "DONE"}, "not a value of enum"),
        ({"target": "Deal.partner", "effect": "mask", "mask": {}}, "only scalar and enum"),
        ({"target": "Deal", "effect": "mask", "mask": 0}, "a mask replaces field values"),
        ({"target": "Deal", "effect": "allow", "condition": "record.x == 1"}, "no field 'x'"),
    ],
)
def test_a_rule_that_does_not_fit_the_schema_is_reported_by_id(
    data: dict[str, Any], fragment: str
) -> None:
    problems = check_rules([Rule.from_dict({"id": "bad-rule", **data})], demo_schema())
    assert len(problems) == 1
    assert problems[0].rule_id == "bad-rule" and fragment in problems[0].message


def test_valid_masks_are_accepted() -> None:
    rules = [
        Rule.from_dict({"id": "a", "target": "Deal.amount", "effect": "mask", "mask": 0}),
        Rule.from_dict({"id": "b", "target": "Deal.notes", "effect": "mask", "mask": None}),
        Rule.from_dict({"id": "c", "target": "Deal.stage", "effect": "mask", "mask": "WON"}),
        Rule.from_dict({"id": "d", "target": "Deal.expectedClose", "effect": "mask", "mask": ""}),
    ]
    assert check_rules(rules, demo_schema()) == []


# -- property: deny always wins ------------------------------------------------------------

CANDIDATES = [
    rule("allow-field", "Deal.amount", "allow"),
    rule("allow-all", "Deal.*", "allow"),
    rule("allow-type", "Deal", "allow"),
    rule("mask-field", "Deal.amount", "mask", mask=1.5),
    rule("mask-all", "Deal.*", "mask", mask=None),
    rule("allow-if", "Deal.amount", "allow", condition='record.stage == "WON"'),
]
DENIES = [rule("deny-field", "Deal.amount", "deny"), rule("deny-all", "Deal.*", "deny")]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    others=st.lists(st.sampled_from(CANDIDATES), unique_by=lambda r: r.id),
    deny=st.sampled_from(DENIES),
    data=st.data(),
)
def test_an_unconditional_deny_wins_whatever_else_and_whatever_the_order(
    others: list[Rule], deny: Rule, data: st.DataObject
) -> None:
    rules = data.draw(st.permutations([*others, deny]))
    view = build_view(PolicySet(1, (ALLOW_QUERY, *rules)), RESELLER, demo_schema())
    assert view.field("Deal", "amount").is_hidden
    reordered = build_view(PolicySet(1, (*reversed(rules), ALLOW_QUERY)), RESELLER, demo_schema())
    assert reordered.key == view.key
