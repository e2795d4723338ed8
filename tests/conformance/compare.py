"""How a case's expectations are compared with a gateway's answer, plan and traffic.

Shared by the runner; reference.mjs applies the same rules to Apollo's answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .subgraph import Recorder

# Codes compared exactly: GraphQL-over-HTTP standard ones, and every code a fixture raises
# (a subgraph's code must reach the client unchanged). Other gateway-made codes are each
# gateway's own naming, so only their paths are compared.
STANDARD_CODES = frozenset({"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT"})


def fixture_codes(value: Any) -> set[str]:
    """Every `__error` code in fixture data."""
    if isinstance(value, Mapping):
        found = {str(value["__error"]["code"])} if "__error" in value else set()
        return found.union(*(fixture_codes(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(fixture_codes(v) for v in value))
    return set()


def ordered(value: Any) -> Any:
    """Make key order significant: a response's fields follow the query's order."""
    if isinstance(value, Mapping):
        return [(k, ordered(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [ordered(v) for v in value]
    return value


def error_mismatches(
    expected: Iterable[Mapping[str, Any]],
    actual: Iterable[Mapping[str, Any]],
    compared_codes: frozenset[str] | set[str],
) -> list[str]:
    """Each expected error (path, and code when compared) matched once; no extra errors."""
    remaining = list(actual)
    problems: list[str] = []
    for want in expected:
        code = want.get("code")
        check_code = code in compared_codes
        for i, got in enumerate(remaining):
            got_code = (got.get("extensions") or {}).get("code")
            if got.get("path") == want.get("path") and (not check_code or got_code == code):
                del remaining[i]
                break
        else:
            shown = f" code {code}" if check_code else ""
            problems.append(f"missing error at path {want.get('path')}{shown}")
    problems += [f"unexpected error {dict(e)}" for e in remaining]
    return problems


def response_mismatches(
    expected: Mapping[str, Any],
    response: Mapping[str, Any],
    compared_codes: frozenset[str] | set[str],
) -> list[str]:
    problems: list[str] = []
    if ordered(response.get("data")) != ordered(expected.get("data")):
        problems.append(
            f"data differs:\n  expected {expected.get('data')}\n  got      {response.get('data')}"
        )
    problems += error_mismatches(
        expected.get("errors") or [], response.get("errors") or [], compared_codes
    )
    return problems


def plan_services(node: Any) -> list[str]:
    """Fetch services depth-first, Parallel children sorted (same as reference.mjs)."""
    if node is None:
        return []
    kind = type(node).__name__
    if kind == "Fetch":
        return [node.service]
    if kind == "Flatten":
        return plan_services(node.node)
    if kind == "Sequence":
        return [s for child in node.nodes for s in plan_services(child)]
    if kind == "Parallel":
        branches = sorted((plan_services(child) for child in node.nodes), key=",".join)
        return [s for branch in branches for s in branch]
    if kind == "Condition":
        return plan_services(node.if_clause) + plan_services(node.else_clause)
    return [f"<{kind}>"]


def plan_shape_mismatches(want: Mapping[str, Any], plan_node: Any) -> list[str]:
    """`fetches` and `services` of a case's plan assertions against a plan's root node."""
    services = plan_services(plan_node)
    problems: list[str] = []
    if "fetches" in want and len(services) != want["fetches"]:
        problems.append(f"plan has {len(services)} fetches, expected {want['fetches']}")
    if "services" in want and services != list(want["services"]):
        problems.append(f"plan services {services}, expected {list(want['services'])}")
    return problems


def traffic_mismatches(want: Mapping[str, Any], recorder: Recorder) -> list[str]:
    """`entity_calls`, `representations`, `mutation_calls` against what subgraphs received."""
    problems: list[str] = []
    for service, count in (want.get("entity_calls") or {}).items():
        got = recorder.entity_calls(service)
        if got != count:
            problems.append(f"{service} got {got} _entities requests, expected {count}")
    for service, count in (want.get("representations") or {}).items():
        got = recorder.representation_count(service)
        if got != count:
            problems.append(f"{service} got {got} representations, expected {count}")
    if "mutation_calls" in want and recorder.mutation_calls != list(want["mutation_calls"]):
        problems.append(
            f"mutation calls {recorder.mutation_calls}, expected {list(want['mutation_calls'])}"
        )
    return problems
