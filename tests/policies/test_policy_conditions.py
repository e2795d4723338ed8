"""The condition language: parsing (with error positions), schema checks, evaluation."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy_demo import demo_schema

from policies.conditions import (
    COMPARISON_OPERATORS,
    And,
    Compare,
    ConditionError,
    Expr,
    ListLiteral,
    Literal,
    Not,
    Or,
    Path,
    bind_principal,
    check_condition,
    evaluate,
    parse_condition,
    referenced_claims,
    referenced_fields,
    truth,
)
from policies.errors import PolicyErrorCode

GOOD = [
    "record.partner.id == principal.partnerId",
    "record.warehouse.region in principal.regions",
    'record.stage != "LOST" and record.amount < 100000',
    'principal.tier == "GOLD"',
    'principal.tier == "GOLD" or not record.belowReorderPoint',
    'record.stage not in ["LOST", "EXPIRED"]',
    "not (record.amount >= 5.5 or record.discount > 10) and principal.anonymous == false",
]


@pytest.mark.parametrize("source", GOOD)
def test_printing_a_parsed_condition_gives_a_condition_that_parses_to_the_same_tree(
    source: str,
) -> None:
    tree = parse_condition(source)
    assert parse_condition(str(tree)) == tree


def test_precedence_not_binds_tighter_than_and_and_and_tighter_than_or() -> None:
    tree = parse_condition("not record.a == 1 and record.b == 2 or record.c == 3")
    assert str(tree) == "not (record.a == 1) and record.b == 2 or record.c == 3"
    assert type(tree).__name__ == "Or"


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("", 1, "the condition is empty"),
        ("record.amount ==", 17, "expected a value"),
        ("record.amount = 1", 15, "use == for equality"),
        ("partnerId == 1", 1, "paths start with record. or principal."),
        ('record.stage == "LOST', 17, "unterminated string"),
        ("(record.amount == 1", 20, "expected ')'"),
        ("record.amount == 1 record.stage", 20, "join conditions with and / or"),
        ("record. == 1", 9, "expected a field name"),
        ("record == 1", 8, "expected '.'"),
        ("record.stage in [1, record.x]", 21, "a literal value in the list"),
        ("record.amount == 1 and", 23, "found the end of the condition"),
        ("record.amount @ 1", 15, "unexpected character '@'"),
        ('record.stage == "W\\qN"', 17, "invalid escape in string"),
    ],
)
def test_a_syntax_error_names_the_column_and_the_problem(
    source: str, column: int, fragment: str
) -> None:
    with pytest.raises(ConditionError) as raised:
        parse_condition(source)
    assert raised.value.position + 1 == column
    assert f"column {column}:" in str(raised.value)
    assert fragment in str(raised.value)
    assert raised.value.code is PolicyErrorCode.INVALID_POLICY


@pytest.mark.parametrize(
    ("source", "type_name"),
    [
        ("record.partner.id == principal.partnerId", "Deal"),
        ("record.warehouse.region in principal.regions", "InventoryItem"),
        ('record.stage != "LOST" and record.amount < 100000', "Deal"),
        ('record.stage in ["WON", "LOST"]', "Deal"),
        ("record.stage == principal.tier", "Deal"),
        ('record.expectedClose < "2027-01-01"', "Deal"),
        ("record.belowReorderPoint", "InventoryItem"),
        ('principal.tier == "GOLD"', "Query"),
        ("record.id == principal.partnerId", "Partner"),
    ],
)
def test_conditions_that_fit_the_demo_schema_pass_the_check(source: str, type_name: str) -> None:
    check_condition(parse_condition(source), source, demo_schema(), type_name)


@pytest.mark.parametrize(
    ("source", "type_name", "column", "fragment"),
    [
        ("record.partnerId == principal.partnerId", "Deal", 1, "Deal has no field 'partnerId'"),
        ('record.stage == "CLOSED"', "Deal", 17, '"CLOSED" is not a value of enum DealStage'),
        ('record.stage in ["WON", "CLOSD"]', "Deal", 25, '"CLOSD" is not a value of enum'),
        ('record.amount > "big"', "Deal", 15, "cannot compare number with string"),
        ("record.partner == principal.partnerId", "Deal", 1, "is an object (Partner)"),
        ("record.amount", "Deal", 1, "not a condition"),
        ("principal.group == 1", "Deal", 1, "unknown claim principal.group"),
        ("record.stage < principal.tier", "Deal", 14, "orders numbers and strings"),
        ("record.amount == principal.regions", "Deal", 18, "use 'in'"),
        ("record.amount in principal.tier", "Deal", 18, "needs a list on its right"),
        ("record.notes == null", "Deal", 17, "null never compares true"),
        ("record.inventory.onHand > 1", "Product", 1, "inventory is a list"),
        ("record.deals.items == 1", "Partner", 1, "takes required arguments"),
        ("record.deal.id == 1", "Query", 1, "Query is a root type"),
        ('record.kind == "VENDOR"', "Partner", 16, '"VENDOR" is not a value of enum PartnerKind'),
    ],
)
def test_conditions_that_do_not_fit_the_schema_are_refused_with_the_column(
    source: str, type_name: str, column: int, fragment: str
) -> None:
    with pytest.raises(ConditionError) as raised:
        check_condition(parse_condition(source), source, demo_schema(), type_name)
    assert fragment in raised.value.reason
    assert raised.value.position + 1 == column


def test_referenced_fields_are_the_record_paths_a_condition_reads() -> None:
    tree = parse_condition(
        'record.partner.id == principal.partnerId and (record.stage != "LOST" or '
        "record.warehouse.region in principal.regions)"
    )
    assert referenced_fields(tree) == {"partner.id", "stage", "warehouse.region"}
    assert referenced_claims(tree) == {"partnerId", "regions"}


CLAIMS = {"partnerId": "p-1", "regions": ["EMEA", "NA"], "tier": "GOLD", "anonymous": False}


@pytest.mark.parametrize(
    ("source", "record", "expected"),
    [
        ("record.partner.id == principal.partnerId", {"partner": {"id": "p-1"}}, True),
        ("record.partner.id == principal.partnerId", {"partner": {"id": "p-2"}}, False),
        ("record.warehouse.region in principal.regions", {"warehouse": {"region": "NA"}}, True),
        ("record.warehouse.region in principal.regions", {"warehouse": {"region": "APAC"}}, False),
        ('record.stage != "LOST" and record.amount < 100000', {"stage": "WON", "amount": 5}, True),
        (
            'record.stage != "LOST" and record.amount < 100000',
            {"stage": "LOST", "amount": 5},
            False,
        ),
        ('record.stage not in ["LOST"]', {"stage": "WON"}, True),
        ('principal.tier == "GOLD"', {}, True),
    ],
)
def test_evaluation_over_a_record_and_claims(
    source: str, record: dict[str, object], expected: bool
) -> None:
    assert evaluate(parse_condition(source), record, CLAIMS) is expected


@pytest.mark.parametrize(
    ("source", "record"),
    [
        ("record.partner.id == principal.partnerId", {}),
        ("record.partner.id == principal.partnerId", {"partner": None}),
        ("record.partner.id == principal.partnerId", {"partner": "p-1"}),
        ("record.partner.id != principal.partnerId", {"partner": {"id": None}}),
        ('not (record.stage == "LOST")', {}),
        ('record.stage not in ["LOST"]', {"stage": None}),
        ("record.amount < 10", {"amount": "5"}),
        ("record.amount < 10", {"amount": True}),
        ("record.amount < 10", {"amount": float("nan")}),
        ("record.region in principal.regions", {"region": ["EMEA"]}),
        ("record.subject == principal.subject", {"subject": None}),
    ],
)
def test_missing_null_or_mismatched_data_never_satisfies_a_condition(
    source: str, record: dict[str, object]
) -> None:
    tree = parse_condition(source)
    assert evaluate(tree, record, CLAIMS) is False
    assert truth(tree, record, CLAIMS) is None  # unknown, not false: `not` cannot flip it


def test_a_null_claim_fails_closed_even_under_not() -> None:
    tree = parse_condition("not (record.partner.id == principal.partnerId)")
    assert evaluate(tree, {"partner": {"id": "p-1"}}, {"partnerId": None}) is False


def test_binding_the_principal_folds_what_no_longer_depends_on_the_record() -> None:
    tree = parse_condition('record.partner.id == principal.partnerId and principal.tier == "GOLD"')
    assert str(bind_principal(tree, CLAIMS)) == 'record.partner.id == "p-1"'
    assert str(bind_principal(tree, {**CLAIMS, "tier": "SILVER"})) == "false"
    assert str(bind_principal(tree, {**CLAIMS, "partnerId": None})) == "null"
    either = parse_condition('principal.tier == "GOLD" or record.amount < 5')
    assert str(bind_principal(either, CLAIMS)) == "true"


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=3),
    st.lists(st.text(max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=2), st.none()),
)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(record=st.dictionaries(st.sampled_from(["stage", "amount", "partner"]), values))
def test_evaluation_never_raises_whatever_the_data(record: dict[str, object]) -> None:
    for source in GOOD:
        result = evaluate(parse_condition(source), record, CLAIMS)
        assert result in (True, False)


@PROPERTY
@given(record=st.dictionaries(st.sampled_from(["stage", "amount"]), values))
def test_a_condition_and_its_negation_never_both_hold(record: dict[str, object]) -> None:
    tree = parse_condition('record.stage != "LOST" and record.amount < 100000')
    negated = parse_condition('not (record.stage != "LOST" and record.amount < 100000)')
    assert not (evaluate(tree, record, CLAIMS) and evaluate(negated, record, CLAIMS))


names = st.from_regex(r"[a-z][A-Za-z0-9_]{0,6}", fullmatch=True)
paths = st.builds(
    Path,
    st.sampled_from(["record", "principal"]),
    st.lists(names, min_size=1, max_size=3).map(tuple),
)
literals = st.builds(
    Literal,
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
    ),
)
operands = st.one_of(
    paths, literals, st.builds(ListLiteral, st.lists(literals, max_size=3).map(tuple))
)
compares = st.builds(Compare, st.sampled_from(COMPARISON_OPERATORS), operands, operands)


def junctions(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    # A junction's items are never junctions of the same kind: `a and (b and c)` prints flat.
    return st.one_of(
        st.builds(Not, children),
        st.lists(children.filter(lambda e: not isinstance(e, And)), min_size=2, max_size=3).map(
            lambda items: And(tuple(items))
        ),
        st.lists(children.filter(lambda e: not isinstance(e, Or)), min_size=2, max_size=3).map(
            lambda items: Or(tuple(items))
        ),
    )


expressions = st.recursive(st.one_of(compares, paths, literals), junctions, max_leaves=8)


@PROPERTY
@given(tree=expressions)
def test_any_printed_condition_parses_back_to_the_same_tree(tree: Expr) -> None:
    assert parse_condition(str(tree)) == tree
