"""Who is calling: the verified identity every visibility decision is made for.

Built by `policies.auth` from a JWT or an API key; with no credentials, `ANONYMOUS`.
Plain immutable data so it can be hashed into a policy view key, forwarded to subgraphs in a
signed header, and printed in an audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class AuthMethod(StrEnum):
    ANONYMOUS = "anonymous"
    JWT = "jwt"
    API_KEY = "api_key"


@dataclass(frozen=True, slots=True)
class Principal:
    subject: str | None = None
    partner_id: str | None = None
    partner_kind: str | None = None  # RESELLER | DISTRIBUTOR | SUPPLIER | VENDOR
    tier: str | None = None
    regions: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    auth_method: AuthMethod = AuthMethod.ANONYMOUS

    @property
    def is_anonymous(self) -> bool:
        return self.auth_method is AuthMethod.ANONYMOUS

    def claims(self) -> dict[str, Any]:
        """The principal as condition expressions see it (`principal.partnerId`, ...)."""
        return {
            "subject": self.subject,
            "partnerId": self.partner_id,
            "partnerKind": self.partner_kind,
            "tier": self.tier,
            "regions": list(self.regions),
            "roles": list(self.roles),
            "anonymous": self.is_anonymous,
        }

    def __str__(self) -> str:
        if self.is_anonymous:
            return "anonymous"
        parts = [self.subject or "?"]
        if self.partner_id:
            parts.append(f"partner={self.partner_id}({self.partner_kind or '?'})")
        if self.tier:
            parts.append(f"tier={self.tier}")
        if self.roles:
            parts.append(f"roles={','.join(self.roles)}")
        if self.regions:
            parts.append(f"regions={','.join(self.regions)}")
        return f"{' '.join(parts)} via {self.auth_method}"


ANONYMOUS = Principal()
