"""The partner claims a credential carries, and the `Principal` they make.

One mapping shared by JWTs, API key records and the signed principal header, so every way
in produces the same principal. Claim names are the JWT ones: `sub`, `partner_id`,
`partner_kind`, `tier`, `regions`, `roles`. Values are checked strictly: a claim of the
wrong shape refuses the credential instead of being ignored (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.principal import AuthMethod, Principal

PARTNER_KINDS = ("RESELLER", "DISTRIBUTOR", "SUPPLIER", "VENDOR")
_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,199}$")


class ClaimError(ValueError):
    """A claim is missing or has the wrong shape; the message names the claim."""

    def __init__(self, claim: str, message: str, *, missing: bool = False) -> None:
        super().__init__(f"claim '{claim}' {message}")
        self.claim = claim
        self.missing = missing


def _word(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not _WORD.match(value):
        raise ClaimError(name, "must be a short identifier (letters, digits, _.:@/-)")
    return value


def _words(claims: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = claims.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(item, str) and _WORD.match(item) for item in value
    ):
        raise ClaimError(name, "must be a list of short identifiers")
    return tuple(dict.fromkeys(value))  # de-duplicated, order kept


def principal_from_claims(claims: Mapping[str, Any], method: AuthMethod) -> Principal:
    """The principal a verified credential names. Raises `ClaimError` on a bad claim."""
    if method is AuthMethod.ANONYMOUS:
        raise ValueError("credentials never make the anonymous principal")
    subject = _word(claims, "sub")
    if subject is None:
        raise ClaimError("sub", "is required (who is calling)", missing=True)
    kind = _word(claims, "partner_kind")
    if kind is not None and kind not in PARTNER_KINDS:
        raise ClaimError("partner_kind", f"must be one of {', '.join(PARTNER_KINDS)}")
    return Principal(
        subject=subject,
        partner_id=_word(claims, "partner_id"),
        partner_kind=kind,
        tier=_word(claims, "tier"),
        regions=_words(claims, "regions"),
        roles=_words(claims, "roles"),
        auth_method=method,
    )


def claims_of(principal: Principal) -> dict[str, Any]:
    """The claims that make `principal` again (absent values are left out)."""
    claims: dict[str, Any] = {"sub": principal.subject}
    if principal.partner_id is not None:
        claims["partner_id"] = principal.partner_id
    if principal.partner_kind is not None:
        claims["partner_kind"] = principal.partner_kind
    if principal.tier is not None:
        claims["tier"] = principal.tier
    if principal.regions:
        claims["regions"] = list(principal.regions)
    if principal.roles:
        claims["roles"] = list(principal.roles)
    return claims
