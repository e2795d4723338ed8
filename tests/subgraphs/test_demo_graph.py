"""The demo graph works end to end through a reference gateway: the three subgraphs on
real HTTP servers, the checked-in supergraph served by Apollo Gateway (Node), and queries
that cross subgraphs through keys, the composite key, `@requires` and `@provides`."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.embedded_mongo import free_port
from resolvers.mongo import Document
from subgraphs.common.app import create_subgraph_app
from subgraphs.deals.schema import schema as deals_schema
from subgraphs.inventory.schema import schema as inventory_schema
from subgraphs.partners.schema import schema as partners_schema

HERE = Path(__file__).resolve().parent
SUPERGRAPH = HERE.parents[1] / "gateway" / "demo" / "supergraph.graphql"
# Apollo Gateway cannot sign its calls: these apps opt out of signatures (test only).
SCHEMAS = {"4001": partners_schema, "4002": deals_schema, "4003": inventory_schema}

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@pytest.fixture
async def supergraph(seeded: AsyncDatabase[Document], tmp_path: Path) -> AsyncIterator[Path]:
    """The demo supergraph, pointed at the subgraphs served on free ports."""
    text = SUPERGRAPH.read_text()
    servers = []
    for default_port, schema in SCHEMAS.items():
        port = free_port()
        text = text.replace(f"127.0.0.1:{default_port}/", f"127.0.0.1:{port}/")
        app = create_subgraph_app(schema, seeded, secret=None)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        servers.append(_Server(config))
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers):
        assert not any(task.done() for task in tasks), "a subgraph server failed to start"
        await asyncio.sleep(0.05)
    path = tmp_path / "supergraph.graphql"
    path.write_text(text)
    yield path
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks)


async def through_gateway(supergraph: Path, *queries: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        "node", str(HERE / "apollo_gateway_query.mjs"), str(supergraph),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(orjson.dumps(list(queries)))
    assert process.returncode == 0, err.decode()
    results: list[dict[str, Any]] = orjson.loads(out)
    return results


async def test_queries_across_subgraphs(supergraph: Path) -> None:
    deals, stock, partner, hidden = await through_gateway(
        supergraph,
        '{ deal(id: "D-000002") { customer product { sku name listPrice availableToPromise '
        "inventoryValue } partner { name kind } } }",
        '{ inventoryItem(sku: "NW-SW-1008", warehouseId: "WH-EU") { available '
        "product { listPrice inventoryValue suppliers { id } } warehouse { region } } }",
        '{ partner(id: "P-R01") { name deals(first: 100) { items { partner { id name } } } } }',
        '{ deal(id: "D-000001") { riskScore } }',
    )
    assert "errors" not in deals, deals
    deal = deals["data"]["deal"]
    product = deal["product"]
    assert product["name"] and product["listPrice"] > 0
    assert deal["partner"]["kind"] in {"RESELLER", "DISTRIBUTOR"}
    # @requires: inventoryValue came from the inventory subgraph using partners' listPrice.
    item_product = stock["data"]["inventoryItem"]["product"]
    assert item_product["listPrice"] == 349.0
    assert item_product["inventoryValue"] > 0
    assert {s["id"] for s in item_product["suppliers"]} == {"P-S02", "P-S05"}
    assert stock["data"]["inventoryItem"]["warehouse"]["region"] == "EMEA"
    items = partner["data"]["partner"]["deals"]["items"]
    assert items and {i["partner"]["name"] for i in items} == {"Acme IT Solutions"}
    # @inaccessible fields are not part of the public graph.
    assert hidden["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
