"""A reload that fails keeps the old schema serving, and says so: in the log, on `/readyz`
(200, `lastReloadError` with codes only) and in the admin API (`schemaStatus` with the
errors); `reloadSchema` recomposes on demand, and a good reload clears the error."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.routing import Route

from gateway.composition import Composition, SubgraphSource, compose
from gateway.composition.registry import compose_registry
from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.reload.generation import SchemaGeneration
from gateway.reload.reloader import SupergraphReloader
from gateway.server import create_app
from policies.admin import create_admin_app
from policies.admin.schema_status import SchemaControl
from policies.auth import Authenticator, JwtVerifier, mint_token
from policies.auth.keys import hmac_key
from policies.principal import AuthMethod, Principal
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore
from resolvers.embedded_mongo import free_port
from tests.reload.reload_subgraphs import (
    CATALOG_V2_SDL,
    catalog_schema,
    catalog_v2_schema,
    graphql_app,
    sdl_of,
    served,
)

SECRET = b"reload-tests-secret-of-at-least-32-bytes!"
ADMIN = Principal("ops:admin", None, None, None, (), ("admin",), AuthMethod.JWT)
# `fast` is a String in the catalog: a subgraph that says Int cannot compose with it.
CONFLICTING_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query {
  fast: Int!
}
"""
STATUS = """query Status { schemaStatus { generation supergraphHash subgraphs
  lastReloadError { problems { code message subgraph } } } }"""
RELOAD = """mutation Reload { reloadSchema { changed status { generation subgraphs
  lastReloadError { problems { code } } } } }"""


def write_registry(path: Path, entries: dict[str, tuple[str, str]]) -> None:
    """`entries`: subgraph name -> (url, SDL written beside the registry)."""
    lines = []
    for name, (url, sdl) in entries.items():
        (path.parent / f"{name}.graphql").write_text(sdl)
        lines += ["[[subgraphs]]", f'name = "{name}"', f'url = "{url}"', f'sdl = "{name}.graphql"']
    path.write_text("\n".join(lines) + "\n")


class Ops:
    """The served gateway (with its reloader) and the admin API over the same reloader."""

    def __init__(self, gateway_url: str, admin: httpx.AsyncClient, reloader: SupergraphReloader):
        self.gateway_url = gateway_url
        self.admin = admin
        self.reloader = reloader
        self.http = httpx.AsyncClient(timeout=30)

    async def query(self, query: str) -> dict[str, Any]:
        response = await self.http.post(self.gateway_url, json={"query": query})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def readyz(self) -> httpx.Response:
        return await self.http.get(self.gateway_url.replace("/graphql", "/readyz"))

    async def admin_call(self, query: str) -> dict[str, Any]:
        response = await self.admin.post("/admin/graphql", json={"query": query})
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def admin_parts(db: AsyncDatabase[Any]) -> AsyncIterator[tuple[PolicyStore, PolicyWatcher]]:
    store = PolicyStore(db, None)
    await store.ensure_indexes()
    watcher = PolicyWatcher(store)
    await watcher.start()
    yield store, watcher
    await watcher.stop()


@contextlib.asynccontextmanager
async def start_ops(registry: Path, parts: tuple[PolicyStore, PolicyWatcher]) -> AsyncIterator[Ops]:
    composition = await compose_registry(registry)
    gateway = Gateway(composition.supergraph, policies=UNRESTRICTED, signing_secret=None)
    reloader = SupergraphReloader.for_registry(gateway, registry, interval=None)
    control: SchemaControl = reloader  # the admin API's view of it
    store, watcher = parts
    authenticator = Authenticator(JwtVerifier(keys=[hmac_key(SECRET)]))
    admin_app = create_admin_app(store, watcher, gateway, authenticator, control)
    mounted = Starlette(routes=[Route("/admin/graphql", admin_app, methods=["POST"])])
    token = mint_token(ADMIN, SECRET, ttl=600)
    async with (
        served(create_app(gateway, reloader=reloader)) as url,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=mounted),
            base_url="http://gateway",
            headers={"Authorization": f"Bearer {token}"},
        ) as admin,
    ):
        ops = Ops(url, admin, reloader)
        try:
            yield ops
        finally:
            await ops.http.aclose()


