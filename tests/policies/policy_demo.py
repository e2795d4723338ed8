"""The demo graph's API schema and callers, shared by the policy tests."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import GraphQLSchema

from gateway.supergraph import Supergraph
from policies.model import PolicySet
from policies.principal import AuthMethod, Principal
from policies.yaml_io import load_rules

ROOT = Path(__file__).resolve().parents[2]
DEMO_POLICIES = ROOT / "policies" / "demo_policies.yaml"


@cache
def demo_schema() -> GraphQLSchema:
    """What the demo gateway's clients see, live `Subscription` fields included."""
    from gateway.subscriptions import with_subscriptions

    supergraph = Supergraph.from_sdl((ROOT / "gateway" / "demo" / "supergraph.graphql").read_text())
    return with_subscriptions(supergraph.api_schema, supergraph.api_sdl)[0]


def demo_policy_set(version: int = 1) -> PolicySet:
    return PolicySet(version, tuple(load_rules(DEMO_POLICIES.read_text())))


def partner(
    kind: str,
    partner_id: str,
    *,
    subject: str = "user-1",
    tier: str = "GOLD",
    regions: tuple[str, ...] = ("EMEA",),
    roles: tuple[str, ...] = (),
) -> Principal:
    return Principal(
        subject=subject,
        partner_id=partner_id,
        partner_kind=kind,
        tier=tier,
        regions=regions,
        roles=roles,
        auth_method=AuthMethod.JWT,
    )
