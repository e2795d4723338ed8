"""JWKS: keys fetched from a real local HTTP server, cached, refetched on rotation."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from auth_support import DEV_SECRET, ec_private_key, hand_made_token, rsa_private_key, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from policies.auth import AuthError, AuthReason, JwtVerifier
from policies.auth.jwks import JwksKeySource
from policies.principal import AuthMethod


class IdentityProvider:
    """A JWKS endpoint whose published keys a test can change, counting its fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.extra: list[dict[str, Any]] = []
        self.status = 200
        self.document: Any = None  # served instead of the keys when set
        self.fetches = 0
        self.app = Starlette(routes=[Route("/jwks.json", self.jwks)])

    async def jwks(self, _request: Request) -> Response:
        self.fetches += 1
        if self.status != 200:
            return Response("down", status_code=self.status)
        if self.document is not None:
            return JSONResponse(self.document)
        published = []
        for kid, private in self.keys.items():
            alg = "RS256" if kid.startswith("rsa") else "ES256"
            jwk = jwt.algorithms.get_default_algorithms()[alg].to_jwk(
                private.public_key(), as_dict=True
            )
            published.append({**jwk, "kid": kid, "use": "sig", "alg": alg})
        return JSONResponse({"keys": published + self.extra})

    def token(self, kid: str, **claims: Any) -> str:
        alg = "RS256" if kid.startswith("rsa") else "ES256"
        payload = {"sub": "app-1", "exp": int(time.time()) + 600, **claims}
        return jwt.encode(payload, self.keys[kid], algorithm=alg, headers={"kid": kid})


@pytest.fixture
async def idp() -> AsyncIterator[tuple[IdentityProvider, str]]:
    provider = IdentityProvider()
    provider.keys = {"rsa-1": rsa_private_key(), "ec-1": ec_private_key()}
    async with serving(provider.app) as url:
        yield provider, f"{url}/jwks.json"


def verifier(url: str, *, cooldown: float = 0.0) -> JwtVerifier:
    return JwtVerifier(jwks=JwksKeySource(url, refetch_cooldown=cooldown))


async def reason_refused(verifier: JwtVerifier, token: str) -> AuthReason | None:
    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.code == "UNAUTHENTICATED"
    return caught.value.reason


async def test_tokens_verify_with_published_keys_fetched_once(
    idp: tuple[IdentityProvider, str],
) -> None:
    provider, url = idp
    checker = verifier(url)
    for kid in ("rsa-1", "ec-1", "rsa-1"):
        principal = await checker.verify(provider.token(kid, partner_id="P-S01"))
        assert principal.partner_id == "P-S01" and principal.auth_method is AuthMethod.JWT
    assert provider.fetches == 1
    await checker.aclose()


async def test_key_rotation_unknown_kid_refetches_once(
    idp: tuple[IdentityProvider, str],
) -> None:
    provider, url = idp
    checker = verifier(url)
    old_token = provider.token("rsa-1")
    assert (await checker.verify(old_token)).subject == "app-1"
    provider.keys = {"rsa-2": rsa_private_key()}  # the IdP rotates: rsa-1 is gone
    assert (await checker.verify(provider.token("rsa-2"))).subject == "app-1"
    assert provider.fetches == 2
    assert await reason_refused(checker, old_token) == AuthReason.UNKNOWN_KEY
    assert provider.fetches == 3  # one refetch for the unknown kid, no more
    await checker.aclose()


async def test_unknown_kids_do_not_refetch_within_the_cooldown(
    idp: tuple[IdentityProvider, str],
) -> None:
    provider, url = idp
    checker = verifier(url, cooldown=3600)
    assert await checker.verify(provider.token("rsa-1"))
    stranger = rsa_private_key()
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        token = jwt.encode(
            {"sub": "x", "exp": int(time.time()) + 60}, stranger, "RS256", headers={"kid": kid}
        )
        assert await reason_refused(checker, token) == AuthReason.UNKNOWN_KEY
    assert provider.fetches == 1
    await checker.aclose()