async def test_a_failed_composition_keeps_the_old_schema_and_is_reported(
    tmp_path: Path, admin_parts: tuple[PolicyStore, PolicyWatcher], caplog: Any
) -> None:
    registry = tmp_path / "partnergraph.toml"
    async with served(graphql_app(catalog_v2_schema)) as catalog_url:
        write_registry(registry, {"catalog": (catalog_url, sdl_of(catalog_schema))})
        async with start_ops(registry, admin_parts) as ops:
            before = (await ops.readyz()).json()
            assert before["generation"] == 1 and before["lastReloadError"] is None
            swapped: list[SchemaGeneration] = []
            ops.reloader.on_swap.append(swapped.append)

            write_registry(
                registry,
                {
                    "catalog": (catalog_url, CATALOG_V2_SDL),
                    "counter": (catalog_url, CONFLICTING_SDL),
                },
            )
            with caplog.at_level(logging.ERROR, logger="gateway.reload.reloader"):
                assert await ops.reloader.reload() is False

            # The old schema serves on: `fast` as before, nothing of the new one.
            assert await ops.query("{ fast }") == {"data": {"fast": "fast answer"}}
            assert "errors" in await ops.query("{ fresh }")
            problems = ops.reloader.status.last_failure
            assert problems is not None
            codes = sorted({p.code for p in problems.problems})
            assert "schema reload failed" in caplog.text and codes[0] in caplog.text
            # /readyz: still ready, says the reload failed, with codes only.
            readyz = await ops.readyz()
            assert readyz.status_code == 200
            body = readyz.json()
            assert body["status"] == "ready" and body["generation"] == 1
            assert body["lastReloadError"]["codes"] == codes
            assert "fast" not in readyz.text  # no schema detail on the unauthenticated probe
            # The admin API has the errors themselves.
            status = (await ops.admin_call(STATUS))["data"]["schemaStatus"]
            assert status["generation"] == 1 and status["subgraphs"] == ["catalog"]
            shown = status["lastReloadError"]["problems"]
            assert sorted({p["code"] for p in shown}) == codes
            assert any("fast" in p["message"] for p in shown)

            # Fixed: an on-demand reload through the admin API swaps and clears the error.
            write_registry(registry, {"catalog": (catalog_url, CATALOG_V2_SDL)})
            reloaded = (await ops.admin_call(RELOAD))["data"]["reloadSchema"]
            assert reloaded == {
                "changed": True,
                "status": {"generation": 2, "subgraphs": ["catalog"], "lastReloadError": None},
            }
            assert await ops.query("{ fresh }") == {"data": {"fresh": "fresh answer"}}
            assert (await ops.readyz()).json()["lastReloadError"] is None
            assert [generation.number for generation in swapped] == [2]
            # Nothing changed since: a reload is a no-op.
            again = (await ops.admin_call(RELOAD))["data"]["reloadSchema"]
            assert again["changed"] is False and again["status"]["generation"] == 2


async def test_an_unreadable_registry_or_unreachable_subgraph_changes_nothing(
    tmp_path: Path, admin_parts: tuple[PolicyStore, PolicyWatcher]
) -> None:
    registry = tmp_path / "partnergraph.toml"
    async with served(graphql_app(catalog_schema)) as catalog_url:
        write_registry(registry, {"catalog": (catalog_url, sdl_of(catalog_schema))})
        async with start_ops(registry, admin_parts) as ops:
            registry.write_text("[[subgraphs]]\nname = ")
            assert await ops.reloader.reload() is False
            assert (await ops.readyz()).json()["lastReloadError"]["codes"] == ["INVALID_REGISTRY"]

            closed = f"http://127.0.0.1:{free_port()}/graphql"
            registry.write_text(f'[[subgraphs]]\nname = "catalog"\nurl = "{closed}"\n')
            reloaded = (await ops.admin_call(RELOAD))["data"]["reloadSchema"]
            assert reloaded["changed"] is False
            assert reloaded["status"]["lastReloadError"] == {
                "problems": [{"code": "INVALID_REGISTRY"}]
            }
            assert await ops.query("{ fast }") == {"data": {"fast": "fast answer"}}


async def test_a_reload_interval_must_be_positive() -> None:
    gateway = Gateway.from_sdl(
        (await _catalog_supergraph()).supergraph_sdl, policies=UNRESTRICTED, signing_secret=None
    )
    try:
        with pytest.raises(ValueError, match="must be positive"):
            SupergraphReloader.for_registry(gateway, "partnergraph.toml", interval=0)
    finally:
        await gateway.aclose()


async def test_the_admin_api_without_live_reload_says_not_configured(
    admin_parts: tuple[PolicyStore, PolicyWatcher],
) -> None:
    store, watcher = admin_parts
    gateway = Gateway.from_sdl(
        (await _catalog_supergraph()).supergraph_sdl, policies=UNRESTRICTED, signing_secret=None
    )
    authenticator = Authenticator(JwtVerifier(keys=[hmac_key(SECRET)]))
    app = Starlette(
        routes=[Route("/admin/graphql", create_admin_app(store, watcher, gateway, authenticator))]
    )
    token = mint_token(ADMIN, SECRET, ttl=600)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {token}"},
    ) as admin:
        for query in (STATUS, RELOAD):
            body = (await admin.post("/admin/graphql", json={"query": query})).json()
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "NOT_CONFIGURED"
    await gateway.aclose()


async def _catalog_supergraph() -> Composition:
    return compose(
        [SubgraphSource("catalog", "http://127.0.0.1:9/graphql", sdl_of(catalog_schema))]
    )
