"""Domain errors with stable codes.

Subgraphs turn a `DomainError` into a GraphQL error whose `extensions.code` is the code, so
clients can branch on it. Raising one inside a transaction aborts it: nothing is written and
no change event is recorded.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"


class DomainError(Exception):
    """A request that cannot be carried out as asked; says why and what to do."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": str(self.code), **self.details}

    def __str__(self) -> str:
        return self.message
