"""Admins only: who gets in, who is refused with which code, and that refusals write nothing."""

from __future__ import annotations

import httpx
import pytest
from admin_support import (
    ADMIN,
    RESELLER,
    SECRET,
    bearer,
    caller,
    codes,
    gql,
    mounted,
    post,
    serving,
)

from policies.admin import AdminContext, build_admin_schema, create_admin_app
from policies.admin.preview import PreviewGateway
from policies.auth import Authenticator, mint_token
from policies.principal import ANONYMOUS, Principal
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore

CREATE = """
mutation($v: Int!) {
  createRule(rule: {id: "q", target: "Query", effect: ALLOW}, reason: "try", expectedVersion: $v) {
    version
  }
}
"""
INTROSPECTION = "{ __schema { queryType { fields { name } } } }"
NOT_ADMIN = caller("ops", kind="VENDOR", partner_id="vendor", roles=("operator",))


async def test_an_admin_reads_the_policy_and_introspects(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ me { subject roles } policy { version rules { id } } }")
    assert body == {
        "data": {
            "me": {"subject": "admin-1", "roles": ["admin"]},
            "policy": {"version": 0, "rules": []},
        }
    }
    fields = (await gql(client, INTROSPECTION))["data"]["__schema"]["queryType"]["fields"]
    assert {"decisionMatrix", "explain", "preview", "audit"} <= {f["name"] for f in fields}


@pytest.mark.parametrize("principal", [RESELLER, NOT_ADMIN], ids=["reseller", "operator"])
@pytest.mark.parametrize("query", [INTROSPECTION, "{ policy { version } }", CREATE])
async def test_a_signed_in_non_admin_is_forbidden_and_learns_nothing(
    client: httpx.AsyncClient, store: PolicyStore, principal: Principal, query: str
) -> None:
    response = await post(client, query, {"v": 0}, as_=principal)
    assert response.status_code == 403
    body = response.json()
    assert codes(body) == ["FORBIDDEN"] and "data" not in body
    assert "createRule" not in response.text and "__schema" not in response.text
    assert await store.current_version() == 0


async def test_no_credentials_is_unauthenticated(
    client: httpx.AsyncClient, store: PolicyStore
) -> None:
    for query in (INTROSPECTION, CREATE):
        response = await post(client, query, {"v": 0}, as_=None)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert await store.current_version() == 0


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Authorization": "Bearer not-a-jwt"}, "TOKEN_MALFORMED"),
        ({"Authorization": f"Bearer {mint_token(ADMIN, b'x' * 40, ttl=60)}"}, "BAD_SIGNATURE"),
        ({"Authorization": f"Bearer {mint_token(ADMIN, SECRET, ttl=-60)}"}, "TOKEN_EXPIRED"),
        ({"X-API-Key": "pgk_x"}, "API_KEYS_DISABLED"),
    ],
)
async def test_bad_credentials_are_unauthenticated_with_a_reason(
    client: httpx.AsyncClient, store: PolicyStore, headers: dict[str, str], reason: str
) -> None:
    response = await post(client, CREATE, {"v": 0}, headers=headers)
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert await store.current_version() == 0


async def test_the_schema_itself_refuses_non_admins_however_it_is_served(
    store: PolicyStore, watcher: PolicyWatcher, gateway: PreviewGateway
) -> None:
    schema = build_admin_schema()
    for principal, code in [(RESELLER, "FORBIDDEN"), (ANONYMOUS, "UNAUTHENTICATED")]:
        context = AdminContext(store, watcher, gateway, principal)
        result = await schema.execute(INTROSPECTION, context_value=context)
        assert result.data is None
        assert [e.extensions["code"] for e in result.errors or []] == [code]  # type: ignore[index]
    admitted = AdminContext(store, watcher, gateway, ADMIN)
    result = await schema.execute("{ policy { version } }", context_value=admitted)
    assert result.errors is None and result.data == {"policy": {"version": 0}}


async def test_get_and_websocket_are_not_served(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/admin/graphql", params={"query": "{ policy { version } }"}, headers=bearer(ADMIN)
    )
    assert response.status_code in (400, 405)
    assert "policy" not in response.text


async def test_over_real_http_an_admin_creates_a_rule(
    store: PolicyStore,
    watcher: PolicyWatcher,
    gateway: PreviewGateway,
    authenticator: Authenticator,
) -> None:
    app = mounted(create_admin_app(store, watcher, gateway, authenticator))
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        body = await gql(http, CREATE, {"v": 0})
        assert body == {"data": {"createRule": {"version": 1}}}
        refused = await post(http, CREATE, {"v": 1}, as_=RESELLER)
        assert refused.status_code == 403
    assert [rule.id for rule in (await store.current()).rules] == ["q"]


@pytest.mark.parametrize(
    "body",
    [
        {"query": ""},
        {},
        {"query": "{ policy { version } }", "variables": "x"},
        {"query": "query A { policy { version } } query B { rules { id } }"},
        {"query": "query A { policy { version } }", "operationName": "B"},
    ],
)
async def test_a_malformed_request_gets_a_coded_error(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/admin/graphql", json=body, headers=bearer(ADMIN))
    assert response.status_code in (200, 400)
    answer = response.json()
    assert answer.get("data") is None
    assert len(codes(answer)) == 1 and codes(answer)[0] != "INTERNAL_SERVER_ERROR", answer


async def test_operation_name_picks_one_of_several_operations(client: httpx.AsyncClient) -> None:
    document = "query A { policy { version } } query B { rules { id } }"
    response = await client.post(
        "/admin/graphql", json={"query": document, "operationName": "B"}, headers=bearer(ADMIN)
    )
    assert response.json() == {"data": {"rules": []}}
