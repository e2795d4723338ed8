"""preview: a query as another principal would get it, through the gateway's own pipeline."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from admin_support import codes, deals_app, gql, mounted, serving, supergraph_sdl

from gateway.gateway import Gateway
from gateway.supergraph import Supergraph
from policies.admin import create_admin_app
from policies.auth import Authenticator
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore

PREVIEW = """
query($p: PrincipalInput!, $q: String!, $vars: JSON, $op: String) {
  preview(principal: $p, query: $q, variables: $vars, operationName: $op) {
    policyVersion principal { text } response
  }
}
"""
RULES: list[dict[str, Any]] = [
    {"id": "q-deals", "target": "Query.deals", "effect": "ALLOW"},
    {"id": "deal-fields", "target": "Deal.*", "effect": "ALLOW"},
    {"id": "deal-own", "target": "Deal", "effect": "ALLOW",
     "principals": {"partnerKinds": ["RESELLER"]},
     "condition": "record.partnerId == principal.partnerId"},
    {"id": "mask-amount", "target": "Deal.amount", "effect": "MASK", "mask": 0,
     "principals": {"partnerKinds": ["RESELLER"]}},
]  # fmt: skip
RESELLER = {"subject": "r1", "partnerKind": "RESELLER", "partnerId": "P-R01"}
VENDOR = {"subject": "v1", "partnerKind": "VENDOR", "partnerId": "vendor"}


async def test_preview_answers_as_the_given_principal_through_the_gateway(
    store: PolicyStore, watcher: PolicyWatcher, authenticator: Authenticator
) -> None:
    received: list[dict[str, Any]] = []
    async with serving(deals_app(received)) as deals_url:
        supergraph = Supergraph.from_sdl(supergraph_sdl(f"{deals_url}/graphql"))
        # cast: PolicySource.on_change takes `object`, narrower callbacks fail mypy (reported)
        gateway = Gateway(supergraph, policies=cast(Any, watcher))
        app = mounted(create_admin_app(store, watcher, gateway, authenticator))
        transport = httpx.ASGITransport(app=app)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
                imported = await gql(
                    client,
                    """mutation($rules: [RuleInput!]!) {
                         importRules(rules: $rules, reason: "preview", expectedVersion: 0) {
                           version
                         }
                       }""",
                    {"rules": RULES},
                )
                assert imported == {"data": {"importRules": {"version": 1}}}
                query = "{ deals { id title amount } }"
                as_reseller = await gql(client, PREVIEW, {"p": RESELLER, "q": query})
                as_vendor = await gql(client, PREVIEW, {"p": VENDOR, "q": query})
                as_nobody = await gql(client, PREVIEW, {"p": {"anonymous": True}, "q": query})
        finally:
            await gateway.aclose()
    reseller = as_reseller["data"]["preview"]
    assert reseller["policyVersion"] == 1 and "partner=P-R01" in reseller["principal"]["text"]
    assert reseller["response"] == {
        "data": {"deals": [{"id": "d1", "title": "Fleet renewal", "amount": 0}]}
    }
    assert as_vendor["data"]["preview"]["response"]["data"]["deals"] == [
        {"id": "d1", "title": "Fleet renewal", "amount": 120},
        {"id": "d2", "title": "Edge rollout", "amount": 80},
    ]
    nobody = as_nobody["data"]["preview"]["response"]
    assert nobody.get("data") is None and "FORBIDDEN" in codes(nobody)
    assert received, "the previews reached the subgraph"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('mutation { closeDeal(id: "d1") { id } }', None),
        ("subscription { dealChanged { id } }", None),
        ('query A { deals { id } } mutation B { closeDeal(id: "d1") { id } }', None),
        ("{ deals { id } }", [1, 2]),
    ],
)
async def test_preview_refuses_writes_and_bad_variables_before_reaching_the_gateway(
    client: httpx.AsyncClient, query: str, variables: Any
) -> None:
    body = await gql(client, PREVIEW, {"p": RESELLER, "q": query, "vars": variables})
    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]  # the test gateway would have failed the test
