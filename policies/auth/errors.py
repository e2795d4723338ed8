"""Authentication errors with stable codes.

Fail closed (DESIGN.md decision 8): a credential that cannot be verified is refused with
`UNAUTHENTICATED` (HTTP 401); it is never downgraded to the anonymous principal. `reason`
says which check failed, as a stable word a client may branch on (`TOKEN_EXPIRED`: get a
fresh token); the message says what to do and never echoes the credential.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class AuthErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"


class AuthReason(StrEnum):
    """Why a credential was refused (`extensions.reason`)."""

    MALFORMED_CREDENTIALS = "MALFORMED_CREDENTIALS"
    AMBIGUOUS_CREDENTIALS = "AMBIGUOUS_CREDENTIALS"
    UNSUPPORTED_SCHEME = "UNSUPPORTED_SCHEME"
    TOKEN_MALFORMED = "TOKEN_MALFORMED"
    ALGORITHM_NOT_ALLOWED = "ALGORITHM_NOT_ALLOWED"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    KEYS_UNAVAILABLE = "KEYS_UNAVAILABLE"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"
    TOKEN_NOT_YET_VALID = "TOKEN_NOT_YET_VALID"
    WRONG_AUDIENCE = "WRONG_AUDIENCE"
    WRONG_ISSUER = "WRONG_ISSUER"
    MISSING_CLAIM = "MISSING_CLAIM"
    BAD_CLAIM = "BAD_CLAIM"
    API_KEYS_DISABLED = "API_KEYS_DISABLED"
    UNKNOWN_API_KEY = "UNKNOWN_API_KEY"
    REVOKED_API_KEY = "REVOKED_API_KEY"


_HTTP_STATUS = {
    AuthErrorCode.UNAUTHENTICATED: 401,
    AuthErrorCode.BAD_USER_INPUT: 400,
    AuthErrorCode.NOT_FOUND: 404,
}


class AuthError(Exception):
    """A credential or an auth request that cannot be accepted; says why and what to do."""

    def __init__(self, code: AuthErrorCode, message: str, reason: AuthReason | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS[self.code]

    @property
    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": str(self.code)}
        if self.reason is not None:
            extensions["reason"] = str(self.reason)
        return extensions

    def to_graphql_error(self) -> dict[str, Any]:
        """The error as one entry of a GraphQL response's `errors` list."""
        return {"message": self.message, "extensions": self.extensions}

    def __str__(self) -> str:
        return self.message if self.reason is None else f"{self.message} ({self.reason})"


def unauthenticated(reason: AuthReason, message: str) -> AuthError:
    return AuthError(AuthErrorCode.UNAUTHENTICATED, message, reason)


def bad_input(message: str) -> AuthError:
    return AuthError(AuthErrorCode.BAD_USER_INPUT, message)


class AuthConfigError(ValueError):
    """The operator's auth configuration is unusable (bad key file, short secret, ...).

    Raised at start-up, before any request is served, so a misconfigured gateway does not
    run at all rather than run open.
    """
