"""From a request's credentials to a principal: anonymous, JWT, API key, or 401."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from auth_support import DEV_SECRET, serving
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from policies.auth import ApiKeyStore, Authenticator, AuthError, JwtVerifier, principal_from_request
from policies.auth.keys import hmac_key
from policies.principal import ANONYMOUS, AuthMethod


def token(**claims: Any) -> str:
    payload = {"sub": "user-1", "partner_id": "P-R01", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(payload, DEV_SECRET, algorithm="HS256")


@pytest.fixture
async def authenticator(db: AsyncDatabase[Any]) -> Authenticator:
    return Authenticator(JwtVerifier(keys=[hmac_key(DEV_SECRET)]), ApiKeyStore(db))


@pytest.fixture
async def whoami(authenticator: Authenticator) -> AsyncIterator[httpx.AsyncClient]:
    """A tiny app that answers with the caller's principal, or the 401 error."""

    async def endpoint(request: Request) -> JSONResponse:
        try:
            principal = await principal_from_request(request, authenticator)
        except AuthError as exc:
            return JSONResponse({"errors": [exc.to_graphql_error()]}, exc.http_status)
        return JSONResponse(principal.claims() | {"method": str(principal.auth_method)})

    app = Starlette(routes=[Route("/whoami", endpoint)])
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


async def test_no_credentials_is_the_anonymous_principal(whoami: httpx.AsyncClient) -> None:
    response = await whoami.get("/whoami")
    assert response.status_code == 200
    assert response.json() == ANONYMOUS.claims() | {"method": "anonymous"}


async def test_a_bearer_token_and_an_api_key_each_name_their_principal(
    whoami: httpx.AsyncClient, authenticator: Authenticator
) -> None:
    by_token = await whoami.get("/whoami", headers={"Authorization": f"Bearer {token()}"})
    assert by_token.status_code == 200
    assert by_token.json()["partnerId"] == "P-R01" and by_token.json()["method"] == "jwt"
    assert authenticator.api_keys is not None
    created = await authenticator.api_keys.create(
        "app", partner_id="P-D01", partner_kind="DISTRIBUTOR"
    )
    by_key = await whoami.get("/whoami", headers={"X-API-Key": created.key})
    assert by_key.status_code == 200
    assert by_key.json()["partnerId"] == "P-D01" and by_key.json()["method"] == "api_key"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Authorization": f"Bearer {token(exp=1)}"}, "TOKEN_EXPIRED"),
        ({"Authorization": "Bearer not-a-jwt"}, "TOKEN_MALFORMED"),
        ({"Authorization": "Bearer"}, "MALFORMED_CREDENTIALS"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "UNSUPPORTED_SCHEME"),
        ({"Authorization": ""}, "UNSUPPORTED_SCHEME"),
        ({"X-API-Key": "pgk_0123456789abcdef_" + "A" * 43}, "UNKNOWN_API_KEY"),
        ({"X-API-Key": ""}, "MALFORMED_CREDENTIALS"),
        ({"Authorization": f"Bearer {token()}", "X-API-Key": "k"}, "AMBIGUOUS_CREDENTIALS"),
    ],
)
async def test_bad_credentials_get_401_never_anonymous(
    whoami: httpx.AsyncClient, headers: dict[str, str], reason: str
) -> None:
    response = await whoami.get("/whoami", headers=headers)
    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert "DEV_SECRET" not in error["message"]


async def test_api_keys_without_a_store_are_refused() -> None:
    authenticator = Authenticator(JwtVerifier(keys=[hmac_key(DEV_SECRET)]))
    with pytest.raises(AuthError) as caught:
        await authenticator.from_headers({"x-api-key": "pgk_whatever"})
    assert caught.value.extensions["reason"] == "API_KEYS_DISABLED"


async def test_connection_init_payload(authenticator: Authenticator) -> None:
    assert await authenticator.from_connection_params(None) is ANONYMOUS
    assert await authenticator.from_connection_params({"other": 1}) is ANONYMOUS
    for name in ("Authorization", "authorization", "AUTHORIZATION"):
        principal = await authenticator.from_connection_params({name: f"Bearer {token()}"})
        assert principal.partner_id == "P-R01" and principal.auth_method is AuthMethod.JWT


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("Bearer x", "MALFORMED_CREDENTIALS"),
        ({"authorization": ["Bearer x"]}, "MALFORMED_CREDENTIALS"),
        ({"Authorization": "Bearer a", "authorization": "Bearer b"}, "MALFORMED_CREDENTIALS"),
        ({"authorization": f"Bearer {token(exp=1)}"}, "TOKEN_EXPIRED"),
        ({"x-api-key": "nope"}, "MALFORMED_CREDENTIALS"),
    ],
)
async def test_bad_connection_init_payloads_are_refused(
    authenticator: Authenticator, payload: Any, reason: str
) -> None:
    with pytest.raises(AuthError) as caught:
        await authenticator.from_connection_params(payload)
    assert caught.value.extensions == {"code": "UNAUTHENTICATED", "reason": reason}
