"""The console over plain HTTP (no browser): pages, static files, headers, the live panel's
endpoint and who may read it."""

from __future__ import annotations

import httpx
from console_stack import ADMIN, JWT_SECRET, RESELLER, ConsoleStack, token
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.console import LiveSources, create_console_app
from policies.auth import Authenticator, JwtVerifier
from policies.auth.keys import hmac_key
from policies.principal import Principal
from resolvers.embedded_mongo import free_port
from resolvers.streams import open_event_stream

PAGES = ["/admin/", "/admin/graph", "/admin/rules", "/admin/preview", "/admin/audit", "/admin/live"]


async def test_pages_are_served_with_a_strict_policy_and_no_cookie(stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        for path in PAGES:
            response = await client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            assert "script-src 'self'" in response.headers["content-security-policy"]
            assert response.headers["x-frame-options"] == "DENY"
            assert "set-cookie" not in response.headers
            assert 'data-api="/admin/graphql"' in response.text
            assert 'src="/admin/static/console.js"' in response.text
        redirect = await client.get("/admin")
        assert redirect.status_code in (307, 308)
        assert redirect.headers["location"].endswith("/admin/")


async def test_static_files_come_from_the_package(stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        script = await client.get("/admin/static/console.js")
        style = await client.get("/admin/static/console.css")
        missing = await client.get("/admin/static/nothing.js")
    assert script.status_code == 200 and "sessionStorage" in script.text
    assert style.status_code == 200 and ":focus-visible" in style.text
    assert missing.status_code == 404


async def test_the_admin_api_keeps_its_own_route_beside_the_console(stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        response = await client.post(
            "/admin/graphql",
            json={"query": "{ policy { version } }"},
            headers={"Authorization": f"Bearer {token(ADMIN)}"},
        )
    assert response.status_code == 200
    assert response.json() == {"data": {"policy": {"version": 1}}}


async def test_live_status_is_for_admins_only(stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        anonymous = await client.get("/admin/live.json")
        reseller = await client.get(
            "/admin/live.json", headers={"Authorization": f"Bearer {token(RESELLER)}"}
        )
        forged = await client.get("/admin/live.json", headers={"Authorization": "Bearer nope"})
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert reseller.status_code == 403
    assert reseller.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert forged.status_code == 401
    assert forged.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_live_status_accepts_an_admin_api_key(stack: ConsoleStack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        response = await client.get("/admin/live.json", headers={"X-API-Key": stack.admin_api_key})
    assert response.status_code == 200
    assert set(response.json()["data"]) == {"subscriptions", "events", "notes"}


async def test_live_status_shows_recent_events_newest_first(stack: ConsoleStack) -> None:
    admin = {"Authorization": f"Bearer {token(ADMIN)}"}
    async with httpx.AsyncClient(base_url=stack.base_url) as client:
        first = (await client.post("/test/deal-event")).json()
        second = (await client.post("/test/deal-event")).json()
        after = (await client.get("/admin/live.json", headers=admin)).json()["data"]
    assert [row["id"] for row in after["events"][:2]] == [second["eventId"], first["eventId"]]
    assert after["subscriptions"] == []
    newest = after["events"][0]
    assert newest["type"] == "Deal"
    assert newest["key"] == {"id": second["dealId"]}
    assert newest["changed"] == ["notes"]
    assert newest["partners"] == ["P-R01"]


def _console_only(live: LiveSources | None) -> httpx.AsyncClient:
    authenticator = Authenticator(JwtVerifier(keys=[hmac_key(JWT_SECRET)]))
    app = Starlette(routes=[Mount("/admin", create_console_app(authenticator, live))])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console")


async def test_live_status_says_what_is_missing() -> None:
    async with _console_only(None) as client:
        response = await client.get("/admin/live.json", headers=_bearer(ADMIN))
    assert response.status_code == 200
    assert response.json()["data"] == {
        "subscriptions": None,
        "events": None,
        "notes": [
            "Subscriptions are not enabled on this gateway.",
            "No event stream is configured.",
        ],
    }


async def test_live_status_survives_an_unreachable_event_stream() -> None:
    events = open_event_stream(f"redis://127.0.0.1:{free_port()}/0")
    try:
        async with _console_only(LiveSources(events=events)) as client:
            response = await client.get("/admin/live.json", headers=_bearer(ADMIN))
    finally:
        await events.close()
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["events"] is None
    assert "The event stream is not answering; retrying." in data["notes"]


def _bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(principal)}"}
