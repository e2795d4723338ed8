"""explain, decisionMatrix and schemaTree: which rule decides what, for whom, and why."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from admin_support import NotPreviewing, codes, gql, mounted
from pymongo.asynchronous.database import AsyncDatabase

from policies.admin import create_admin_app
from policies.auth import Authenticator
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore

RULES: list[dict[str, Any]] = [
    {"id": "q-deals", "target": "Query.deals", "effect": "ALLOW"},
    {"id": "q-deal", "target": "Query.deal", "effect": "ALLOW",
     "principals": {"partnerKinds": ["VENDOR"]}},
    {"id": "deal-fields", "target": "Deal.*", "effect": "ALLOW"},
    {"id": "deal-own", "target": "Deal", "effect": "ALLOW",
     "principals": {"partnerKinds": ["RESELLER"]},
     "condition": "record.partnerId == principal.partnerId"},
    {"id": "mask-amount", "target": "Deal.amount", "effect": "MASK", "mask": 0,
     "principals": {"partnerKinds": ["RESELLER"]}},
    {"id": "deny-partner", "target": "Deal.partnerId", "effect": "DENY",
     "principals": {"partnerKinds": ["DISTRIBUTOR"]}},
    {"id": "small-titles", "target": "Deal.title", "effect": "DENY",
     "principals": {"partnerKinds": ["DISTRIBUTOR"]}, "condition": "record.amount < 100"},
    {"id": "admin-close", "target": "Mutation.closeDeal", "effect": "ALLOW",
     "principals": {"roles": ["admin"]}},
]  # fmt: skip

PRINCIPALS: list[dict[str, Any]] = [
    {"subject": "r1", "partnerKind": "RESELLER", "partnerId": "P-R01"},
    {"subject": "d1", "partnerKind": "DISTRIBUTOR", "partnerId": "P-D01", "tier": "GOLD"},
    {"subject": "v1", "partnerKind": "VENDOR", "partnerId": "vendor"},
    {"subject": "a1", "roles": ["admin"]},
    {"anonymous": True},
]
RESELLER, DISTRIBUTOR, VENDOR, ADMIN_ROLE, ANONYMOUS = PRINCIPALS

EXPLAIN = """
query($p: PrincipalInput!, $c: String!, $v: Int) {
  explain(principal: $p, coordinate: $c, version: $v) {
    coordinate policyVersion decision detail reason decidingRuleIds decidingRules { id }
    considered mask condition
  }
}
"""
MATRIX = """
query($ps: [PrincipalInput!]!, $cs: [String!]) {
  decisionMatrix(principals: $ps, coordinates: $cs) {
    policyVersion coordinates
    rows { principal { text anonymous } cells { coordinate decision ruleIds mask condition } }
  }
}
"""


@pytest.fixture
async def policy(client: httpx.AsyncClient) -> None:
    body = await gql(
        client,
        """mutation($rules: [RuleInput!]!) {
             importRules(rules: $rules, reason: "decisions test", expectedVersion: 0) { version }
           }""",
        {"rules": RULES},
    )
    assert body == {"data": {"importRules": {"version": 1}}}


async def explain(
    client: httpx.AsyncClient, principal: dict[str, Any], coordinate: str, version: Any = None
) -> dict[str, Any]:
    body = await gql(client, EXPLAIN, {"p": principal, "c": coordinate, "v": version})
    assert "errors" not in body, body
    return dict(body["data"]["explain"])


@pytest.mark.usefixtures("policy")
async def test_explain_names_the_deciding_rule_and_why(client: httpx.AsyncClient) -> None:
    masked = await explain(client, RESELLER, "Deal.amount")
    assert masked["decision"] == "MASK" and masked["mask"] == 0
    assert masked["decidingRuleIds"][0] == "mask-amount"  # then the record condition's rule
    assert masked["decidingRules"][0] == {"id": "mask-amount"}
    assert masked["reason"] == "mask beats allow" and masked["policyVersion"] == 1
    assert any(
        line.startswith("mask-amount") and "applies" in line for line in masked["considered"]
    )

    denied = await explain(client, DISTRIBUTOR, "Deal.partnerId")
    assert denied["decision"] == "DENY" and denied["decidingRuleIds"] == ["deny-partner"]
    assert "deny beats" in denied["reason"]

    conditional = await explain(client, DISTRIBUTOR, "Deal.title")
    assert conditional["decision"] == "CONDITIONAL"
    assert "small-titles" in conditional["decidingRuleIds"]
    assert "amount" in conditional["condition"]

    records = await explain(client, RESELLER, "Deal")
    assert records["decision"] == "CONDITIONAL" and records["decidingRuleIds"] == ["deal-own"]
    assert "P-R01" in records["condition"]  # bound to the caller's partner id

    nobody = await explain(client, ANONYMOUS, "Query.deals")
    assert nobody["decision"] == "DENY" and nobody["decidingRuleIds"] == []
    assert "no rule" in nobody["reason"]
    assert any("does not match anonymous" in line for line in nobody["considered"])

    allowed = await explain(client, VENDOR, "Query.deal")
    assert allowed["decision"] == "ALLOW" and allowed["decidingRuleIds"] == ["q-deal"]


@pytest.mark.usefixtures("policy")
async def test_explain_reads_an_older_version_when_asked(client: httpx.AsyncClient) -> None:
    body = await gql(
        client,
        'mutation { deleteRule(id: "mask-amount", reason: "r", expectedVersion: 1) { version } }',
    )
    assert body["data"]["deleteRule"]["version"] == 2
    now = await explain(client, RESELLER, "Deal.amount")
    then = await explain(client, RESELLER, "Deal.amount", 1)
    assert (now["decision"], now["policyVersion"]) == ("ALLOW", 2)
    assert (then["decision"], then["policyVersion"]) == ("MASK", 1)


@pytest.mark.usefixtures("policy")
async def test_the_decision_matrix_matches_explain_in_every_cell(
    client: httpx.AsyncClient,
) -> None:
    tree = await gql(client, "{ schemaTree { name fields { coordinate } } }")
    every_field = [f["coordinate"] for t in tree["data"]["schemaTree"] for f in t["fields"]]
    for coordinates in (None, ["Deal", "Query", "Mutation", "Deal.amount"]):
        body = await gql(client, MATRIX, {"ps": PRINCIPALS, "cs": coordinates})
        assert "errors" not in body, body
        matrix = body["data"]["decisionMatrix"]
        assert matrix["policyVersion"] == 1
        assert matrix["coordinates"] == (coordinates or every_field)
        assert len(matrix["rows"]) == len(PRINCIPALS)
        # One request with an aliased explain per cell.
        fields = []
        for row_index, row in enumerate(matrix["rows"]):
            assert [cell["coordinate"] for cell in row["cells"]] == matrix["coordinates"]
            for cell_index, cell in enumerate(row["cells"]):
                fields.append(
                    f"e{row_index}_{cell_index}: explain(principal: $p{row_index}, "
                    f'coordinate: "{cell["coordinate"]}") '
                    "{ decision decidingRuleIds mask condition }"
                )
        params = ", ".join(f"$p{i}: PrincipalInput!" for i in range(len(PRINCIPALS)))
        explained = await gql(
            client,
            f"query({params}) {{ {' '.join(fields)} }}",
            {f"p{i}": principal for i, principal in enumerate(PRINCIPALS)},
        )
        assert "errors" not in explained, explained
        for row_index, row in enumerate(matrix["rows"]):
            for cell_index, cell in enumerate(row["cells"]):
                why = explained["data"][f"e{row_index}_{cell_index}"]
                assert (cell["decision"], cell["ruleIds"], cell["mask"], cell["condition"]) == (
                    why["decision"],
                    why["decidingRuleIds"],
                    why["mask"],
                    why["condition"],
                ), (row["principal"]["text"], cell)
    decisions = {cell["decision"] for row in matrix["rows"] for cell in row["cells"]}
    assert decisions == {"ALLOW", "DENY", "MASK", "CONDITIONAL"}


@pytest.mark.usefixtures("policy")
async def test_the_matrix_shows_each_principal_its_own_decisions(
    client: httpx.AsyncClient,
) -> None:
    cs = ["Query.deals", "Deal.amount", "Deal.partnerId", "Mutation.closeDeal"]
    body = await gql(client, MATRIX, {"ps": PRINCIPALS, "cs": cs})
    table = [
        [cell["decision"] for cell in row["cells"]]
        for row in body["data"]["decisionMatrix"]["rows"]
    ]
    assert table == [
        ["ALLOW", "MASK", "ALLOW", "DENY"],  # reseller
        ["ALLOW", "ALLOW", "DENY", "DENY"],  # distributor
        ["ALLOW", "ALLOW", "ALLOW", "DENY"],  # vendor
        ["ALLOW", "ALLOW", "ALLOW", "ALLOW"],  # admin
        ["DENY", "DENY", "DENY", "DENY"],  # anonymous
    ]


async def test_the_schema_tree_lists_types_and_fields(client: httpx.AsyncClient) -> None:
    body = await gql(
        client,
        "{ schemaTree { name kind possibleTypes fields { name coordinate type namedType } } }",
    )
    tree = body["data"]["schemaTree"]
    assert [t["name"] for t in tree] == ["Query", "Mutation", "Deal"]
    deal = tree[2]
    assert deal["kind"] == "OBJECT" and deal["possibleTypes"] == []
    assert [f["name"] for f in deal["fields"]] == ["id", "title", "amount", "partnerId"]
    assert deal["fields"][0] == {
        "name": "id",
        "coordinate": "Deal.id",
        "type": "ID!",
        "namedType": "ID",
    }
    assert tree[0]["fields"][0]["type"] == "[Deal!]!"


@pytest.mark.parametrize(
    ("query", "variables", "named"),
    [
        (EXPLAIN, {"p": RESELLER, "c": "Deal.nope"}, "Deal.nope"),
        (EXPLAIN, {"p": RESELLER, "c": "Nope"}, "Nope"),
        (EXPLAIN, {"p": RESELLER, "c": "Deal.amount.x"}, "Type or Type.field"),
        (EXPLAIN, {"p": RESELLER, "c": "Deal.__typename"}, "Deal.__typename"),
        (EXPLAIN, {"p": {"anonymous": True, "roles": ["admin"]}, "c": "Deal"}, "roles"),
        (EXPLAIN, {"p": {"partnerKind": "ALIEN"}, "c": "Deal"}, "partnerKind"),
        (EXPLAIN, {"p": {"regions": ["bad region!"]}, "c": "Deal"}, "regions"),
        (MATRIX, {"ps": [], "cs": None}, "principals"),
        (MATRIX, {"ps": [RESELLER], "cs": []}, "coordinates"),
        (MATRIX, {"ps": [RESELLER], "cs": ["Deal.id", "Deal.secret"]}, "Deal.secret"),
        (MATRIX, {"ps": [RESELLER] * 51, "cs": None}, "principals"),
        ("{ explain(principal: {}, coordinate: 1) { decision } }", None, "String"),
        ('{ explain(principal: {}, coordinate: "Deal") { decision', None, "Syntax"),
        ('{ explain(principal: {}, coordinate: "Deal") { verdict } }', None, "verdict"),
        (EXPLAIN, {"p": RESELLER, "c": 7}, "String"),
    ],
)
async def test_bad_decision_requests_are_coded_and_say_what_is_wrong(
    client: httpx.AsyncClient, query: str, variables: Any, named: str
) -> None:
    body = await gql(client, query, variables)
    assert body.get("data") is None
    assert len(codes(body)) == 1 and codes(body)[0] in {
        "BAD_USER_INPUT",
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
    }
    assert named in body["errors"][0]["message"]


async def test_an_unknown_version_is_not_found(client: httpx.AsyncClient) -> None:
    body = await gql(client, EXPLAIN, {"p": RESELLER, "c": "Deal", "v": 9})
    assert codes(body) == ["NOT_FOUND"]


async def test_unexpected_failures_are_masked(
    db: AsyncDatabase[Any], watcher: PolicyWatcher, authenticator: Authenticator
) -> None:
    schemaless = PolicyStore(db, None)  # misconfigured: nothing to check rules against
    app = mounted(create_admin_app(schemaless, watcher, NotPreviewing(), authenticator))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        body = await gql(http, "{ schemaTree { name } }")
    assert body["errors"] == [
        {
            "message": "Internal server error.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["schemaTree"],
            "extensions": {"code": "INTERNAL_SERVER_ERROR"},
        }
    ]
    assert "schema" not in body["errors"][0]["message"]
