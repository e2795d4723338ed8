"""Fixtures for the subscription tests: the demo subgraphs, served once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.subscriptions.subscription_harness import Subgraphs, seeded_subgraphs


@pytest.fixture(scope="module")
async def subgraphs(mongo_client: Any) -> AsyncIterator[Subgraphs]:
    async with seeded_subgraphs(mongo_client) as served:
        yield served
