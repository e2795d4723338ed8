"""Limits that keep one process's subscriptions bounded, and the counters enforcing them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

from policies.principal import Principal


@dataclass(frozen=True, slots=True)
class SubscriptionLimits:
    # Events waiting for one subscriber before it is ended as a slow consumer.
    max_queue: int = 1000
    # Open WebSocket connections to this process.
    max_connections: int = 20_000
    # Subscriptions on one WebSocket connection (Strawberry enforces it per connection).
    max_per_connection: int = 100
    # Subscriptions of one principal (subject, or partner; anonymous callers share one).
    max_per_principal: int = 1000
    # Seconds between server pings on an idle-or-not WebSocket (graphql-transport-ws).
    ping_interval: float = 15.0
    # Seconds between re-reads of the API keys behind open subscriptions: a revocation whose
    # announcement was lost still ends them within this (`gateway.subscriptions.revocation`).
    revocation_check_interval: float = 30.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not value > 0:
                raise ValueError(f"SubscriptionLimits.{item.name} must be positive, got {value!r}")


class LimitExceeded(Exception):
    code = "TOO_MANY_SUBSCRIPTIONS"


def principal_bucket(principal: Principal) -> str:
    """Whose quota a subscription counts against."""
    if principal.is_anonymous:
        return "anonymous"
    return f"{principal.auth_method}:{principal.subject or ''}:{principal.partner_id or ''}"


class PrincipalCounter:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: Counter[str] = Counter()

    def acquire(self, principal: Principal) -> str:
        bucket = principal_bucket(principal)
        if self._counts[bucket] >= self.limit:
            raise LimitExceeded(
                f"At most {self.limit} subscriptions per caller are open at once; "
                "complete one before starting another."
            )
        self._counts[bucket] += 1
        return bucket

    def release(self, bucket: str) -> None:
        self._counts[bucket] -= 1
        if self._counts[bucket] <= 0:
            del self._counts[bucket]
