"""The console over HTTP: a Starlette app to mount at `/admin`, beside the admin API.

Routes (under the mount): `/` sign-in, `/graph`, `/rules`, `/preview`, `/audit`, `/live`
(HTML), `/static/*` (the CSS and JS in this package: no CDN, works offline) and
`/live.json` (the live panel's data, admins only).

Sign-in and CSRF: the admin token or API key is kept in the tab's sessionStorage and sent by
`console.js` in the `Authorization` / `X-API-Key` header, the credentials the admin API
already accepts. No cookie is ever set, so a request another site makes the browser send
carries no credential: there is nothing to forge (CSRF), and the credential ends with the
tab. The pages carry no data and no secret; a strict Content-Security-Policy (scripts and
styles from this origin only, no inline script) limits what injected markup could do, and
`console.js` writes data into the page as text only.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.console.live import LiveSources, live_status
from gateway.console.pages import PAGES, Page, render
from policies.admin.access import AccessDenied, require_admin
from policies.auth import Authenticator, AuthError

STATIC_DIR = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response of the console."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _page_endpoint(page: Page, api_path: str) -> Route:
    async def endpoint(request: Request) -> Response:
        base = request.scope.get("root_path", "").rstrip("/")
        api_url = api_path if api_path.startswith("/") else f"{base}/{api_path}"
        return HTMLResponse(render(page, base=base, api_url=api_url))

    return Route(f"/{page.slug}", endpoint, methods=["GET"], name=page.slug or "signin")


def _live_endpoint(authenticator: Authenticator, sources: LiveSources) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            require_admin(await authenticator.from_headers(request.headers))
        except (AuthError, AccessDenied) as exc:
            body = {"errors": [{"message": exc.message, "extensions": exc.extensions}]}
            return JSONResponse(body, exc.http_status)
        return JSONResponse({"data": await live_status(sources)})

    return Route("/live.json", endpoint, methods=["GET"], name="live_json")


def create_console_app(
    authenticator: Authenticator,
    live: LiveSources | None = None,
    *,
    admin_api_path: str = "graphql",
) -> ASGIApp:
    """The console; mount it with `Mount("/admin", create_console_app(...))` *after*
    `Route("/admin/graphql", admin_app)`, so the admin API keeps its own route.

    `authenticator` admits admins to `/live.json` (the same one as the admin API's);
    `live` says where the live panel reads events and subscriptions; `admin_api_path` is
    where the pages send GraphQL: relative to the mount (default `graphql`, i.e.
    `/admin/graphql`) or absolute.
    """
    routes: list[BaseRoute] = [_page_endpoint(page, admin_api_path) for page in PAGES.values()]
    routes.append(_live_endpoint(authenticator, live or LiveSources()))
    routes.append(Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"))
    return SecurityHeaders(Starlette(routes=routes))
