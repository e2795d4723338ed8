"""Who is calling, from a request's credentials.

HTTP: `Authorization: Bearer <JWT>` or `X-API-Key: <key>`. WebSocket: the same two names as
keys of the `connection_init` payload (any letter case). No credentials: `ANONYMOUS`. Any
credential that is present but cannot be verified, an unsupported scheme, or both kinds at
once: `UNAUTHENTICATED` (never a downgrade to anonymous).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import HTTPConnection

from policies.auth.api_keys import ApiKeyStore
from policies.auth.errors import AuthReason, unauthenticated
from policies.auth.jwt import JwtVerifier
from policies.principal import ANONYMOUS, Principal

AUTHORIZATION = "authorization"
API_KEY = "x-api-key"


class Authenticator:
    """Turns credentials into a principal with the configured verifiers."""

    def __init__(self, jwt: JwtVerifier, api_keys: ApiKeyStore | None = None) -> None:
        self.jwt = jwt
        self.api_keys = api_keys

    async def authenticate(self, authorization: str | None, api_key: str | None) -> Principal:
        """The principal for the two credential values (None: absent)."""
        if authorization is not None:
            if api_key is not None:
                raise unauthenticated(
                    AuthReason.AMBIGUOUS_CREDENTIALS,
                    "Send either a bearer token or an API key, not both.",
                )
            return await self.jwt.verify(_bearer_token(authorization))
        if api_key is None:
            return ANONYMOUS
        if self.api_keys is None:
            raise unauthenticated(
                AuthReason.API_KEYS_DISABLED,
                "API keys are not accepted by this gateway; send a bearer token.",
            )
        return await self.api_keys.verify(api_key.strip())

    async def from_headers(self, headers: Mapping[str, str]) -> Principal:
        """The principal for HTTP headers (a case-insensitive mapping, e.g. Starlette's)."""
        return await self.authenticate(headers.get(AUTHORIZATION), headers.get(API_KEY))

    async def from_connection_params(self, params: Any) -> Principal:
        """The principal for a graphql-transport-ws `connection_init` payload."""
        if params is None:
            return ANONYMOUS
        if not isinstance(params, Mapping):
            raise unauthenticated(
                AuthReason.MALFORMED_CREDENTIALS,
                "The connection_init payload must be an object.",
            )
        values: dict[str, str] = {}
        for name, value in params.items():
            lowered = name.lower() if isinstance(name, str) else None
            if lowered not in (AUTHORIZATION, API_KEY):
                continue
            if not isinstance(value, str) or lowered in values:
                raise unauthenticated(
                    AuthReason.MALFORMED_CREDENTIALS,
                    f"The connection_init payload's '{name}' must be one string.",
                )
            values[lowered] = value
        return await self.authenticate(values.get(AUTHORIZATION), values.get(API_KEY))


async def principal_from_request(
    connection: HTTPConnection, authenticator: Authenticator
) -> Principal:
    """The principal for a Starlette request or WebSocket upgrade (its headers)."""
    return await authenticator.from_headers(connection.headers)


def _bearer_token(authorization: str) -> str:
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise unauthenticated(
            AuthReason.UNSUPPORTED_SCHEME,
            "Only 'Authorization: Bearer <token>' is accepted (or an X-API-Key header).",
        )
    token = token.strip()
    if not token:
        raise unauthenticated(AuthReason.MALFORMED_CREDENTIALS, "The bearer token is empty.")
    return token
