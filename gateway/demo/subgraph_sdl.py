"""Print the bundled subgraphs' SDL as JSON: `[{"name", "url", "sdl"}, ...]`.

`compose_with_node.mjs` reads this to compose `supergraph.graphql` without running the
subgraphs (printing a schema needs no database). The URLs are where `python -m
subgraphs.demo` serves them.
"""

from __future__ import annotations

import sys

import orjson

from subgraphs.common.schema import SubgraphSchema
from subgraphs.registry import SUBGRAPHS, demo_url


def subgraph_sdl(name: str) -> str:
    """What the subgraph answers to `{ _service { sdl } }`."""
    schema: SubgraphSchema = SUBGRAPHS[name].schema
    result = schema.execute_sync("{ _service { sdl } }")
    if result.data is None:
        raise RuntimeError(f"{name} did not print its SDL: {result.errors}")
    return str(result.data["_service"]["sdl"])


def main() -> None:
    services = [
        {"name": name, "url": demo_url(name), "sdl": subgraph_sdl(name)} for name in SUBGRAPHS
    ]
    sys.stdout.write(orjson.dumps(services, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
