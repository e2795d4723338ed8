"""Fixture data of a corpus subgraph: plain data with three small value specs.

A subgraph's fixture (`<subgraph>.data.yaml`) is a mapping:

    Query:                     # root fields; the same for Mutation
      topProducts: [{upc: "1"}, {upc: "2"}]
      product:
        __cases:               # first case whose args are a subset of the call's args
          - args: {upc: "1"}
            returns: {upc: "1", name: Table}
    entities:                  # records per entity type, matched by key for _entities
      Product:
        - {upc: "1", name: Table, shippingEstimate: {__format: "ships {weight}kg"}}

Any field value may be one of these specs instead of plain data:

- `{__cases: [{args, returns}]}`: the value depends on the field's arguments (no match: null);
- `{__error: {message, code}}`: the field (or list item) raises an error with that code;
- `{__format: "text {field} {nested[sub]}"}`: a string computed from the entity's
  representation, so a `@requires` field proves the gateway sent the required values.

An object missing a field takes it from its entity record (matched by key), so root data can
list references (`{upc: "1"}`) and records hold the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError

CASES = "__cases"
ERROR = "__error"
FORMAT = "__format"


def fixture_error(spec: Mapping[str, Any]) -> GraphQLError:
    code = spec.get("code")
    extensions = {"code": code} if code else None
    return GraphQLError(str(spec.get("message", "fixture error")), extensions=extensions)


def same_value(expected: Any, actual: Any) -> bool:
    """Loose equality for fixture matching: `1` matches the ID `"1"`."""
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return expected.keys() == actual.keys() and all(
            same_value(expected[k], actual[k]) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            same_value(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if expected is None or actual is None:
        return expected is actual
    if isinstance(expected, Mapping | list) or isinstance(actual, Mapping | list):
        return False
    return bool(expected == actual or str(expected) == str(actual))


def args_match(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    return all(
        name in actual and same_value(value, actual[name]) for name, value in expected.items()
    )


def evaluate(value: Any, args: Mapping[str, Any], scope: Mapping[str, Any]) -> Any:
    """Turn a fixture value into the field's resolved value (raises for `__error`)."""
    if isinstance(value, Mapping):
        if ERROR in value:
            raise fixture_error(value[ERROR])
        if CASES in value:
            for case in value[CASES]:
                if args_match(case.get("args") or {}, args):
                    return evaluate(case.get("returns"), args, scope)
            return None
        if FORMAT in value:
            return str(value[FORMAT]).format_map(scope)
    if isinstance(value, list):
        return [
            fixture_error(item[ERROR]) if isinstance(item, Mapping) and ERROR in item else item
            for item in value
        ]
    return value
