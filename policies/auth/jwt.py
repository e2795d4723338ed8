"""JWT bearer tokens: verify one into a `Principal`, or mint a development token.

Verification is PyJWT's; this module decides which keys and algorithms apply (from the
configuration, never from the token: see `policies.auth.keys`) and turns every failure into
`UNAUTHENTICATED` with a reason. `exp` and `sub` are required; `iss` and `aud` are required
and checked when configured; `nbf` is checked when present.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

import jwt

from policies.auth.claims import ClaimError, claims_of, principal_from_claims
from policies.auth.errors import AuthReason, unauthenticated
from policies.auth.jwks import JwksKeySource
from policies.auth.keys import (
    EC_ALGORITHMS,
    EDDSA_ALGORITHMS,
    RSA_ALGORITHMS,
    VerificationKey,
    hmac_key,
    load_pem_keys,
)
from policies.auth.settings import AuthSettings
from policies.principal import AuthMethod, Principal

MAX_TOKEN_CHARS = 8192
JWKS_ALGORITHMS = RSA_ALGORITHMS.union(*EC_ALGORITHMS.values(), EDDSA_ALGORITHMS)
DEV_ALGORITHM = "HS256"


class JwtVerifier:
    """Checks bearer tokens against configured keys and, optionally, a JWKS URL."""

    def __init__(
        self,
        *,
        keys: Sequence[VerificationKey] = (),
        jwks: JwksKeySource | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: float = 30.0,
    ) -> None:
        if not keys and jwks is None:
            raise ValueError("a JwtVerifier needs keys or a JWKS URL")
        self.keys = tuple(keys)
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.algorithms = frozenset().union(*(key.algorithms for key in self.keys))
        if jwks is not None:
            self.algorithms |= JWKS_ALGORITHMS

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> JwtVerifier:
        """The verifier the settings describe (reads the PEM file: call at start-up)."""
        keys = []
        if settings.jwt_secret is not None:
            keys.append(hmac_key(settings.jwt_secret))
        if settings.public_keys_path is not None:
            keys.extend(load_pem_keys(settings.public_keys_path))
        jwks = JwksKeySource(settings.jwks_url) if settings.jwks_url else None
        return cls(
            keys=keys,
            jwks=jwks,
            issuer=settings.issuer,
            audience=settings.audience,
            leeway=settings.leeway,
        )

    async def verify(self, token: str) -> Principal:
        """The principal `token` names; raises `AuthError` (UNAUTHENTICATED) otherwise."""
        alg, kid = self._header(token)
        configured = [key for key in self.keys if key.verifies(alg, kid)]
        claims = self._first_verified(token, configured, alg)
        published: list[VerificationKey] = []
        if claims is None and self.jwks is not None and alg in JWKS_ALGORITHMS:
            published = await self.jwks.keys_for(alg, kid)
            claims = self._first_verified(token, published, alg)
        if claims is not None:
            return _principal(claims)
        if not configured and not published:
            raise unauthenticated(
                AuthReason.UNKNOWN_KEY,
                "The token is signed with a key this gateway does not know; "
                "get a token from the configured identity provider.",
            )
        raise unauthenticated(
            AuthReason.BAD_SIGNATURE, "The token's signature is not valid; get a new token."
        )

    def _first_verified(
        self, token: str, keys: Sequence[VerificationKey], alg: str
    ) -> dict[str, Any] | None:
        for key in keys:
            claims = self._decode(token, key, alg)
            if claims is not None:
                return claims
        return None

    def _header(self, token: str) -> tuple[str, str | None]:
        if len(token) > MAX_TOKEN_CHARS:
            raise unauthenticated(AuthReason.TOKEN_MALFORMED, "The bearer token is too long.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated(
                AuthReason.TOKEN_MALFORMED, "The bearer token is not a well-formed JWT."
            ) from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.algorithms:
            allowed = ", ".join(sorted(self.algorithms))
            raise unauthenticated(
                AuthReason.ALGORITHM_NOT_ALLOWED,
                f"The token's algorithm is not accepted here (accepted: {allowed}).",
            )
        if kid is not None and not isinstance(kid, str):
            raise unauthenticated(AuthReason.TOKEN_MALFORMED, "The token's 'kid' is not a string.")
        return alg, kid

    def _decode(self, token: str, key: VerificationKey, alg: str) -> dict[str, Any] | None:
        """The verified claims, None if `key` did not sign the token, or raises."""
        required = ["exp", "sub"]
        required += ["iss"] if self.issuer is not None else []
        required += ["aud"] if self.audience is not None else []
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": required, "verify_aud": self.audience is not None},
            )
        except (jwt.InvalidSignatureError, jwt.InvalidKeyError):
            return None
        except jwt.ExpiredSignatureError:
            raise unauthenticated(
                AuthReason.TOKEN_EXPIRED, "The token has expired; get a new token."
            ) from None
        except (jwt.ImmatureSignatureError, jwt.InvalidIssuedAtError):
            raise unauthenticated(
                AuthReason.TOKEN_NOT_YET_VALID,
                "The token is not valid yet (check 'nbf'/'iat' and the issuer's clock).",
            ) from None
        except jwt.InvalidAudienceError:
            raise unauthenticated(
                AuthReason.WRONG_AUDIENCE, "The token was issued for another audience."
            ) from None
        except jwt.InvalidIssuerError:
            raise unauthenticated(
                AuthReason.WRONG_ISSUER,
                "The token was issued by an issuer this gateway does not trust.",
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise unauthenticated(
                AuthReason.MISSING_CLAIM, f"The token has no '{exc.claim}' claim."
            ) from None
        except jwt.DecodeError:
            raise unauthenticated(
                AuthReason.TOKEN_MALFORMED, "The bearer token is not a well-formed JWT."
            ) from None
        except jwt.PyJWTError as exc:
            raise unauthenticated(AuthReason.BAD_CLAIM, f"The token is not valid: {exc}.") from None

    async def aclose(self) -> None:
        if self.jwks is not None:
            await self.jwks.aclose()


def _principal(claims: dict[str, Any]) -> Principal:
    try:
        return principal_from_claims(claims, AuthMethod.JWT)
    except ClaimError as exc:
        reason = AuthReason.MISSING_CLAIM if exc.missing else AuthReason.BAD_CLAIM
        raise unauthenticated(reason, f"The token's {exc}.") from None


def mint_token(
    principal: Principal,
    secret: bytes,
    *,
    ttl: float,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    """An HS256 token for `principal`, valid for `ttl` seconds (development only)."""
    issued = int(time.time() if now is None else now)
    payload: dict[str, Any] = {
        **claims_of(principal),
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(ttl),
        "jti": secrets.token_urlsafe(12),
    }
    if issuer is not None:
        payload["iss"] = issuer
    if audience is not None:
        payload["aud"] = audience
    return jwt.encode(payload, secret, algorithm=DEV_ALGORITHM)
