"""Who may use the admin API: signed-in principals with the `admin` role, nobody else.

Checked twice: by the ASGI app before anything is parsed (so a non-admin learns nothing,
not even the schema through introspection or validation messages), and by the schema
itself (`RequireAdmin`), so the schema is safe however it is served.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from policies.principal import Principal

ADMIN_ROLE = "admin"


class AccessCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"


class AccessDenied(Exception):
    """The caller may not use the admin API; `code` and the message say what to do."""

    def __init__(self, code: AccessCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def http_status(self) -> int:
        return 401 if self.code is AccessCode.UNAUTHENTICATED else 403

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": str(self.code)}


def require_admin(principal: Principal | None) -> Principal:
    """The principal if it is an admin; raise `AccessDenied` otherwise.

    Anonymous callers get UNAUTHENTICATED (sign in, then retry); signed-in callers
    without the role get FORBIDDEN (another identity is needed).
    """
    if principal is None or principal.is_anonymous:
        raise AccessDenied(
            AccessCode.UNAUTHENTICATED,
            "The admin API needs credentials: send the bearer token or API key of an admin.",
        )
    if ADMIN_ROLE not in principal.roles:
        raise AccessDenied(
            AccessCode.FORBIDDEN,
            f"The admin API is for principals with the '{ADMIN_ROLE}' role.",
        )
    return principal


class RequireAdmin(SchemaExtension):
    """Refuses an operation (introspection included) before it is parsed unless the
    context's `principal` is an admin."""

    def on_operation(self) -> Iterator[None]:
        principal = getattr(self.execution_context.context, "principal", None)
        try:
            require_admin(principal)
        except AccessDenied as exc:
            raise GraphQLError(exc.message, extensions=exc.extensions, original_error=exc) from exc
        yield
