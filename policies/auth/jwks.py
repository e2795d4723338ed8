"""The identity provider's signing keys from its JWKS URL, fetched without blocking.

PyJWT's `PyJWKClient` fetches with urllib (blocking), so keys are fetched here with httpx
and parsed with PyJWT's `PyJWK`. Keys are cached for `ttl` seconds. A token whose `kid` is
not cached triggers one refetch (the IdP rotated its keys), at most once per
`refetch_cooldown` seconds, so tokens with made-up ids cannot hammer the IdP. Concurrent
callers share one fetch. When a refetch fails the cached keys stay in use (and a warning is
logged); with nothing cached, tokens are refused (`KEYS_UNAVAILABLE`): fail closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import orjson

from policies.auth.errors import AuthReason, unauthenticated
from policies.auth.keys import VerificationKey, algorithms_for_key

logger = logging.getLogger(__name__)

MAX_JWKS_BYTES = 1 << 20


class JwksError(Exception):
    """The JWKS URL did not give a usable key set."""


def parse_jwks(document: Any) -> list[VerificationKey]:
    """The signature keys of a JWKS document. Symmetric (`oct`) keys, private keys,
    encryption keys and keys of unknown types are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("the document is not a JWK set (no 'keys' list)")
    keys = []
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or jwk.get("kty") == "oct" or "d" in jwk:
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(jwk).key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            logger.warning("JWKS: skipping a key that cannot be read (kid=%r)", jwk.get("kid"))
            continue
        algorithms = algorithms_for_key(key)
        if isinstance(jwk.get("alg"), str):
            algorithms &= {jwk["alg"]}
        kid = jwk.get("kid")
        if algorithms:
            keys.append(VerificationKey(key, kid if isinstance(kid, str) else None, algorithms))
    if not keys:
        raise JwksError("the JWK set holds no usable signature key")
    return keys


class JwksKeySource:
    """The keys published at one JWKS URL, cached with a TTL."""

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        refetch_cooldown: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.refetch_cooldown = refetch_cooldown
        self._clock = clock
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._keys: list[VerificationKey] = []
        self._fetched_at: float | None = None  # last attempt, successful or not
        self._expires_at = float("-inf")
        self._last_failed = False
        self._lock = asyncio.Lock()

    async def keys_for(self, alg: str, kid: str | None) -> list[VerificationKey]:
        """The cached keys that may verify a token with header `alg`/`kid`, refetched when
        the cache has expired or the `kid` is unknown."""
        if self._clock() >= self._expires_at:
            await self._refresh(force=False)
        matching = [key for key in self._keys if key.verifies(alg, kid)]
        if not matching and kid is not None and self._may_refetch():
            await self._refresh(force=True)
            matching = [key for key in self._keys if key.verifies(alg, kid)]
        if not self._keys:
            raise unauthenticated(
                AuthReason.KEYS_UNAVAILABLE,
                "The token's signing keys cannot be fetched from the identity provider "
                "right now; retry later.",
            )
        return matching

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or (
            self._clock() - self._fetched_at >= self.refetch_cooldown
        )

    async def _refresh(self, *, force: bool) -> None:
        attempt = self._fetched_at
        async with self._lock:
            if self._fetched_at != attempt:
                return  # another caller fetched while this one waited
            if not force and self._clock() < self._expires_at:
                return
            if self._last_failed and not self._may_refetch():
                return  # an attempt just failed: keep what is cached, do not hammer the IdP
            self._fetched_at = self._clock()
            try:
                keys = await self._fetch()
            except (JwksError, httpx.HTTPError, ValueError) as exc:
                logger.warning("JWKS fetch from %s failed: %s", self.url, exc)
                self._last_failed = True
                return
            self._last_failed = False
            self._keys = keys
            self._expires_at = self._fetched_at + self.ttl

    async def _fetch(self) -> list[VerificationKey]:
        body = bytearray()
        headers = {"accept": "application/json"}
        async with self._client.stream("GET", self.url, headers=headers) as response:
            if response.status_code != 200:
                raise JwksError(f"HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_JWKS_BYTES:
                    raise JwksError(f"the document is larger than {MAX_JWKS_BYTES} bytes")
        return parse_jwks(orjson.loads(body))

    async def aclose(self) -> None:
        await self._client.aclose()
