"""The bundled subgraphs by name, with their default ports and demo URLs."""

from __future__ import annotations

from types import ModuleType

from subgraphs.deals import app as deals_app
from subgraphs.inventory import app as inventory_app
from subgraphs.partners import app as partners_app

# name -> app module (`NAME`, `DEFAULT_PORT`, `schema`, `create_app(db)`).
SUBGRAPHS: dict[str, ModuleType] = {
    module.NAME: module for module in (partners_app, deals_app, inventory_app)
}


def demo_url(name: str, host: str = "127.0.0.1") -> str:
    """Where `python -m subgraphs` serves `name` by default (the supergraph's URLs)."""
    return f"http://{host}:{SUBGRAPHS[name].DEFAULT_PORT}/graphql"
