"""Fixtures: a policy store on the real MongoDB-protocol server (checking rules against the
admin tests' graph), its watcher, and an HTTP client for the admin app mounted as the
integrator mounts it (`Route("/admin/graphql", app)`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from admin_support import SECRET, NotPreviewing, api_schema, mounted
from pymongo.asynchronous.database import AsyncDatabase

from policies.admin import create_admin_app
from policies.admin.preview import PreviewGateway
from policies.auth import Authenticator, JwtVerifier
from policies.auth.keys import hmac_key
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore


@pytest.fixture
def gateway() -> PreviewGateway:
    """Most tests do not preview: the preview tests build a real gateway of their own."""
    return NotPreviewing()


@pytest.fixture
async def store(db: AsyncDatabase[Any]) -> PolicyStore:
    policy_store = PolicyStore(db, api_schema())
    await policy_store.ensure_indexes()
    return policy_store


@pytest.fixture
async def watcher(store: PolicyStore) -> AsyncIterator[PolicyWatcher]:
    policy_watcher = PolicyWatcher(store)
    await policy_watcher.start()
    yield policy_watcher
    await policy_watcher.stop()


@pytest.fixture
def authenticator() -> Authenticator:
    return Authenticator(JwtVerifier(keys=[hmac_key(SECRET)]))


@pytest.fixture
async def client(
    store: PolicyStore,
    watcher: PolicyWatcher,
    gateway: PreviewGateway,
    authenticator: Authenticator,
) -> AsyncIterator[httpx.AsyncClient]:
    app = mounted(create_admin_app(store, watcher, gateway, authenticator))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http
