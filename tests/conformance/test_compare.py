"""The runner's comparison rules: they must catch what they are meant to catch."""

from __future__ import annotations

from typing import Any

from gateway.planner.plan import Condition, Fetch, Flatten, Parallel, Sequence

from .compare import (
    error_mismatches,
    fixture_codes,
    plan_services,
    plan_shape_mismatches,
    response_mismatches,
    traffic_mismatches,
)
from .subgraph import Recorder

CODES = frozenset({"NOT_FOUND"})


def test_field_order_is_significant() -> None:
    expected = {"data": {"a": 1, "b": 2}}
    assert response_mismatches(expected, {"data": {"a": 1, "b": 2}}, CODES) == []
    assert response_mismatches(expected, {"data": {"b": 2, "a": 1}}, CODES)


def test_errors_match_by_path_and_compared_code_only() -> None:
    want: list[dict[str, Any]] = [
        {"path": ["a", 0], "code": "NOT_FOUND"},
        {"path": None, "code": "APOLLO_ONLY"},
    ]
    got: list[dict[str, Any]] = [
        {"message": "x", "path": ["a", 0], "extensions": {"code": "NOT_FOUND"}},
        {"message": "y", "extensions": {"code": "OUR_OWN_NAME"}},
    ]
    assert error_mismatches(want, got, CODES) == []
    wrong_code: list[dict[str, Any]] = [{"path": ["a", 0], "extensions": {"code": "OTHER"}}, got[1]]
    assert error_mismatches(want, wrong_code, CODES) == [
        "missing error at path ['a', 0] code NOT_FOUND",
        "unexpected error {'path': ['a', 0], 'extensions': {'code': 'OTHER'}}",
    ]
    assert error_mismatches([], got[:1], CODES)  # an extra error fails


def test_plan_services_sort_parallel_branches() -> None:
    fetch = Fetch(service="b", operation="{ x }")
    node = Sequence(
        (
            Fetch(service="root", operation="{ r }"),
            Parallel(
                (Flatten(("r",), fetch), Flatten(("r",), Fetch(service="a", operation="{ y }")))
            ),
            Condition("v", Fetch(service="c", operation="{ z }")),
        )
    )
    assert plan_services(node) == ["root", "a", "b", "c"]
    assert plan_shape_mismatches({"fetches": 4, "services": ["root", "a", "b", "c"]}, node) == []
    assert plan_shape_mismatches({"fetches": 3}, node) == ["plan has 4 fetches, expected 3"]
    assert plan_services(None) == []


def test_traffic_assertions_read_the_recorder() -> None:
    recorder = Recorder()
    recorder.request("a", {"query": "{ x }"}).representations = [{}, {}]
    recorder.mutation_calls.extend(["a.m1", "b.m2"])
    want = {
        "entity_calls": {"a": 1},
        "representations": {"a": 2},
        "mutation_calls": ["a.m1", "b.m2"],
    }
    assert traffic_mismatches(want, recorder) == []
    assert traffic_mismatches({"entity_calls": {"b": 1}, "mutation_calls": ["b.m2"]}, recorder) == [
        "b got 0 _entities requests, expected 1",
        "mutation calls ['a.m1', 'b.m2'], expected ['b.m2']",
    ]


def test_fixture_codes_are_collected() -> None:
    data = {"Query": {"x": {"__error": {"code": "A"}}, "y": [{"__error": {"code": "B"}}]}}
    assert fixture_codes(data) == {"A", "B"}
