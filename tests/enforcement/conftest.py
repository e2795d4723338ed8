"""Fixtures: the small federated graph served once per module, and the demo-like policies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from enforcement_harness import Graph, policy_set, served_graph

from policies.model import PolicySet

RESELLERS = {"partnerKinds": ["RESELLER"]}

RULES: list[dict[str, Any]] = [
    {"id": "q", "principals": RESELLERS, "target": "Query", "effect": "allow"},
    {"id": "m-register", "principals": RESELLERS, "target": "Mutation.registerDeal",
     "effect": "allow"},
    {"id": "deal", "principals": RESELLERS, "target": "Deal", "effect": "allow",
     "condition": "record.partner.region in principal.regions"},
    {"id": "deal-margin", "principals": RESELLERS, "target": "Deal.margin", "effect": "deny"},
    {"id": "deal-amount", "principals": RESELLERS, "target": "Deal.amount", "effect": "mask",
     "mask": 0},
    {"id": "deal-stage", "principals": RESELLERS, "target": "Deal.stage", "effect": "deny",
     "condition": "record.amount >= 20000"},
    {"id": "partner", "principals": RESELLERS, "target": "Partner.*", "effect": "allow"},
    {"id": "partner-score", "principals": RESELLERS, "target": "Partner.score",
     "effect": "deny"},
    {"id": "note", "principals": RESELLERS, "target": "Note", "effect": "allow"},
    {"id": "note-secret", "principals": RESELLERS, "target": "Note.secret", "effect": "deny"},
    {"id": "node", "principals": RESELLERS, "target": "Node", "effect": "allow"},
]  # fmt: skip


@pytest.fixture(scope="module")
async def graph() -> AsyncIterator[Graph]:
    async with served_graph() as served:
        yield served


@pytest.fixture
def policies() -> PolicySet:
    return policy_set(*RULES)
