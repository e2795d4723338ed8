"""Shared bits of the serving tests: the test supergraph and small response helpers.

The supergraph (`supergraph.graphql` beside this file) has two subgraphs, deals and
partners; their URLs are filled in per test. Tests that never reach a subgraph point them
at a closed port; the end-to-end tests serve real ones (`serving_subgraphs.py`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SUPERGRAPH_TEMPLATE = (Path(__file__).parent / "supergraph.graphql").read_text()
# Nothing listens on port 9 of the loopback interface: a fetch there fails at once.
UNREACHABLE = "http://127.0.0.1:9/graphql"

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def supergraph_sdl(deals_url: str = UNREACHABLE, partners_url: str = UNREACHABLE) -> str:
    return SUPERGRAPH_TEMPLATE.replace("DEALS_URL", deals_url).replace("PARTNERS_URL", partners_url)


def codes(body: dict[str, Any]) -> list[str]:
    """The `extensions.code` of every error in a response body, in order."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]
