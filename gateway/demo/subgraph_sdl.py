"""Print the bundled subgraphs' SDL as JSON: `[{"name", "url", "sdl"}, ...]`.

`compose_with_node.mjs` reads this to compose `supergraph.graphql` without running the
subgraphs (printing a schema needs no database). The URLs are where `python -m
subgraphs.demo` serves them.
"""

from __future__ import annotations

import sys

import orjson

from subgraphs.deals.schema import schema as deals
from subgraphs.inventory.schema import schema as inventory
from subgraphs.partners.schema import schema as partners

SUBGRAPHS = {
    "partners": (partners, "http://127.0.0.1:4001/graphql"),
    "deals": (deals, "http://127.0.0.1:4002/graphql"),
    "inventory": (inventory, "http://127.0.0.1:4003/graphql"),
}


def subgraph_sdl(name: str) -> str:
    """What the subgraph answers to `{ _service { sdl } }`."""
    schema, _url = SUBGRAPHS[name]
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.data is not None, result.errors
    return str(result.data["_service"]["sdl"])


def main() -> None:
    services = [
        {"name": name, "url": url, "sdl": subgraph_sdl(name)}
        for name, (_schema, url) in SUBGRAPHS.items()
    ]
    sys.stdout.write(orjson.dumps(services, option=orjson.OPT_INDENT_2).decode() + "\n")


if __name__ == "__main__":
    main()