async def test_symmetric_keys_in_a_jwks_are_ignored(idp: tuple[IdentityProvider, str]) -> None:
    """A JWKS is public: an `oct` key published there must never verify HS256 tokens."""
    provider, url = idp
    provider.extra = [{"kty": "oct", "kid": "shared", "k": "c2VjcmV0", "alg": "HS256"}]
    checker = verifier(url)
    token = hand_made_token({"alg": "HS256", "kid": "shared"}, {"sub": "x"}, b"secret")
    assert await reason_refused(checker, token) == AuthReason.ALGORITHM_NOT_ALLOWED
    assert "HS256" not in checker.algorithms
    await checker.aclose()


async def test_a_dev_secret_and_a_jwks_each_verify_only_their_own_tokens(
    idp: tuple[IdentityProvider, str],
) -> None:
    from policies.auth.keys import hmac_key

    provider, url = idp
    checker = JwtVerifier(keys=[hmac_key(DEV_SECRET)], jwks=JwksKeySource(url))
    dev = jwt.encode({"sub": "dev", "exp": int(time.time()) + 60}, DEV_SECRET, "HS256")
    assert (await checker.verify(dev)).subject == "dev"
    assert (await checker.verify(provider.token("ec-1"))).subject == "app-1"
    await checker.aclose()


async def test_an_unreachable_jwks_refuses_tokens(idp: tuple[IdentityProvider, str]) -> None:
    provider, url = idp
    provider.status = 503
    checker = verifier(url, cooldown=3600)
    token = provider.token("rsa-1")
    assert await reason_refused(checker, token) == AuthReason.KEYS_UNAVAILABLE
    assert await reason_refused(checker, token) == AuthReason.KEYS_UNAVAILABLE
    assert provider.fetches == 1  # a failed fetch is not retried on every request
    await checker.aclose()


async def test_cached_keys_stay_in_use_when_a_refresh_fails(
    idp: tuple[IdentityProvider, str],
) -> None:
    provider, url = idp
    now = [1000.0]
    source = JwksKeySource(url, ttl=300, refetch_cooldown=30, clock=lambda: now[0])
    checker = JwtVerifier(jwks=source)
    token = provider.token("rsa-1")
    assert await checker.verify(token)
    provider.status = 500
    now[0] += 301  # the cache has expired: the refresh fails, the cached key still verifies
    assert await checker.verify(token)
    assert provider.fetches == 2
    provider.status = 200
    provider.keys = {"ec-9": ec_private_key()}
    now[0] += 31  # after the cooldown, the refresh succeeds and rsa-1 is gone
    assert await reason_refused(checker, token) == AuthReason.UNKNOWN_KEY
    await checker.aclose()


@pytest.mark.parametrize("document", [{"nope": 1}, {"keys": []}, [1, 2], {"keys": [{"kty": "XX"}]}])
async def test_a_document_without_usable_keys_refuses_tokens(
    idp: tuple[IdentityProvider, str], document: Any
) -> None:
    provider, url = idp
    provider.document = document
    checker = verifier(url)
    assert await reason_refused(checker, provider.token("rsa-1")) == AuthReason.KEYS_UNAVAILABLE
    await checker.aclose()


async def test_a_jwk_alg_limits_its_key_to_that_algorithm(
    idp: tuple[IdentityProvider, str],
) -> None:
    provider, url = idp
    checker = verifier(url)
    private = provider.keys["rsa-1"]
    payload = {"sub": "app-1", "exp": int(time.time()) + 600}
    ps256 = jwt.encode(payload, private, algorithm="PS256", headers={"kid": "rsa-1"})
    assert await reason_refused(checker, ps256) == AuthReason.UNKNOWN_KEY  # published as RS256
    await checker.aclose()
