"""Concurrency of `Parallel` and the order of mutation fetches, observed by the servers."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from executor_commerce import API_SDL, catalog_subgraph, orders_subgraph
from executor_harness import Subgraph, gateway
from graphql import parse

from gateway.planner.plan import Fetch, Parallel, QueryPlan, Sequence


async def test_parallel_fetches_are_in_flight_together() -> None:
    """Each server holds its request until the other's has arrived (or gives up after a
    while): both requests start before either ends only if the executor sent them
    concurrently."""
    events: list[tuple[str, str, int]] = []
    both_arrived = asyncio.Event()

    async def wait_for_the_other(_body: dict[str, Any]) -> None:
        if sum(1 for e in events if e[0] == "start") == 2:
            both_arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both_arrived.wait(), 3.0)

    orders = orders_subgraph(events=events, before=wait_for_the_other)
    catalog = catalog_subgraph(events=events, before=wait_for_the_other)
    plan = QueryPlan(
        Parallel(
            (
                Fetch("orders", "{ orders { id } }"),
                Fetch("catalog", "{ topProducts { sku name } }"),
            )
        )
    )
    document = parse("{ orders { id } topProducts { name } }")
    async with gateway(API_SDL, orders, catalog) as executor:
        response = await executor.execute(plan, document, None, {})
    assert response == {
        "data": {
            "orders": [{"id": "o1"}, {"id": "empty"}],
            "topProducts": [{"name": "Lamp"}, {"name": "Desk"}],
        }
    }
    assert [kind for kind, _, _ in events] == ["start", "start", "end", "end"]


def mutation_subgraph(name: str, fields: list[str], log: list[str]) -> Subgraph:
    def resolver(field_name: str) -> Any:
        def resolve(_info: Any) -> str:
            log.append(f"{name}.{field_name}")
            return f"{field_name}#{len(log)}"

        return resolve

    return Subgraph(
        name,
        "type Query { _unused: Int }\ntype Mutation { "
        + " ".join(f"{f}: String" for f in fields)
        + " }",
        mutation={f: resolver(f) for f in fields},
    )


async def test_mutation_fetches_run_in_plan_order_and_shape_in_query_order() -> None:
    """Case 20: `m1 m3 m2 x: m1` runs as a(m1 m3), b(m2), a(x)."""
    log: list[str] = []
    a = mutation_subgraph("a", ["m1", "m3"], log)
    b = mutation_subgraph("b", ["m2"], log)
    plan = QueryPlan(
        Sequence(
            (
                Fetch("a", "mutation { m1 m3 }", operation_kind="mutation"),
                Fetch("b", "mutation { m2 }", operation_kind="mutation"),
                Fetch("a", "mutation { x: m1 }", operation_kind="mutation"),
            )
        )
    )
    document = parse("mutation { m1 m3 m2 x: m1 }")
    async with gateway(API_SDL, a, b) as executor:
        response = await executor.execute(plan, document, None, {})
    assert log == ["a.m1", "a.m3", "b.m2", "a.m1"]
    assert response == {"data": {"m1": "m1#1", "m3": "m3#2", "m2": "m2#3", "x": "m1#4"}}
    assert list(response["data"]) == ["m1", "m3", "m2", "x"]


async def test_sequential_requests_reuse_one_keep_alive_connection() -> None:
    orders = orders_subgraph()
    plan = QueryPlan(Fetch("orders", "{ orders { id } }"))
    document = parse("{ orders { id } }")
    async with gateway(API_SDL, orders) as executor:
        for _ in range(3):
            await executor.execute(plan, document, None, {})
    assert len(orders.peers) == 3
    assert len(set(orders.peers)) == 1
