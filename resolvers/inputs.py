"""Checks for values that come from callers, before anything is written.

Every check raises `DomainError(BAD_USER_INPUT)` with a message naming the field and the
allowed range, so a bad request changes nothing and tells the caller what to fix. Money is
stored as integer cents everywhere; GraphQL shows it as a `Float` in currency units.
"""

from __future__ import annotations

import math
from datetime import date

from resolvers.errors import DomainError, ErrorCode

MAX_NAME_LENGTH = 200
MAX_NOTES_LENGTH = 2000
MAX_MONEY_CENTS = 100_000_000_000  # one billion in currency units
MAX_QUANTITY = 1_000_000


def bad_input(field: str, message: str) -> DomainError:
    return DomainError(ErrorCode.BAD_USER_INPUT, f"{field}: {message}", field=field)


def text(value: str, field: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """A non-blank string of at most `max_length` characters, stripped."""
    stripped = value.strip()
    if not stripped:
        raise bad_input(field, "must not be empty")
    if len(stripped) > max_length:
        raise bad_input(field, f"must be at most {max_length} characters (got {len(stripped)})")
    return stripped


def optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    """Free text that may be empty (stored as None)."""
    if value is None or not value.strip():
        return None
    return text(value, field, max_length=max_length)


def money_cents(value: float, field: str) -> int:
    """A non-negative amount with at most two decimals, as integer cents."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_input(field, "must be a finite number")
    cents = round(value * 100)
    if abs(value * 100 - cents) > 1e-6:
        raise bad_input(field, "must have at most two decimals")
    if cents < 0 or cents > MAX_MONEY_CENTS:
        raise bad_input(field, f"must be between 0 and {MAX_MONEY_CENTS // 100}")
    return cents


def cents_to_money(cents: int) -> float:
    return cents / 100


def percent_bps(value: float, field: str, *, maximum: float) -> int:
    """A percentage between 0 and `maximum` with at most two decimals, as basis points."""
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_input(field, "must be a finite number")
    bps = round(value * 100)
    if abs(value * 100 - bps) > 1e-6:
        raise bad_input(field, "must have at most two decimals")
    if bps < 0 or bps > round(maximum * 100):
        raise bad_input(field, f"must be between 0 and {maximum:g} percent")
    return bps


def quantity(value: int, field: str) -> int:
    """A positive whole number of units, at most `MAX_QUANTITY`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_input(field, "must be a whole number")
    if value <= 0 or value > MAX_QUANTITY:
        raise bad_input(field, f"must be between 1 and {MAX_QUANTITY}")
    return value


def stock_delta(value: int, field: str) -> int:
    """A non-zero change in units, at most `MAX_QUANTITY` either way."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_input(field, "must be a whole number")
    if value == 0 or abs(value) > MAX_QUANTITY:
        raise bad_input(field, f"must be non-zero and between -{MAX_QUANTITY} and {MAX_QUANTITY}")
    return value


def version(value: int, field: str = "version") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise bad_input(field, "must be a positive whole number (the version you read)")
    return value


def iso_date(value: date, field: str) -> str:
    """Dates are stored as ISO strings (`YYYY-MM-DD`): they sort and compare as text."""
    if not isinstance(value, date):
        raise bad_input(field, "must be a date (YYYY-MM-DD)")
    if not 2000 <= value.year <= 2100:
        raise bad_input(field, "must be between the years 2000 and 2100")
    return value.isoformat()
