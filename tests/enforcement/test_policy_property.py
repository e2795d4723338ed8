"""Property: whatever the policies and the operation, nothing hidden reaches the caller.

Hypothesis generates policy sets for a reseller (whole-type allows with record conditions,
field denies with and without conditions, masks) and operations over the served graph
(aliases, inline and named fragments, variables, `__typename`, abstract types, the entity
jump to partners, introspection, mutations, misspelled fields that fail validation). For
each pair, the serialized response (data, errors, extensions; `locations` aside, they are
numbers about the client's own text) must contain:

- no value the view denies: every scalar in the data is distinct, so a value of a record
  the caller may not see, of a hidden field, or of a masked field is recognisable anywhere;
- no hidden field name: a name hidden on every type that has it, and not visible anywhere
  in the caller's schema, unless the client wrote it itself (fields are always aliased,
  so the data's keys are the client's own); and no "Did you mean" suggests one.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from enforcement_harness import DEALS, NOTES, PARTNERS, Graph, policy_set, reseller
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.enforcement import view_schema
from gateway.gateway import Gateway
from policies.model import PolicySet
from policies.principal import Principal
from policies.view import Access, PolicyView, compile_view

PRINCIPAL: Principal = reseller("p1", ("EU",))
WHO = {"partnerKinds": ["RESELLER"]}
MASKS: dict[str, Any] = {"Int": -1, "String": "MASKED", "ID": "MASKED"}
CONDITIONS = {
    "Deal": [
        "record.partner.region in principal.regions",
        "record.amount < 20000",
        'record.stage != "LOST"',
        "record.partner.id == principal.partnerId",
    ],
    "Partner": ["record.id == principal.partnerId", 'record.region == "US"'],
    "Note": ['record.text == "CallBack"', 'record.id != "n1"'],
}
OBJECTS = ("Deal", "Partner", "Note")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
SUGGESTION = re.compile(r"Did you mean (.*)\?")

_counter = iter(range(1, 10**9))


# --- policies ----------------------------------------------------------------------------


@st.composite
def policies(draw: st.DrawFn, schema: GraphQLSchema) -> PolicySet:
    rules: list[dict[str, Any]] = [{"target": "Query", "effect": "allow"}]
    if draw(st.booleans()):
        rules.append({"target": "Mutation", "effect": "allow"})
    else:
        rules.append({"target": "Mutation.registerDeal", "effect": "allow"})
    if draw(st.booleans()):
        rules.append({"target": "Node", "effect": "allow"})
    for type_name in OBJECTS:
        kind = draw(st.sampled_from(["allow", "conditional", "fields", "none"]))
        if kind == "allow":
            rules.append({"target": type_name, "effect": "allow"})
        elif kind == "conditional":
            condition = draw(st.sampled_from(CONDITIONS[type_name]))
            rules.append({"target": type_name, "effect": "allow", "condition": condition})
        elif kind == "fields":
            rules.append({"target": f"{type_name}.*", "effect": "allow"})
        named = schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType)
        for field_name, field in named.fields.items():
            choice = draw(st.sampled_from(["-", "-", "-", "deny", "deny-if", "mask"]))
            target = f"{type_name}.{field_name}"
            leaf = get_named_type(field.type)
            if choice == "deny":
                rules.append({"target": target, "effect": "deny"})
            elif choice == "deny-if":
                condition = draw(st.sampled_from(CONDITIONS[type_name]))
                rules.append({"target": target, "effect": "deny", "condition": condition})
            elif choice == "mask" and is_leaf_type(leaf) and leaf.name in MASKS:
                rules.append({"target": target, "effect": "mask", "mask": MASKS[leaf.name]})
    numbered = [{"id": f"r{i}", "principals": WHO, **rule} for i, rule in enumerate(rules)]
    return policy_set(*numbered, version=next(_counter))


# --- operations ----------------------------------------------------------------------------


class _Names:
    def __init__(self) -> None:
        self.count = 0

    def alias(self) -> str:
        self.count += 1
        return f"k{self.count}"


@st.composite
def selection(draw: st.DrawFn, schema: GraphQLSchema, type_name: str, depth: int, names: _Names,
              fragments: dict[str, str]) -> str:  # fmt: skip
    named = schema.get_type(type_name)
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append(f"{names.alias()}: __typename")
    if isinstance(named, GraphQLObjectType) or hasattr(named, "fields"):
        fields = getattr(named, "fields", {})
        chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=4))
        for field_name in chosen:
            field = fields[field_name]
            inner = get_named_type(field.type)
            if is_leaf_type(inner):
                parts.append(f"{names.alias()}: {field_name}")
            elif depth > 0:
                sub = draw(selection(schema, inner.name, depth - 1, names, fragments))
                parts.append(f"{names.alias()}: {field_name} {{ {sub} }}")
    possible = [type_name]
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        possible = [t.name for t in schema.get_possible_types(named)]
    if depth > 0 and draw(st.booleans()):
        target = draw(st.sampled_from(possible))
        sub = draw(selection(schema, target, depth - 1, names, fragments))
        if draw(st.booleans()):
            name = f"F{len(fragments)}"
            fragments[name] = f"fragment {name} on {target} {{ {sub} }}"
            parts.append(f"...{name}")
        else:
            parts.append(f"... on {target} {{ {sub} }}")
    if not parts:
        parts.append(f"{names.alias()}: __typename")
    return " ".join(parts)


@st.composite
def operations(draw: st.DrawFn, schema: GraphQLSchema) -> tuple[str, dict[str, Any]]:
    names = _Names()
    fragments: dict[str, str] = {}
    roots: list[str] = []
    variables: dict[str, Any] = {}
    kind = draw(st.sampled_from(["query", "query", "query", "mutation", "introspection"]))
    if kind == "mutation":
        field = draw(st.sampled_from(["registerDeal", "deleteDeal"]))
        if field == "deleteDeal":
            roots.append(f'{names.alias()}: deleteDeal(id: "d2")')
        else:
            sub = draw(selection(schema, "Deal", 2, names, fragments))
            roots.append(f'{names.alias()}: registerDeal(title: "Fresh") {{ {sub} }}')
        body = " ".join(roots)
        return f"mutation {{ {body} }} {' '.join(fragments.values())}", variables
    if kind == "introspection":
        type_name = draw(st.sampled_from(["Deal", "Partner", "Note", "Node", "Mutation", "Query"]))
        roots.append(f'{names.alias()}: __type(name: "{type_name}") {{ name fields {{ name }} }}')
        roots.append(f"{names.alias()}: __schema {{ types {{ name fields {{ name }} }} }}")
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(["deals", "deal", "dealStrict", "node", "search"]))
        if field in ("deal", "dealStrict", "node"):
            value = draw(st.sampled_from(["d1", "d2", "d3", "n1", "nope"]))
            if draw(st.booleans()):
                variable = f"v{len(variables)}"
                variables[variable] = value
                argument = f"${variable}"
            else:
                argument = f'"{value}"'
        returns = {"deals": "Deal", "deal": "Deal", "dealStrict": "Deal", "node": "Node",
                   "search": "SearchResult"}[field]  # fmt: skip
        sub = draw(selection(schema, returns, 2, names, fragments))
        call = f"{field}(id: {argument})" if field in ("deal", "dealStrict", "node") else field
        roots.append(f"{names.alias()}: {call} {{ {sub} }}")
    if draw(st.integers(0, 9)) == 0:  # a misspelled field: a validation error
        typo = draw(st.sampled_from(["margn", "scor", "secrt", "amout", "regin", "stge"]))
        roots.append(f"{names.alias()}: deals {{ {typo} }}")
    definitions = ", ".join(f"${name}: ID!" for name in variables)
    header = f"query Q({definitions})" if variables else "query Q"
    return f"{header} {{ {' '.join(roots)} }} {' '.join(fragments.values())}", variables


# --- what must never show --------------------------------------------------------------------


def _records() -> dict[str, list[dict[str, Any]]]:
    deals = []
    for deal in DEALS:
        partner = PARTNERS[str(deal["partner"]["id"])]  # type: ignore[index]
        deals.append({**deal, "partner": partner, "note": deal["note"]})
    created = {**DEALS[0], "id": "d9", "title": "Fresh", "partner": PARTNERS["p1"]}
    return {
        "Deal": [*deals, created],
        "Partner": list(PARTNERS.values()),
        "Note": list(NOTES.values()),
    }


RECORDS = _records()


def denied_values(view: PolicyView, schema: GraphQLSchema) -> set[str]:
    shown: set[str] = set()
    denied: set[str] = set()
    for type_name, records in RECORDS.items():
        named = schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType)
        for record in records:
            exists = view.allows_record(type_name, record)
            for field_name, field in named.fields.items():
                value = record.get(field_name)
                if value is None or not is_leaf_type(get_named_type(field.type)):
                    continue
                decision = view.field(type_name, field_name)
                visible = (
                    exists
                    and view.shows_field(type_name, field_name, record)
                    and decision.access is not Access.MASKED
                )
                (shown if visible else denied).add(str(value))
    return denied - shown - {"Fresh"}  # the client's own argument


def hidden_names(view: PolicyView, api_schema: GraphQLSchema) -> set[str]:
    visible = view_schema(view, api_schema)
    vocabulary = set(visible.type_map)
    for named in visible.type_map.values():
        vocabulary |= set(getattr(named, "fields", None) or {})
    hidden = {
        coordinate.split(".")[1]
        for coordinate, decision in view.fields.items()
        if decision.access is Access.HIDDEN
    }
    return hidden - vocabulary


def words(response: dict[str, Any]) -> set[str]:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "locations"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return set(WORD.findall(orjson.dumps(strip(response)).decode()))


@pytest.fixture(scope="module")
async def shared_gateway(graph: Graph) -> AsyncIterator[Gateway]:
    gateway = graph.gateway(None)
    yield gateway
    await gateway.aclose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_nothing_hidden_ever_reaches_the_caller(
    shared_gateway: Gateway, data: st.DataObject
) -> None:
    api_schema = shared_gateway.visibility.api_schema
    policy = data.draw(policies(api_schema), label="policies")
    query, variables = data.draw(operations(api_schema), label="operation")
    shared_gateway.visibility.replace(policy)
    view = compile_view(policy, PRINCIPAL, api_schema)
    response = await shared_gateway.execute(query, variables, principal=PRINCIPAL)
    seen = words(response)
    hidden = hidden_names(view, api_schema)
    leaked_values = denied_values(view, api_schema) & seen
    # A name the client wrote itself may come back ("Cannot query field 'x'"); no other.
    leaked_names = hidden & (seen - set(WORD.findall(query)))
    suggested = {
        name
        for error in response.get("errors", [])
        for suggestion in SUGGESTION.findall(error["message"])
        for name in WORD.findall(suggestion)
    }
    assert not leaked_values, f"denied values {leaked_values} in {response}"
    assert not leaked_names, f"hidden names {leaked_names} in {response}"
    assert not suggested & hidden, f"hidden names suggested in {response}"
    assert set(response) <= {"data", "errors", "extensions"}
