"""Who is calling: JWT bearer tokens, API keys, or nobody (the anonymous principal).

`AuthSettings.from_env()` reads the configuration; `JwtVerifier.from_settings()` and
`ApiKeyStore(db)` verify credentials; `Authenticator` turns a request's headers (or a
WebSocket `connection_init` payload) into a `Principal`. Every credential that cannot be
verified raises `AuthError` with code `UNAUTHENTICATED` (HTTP 401).
"""

from policies.auth.api_keys import ApiKeyRecord, ApiKeyStore, CreatedApiKey
from policies.auth.errors import AuthConfigError, AuthError, AuthErrorCode, AuthReason
from policies.auth.jwt import JwtVerifier, mint_token
from policies.auth.request import Authenticator, principal_from_request
from policies.auth.settings import AuthSettings

__all__ = [
    "ApiKeyRecord",
    "ApiKeyStore",
    "AuthConfigError",
    "AuthError",
    "AuthErrorCode",
    "AuthReason",
    "AuthSettings",
    "Authenticator",
    "CreatedApiKey",
    "JwtVerifier",
    "mint_token",
    "principal_from_request",
]
