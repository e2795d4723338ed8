"""`partnergraph serve` enforces policies, and a policy change made in one gateway process
takes effect in another one through the real Redis server and the MongoDB-protocol store."""

from __future__ import annotations

import asyncio
import os
import sys
from asyncio.subprocess import PIPE, Process
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis
from enforcement_harness import (
    Graph,
    free_socket,
    reseller,
    served_graph,
    supergraph_sdl,
)
from pymongo.asynchronous.database import AsyncDatabase

from gateway.enforcement.wiring import start_access
from gateway.gateway import Gateway
from gateway.supergraph import Supergraph
from policies.auth import mint_token
from policies.model import rules_from_dicts
from policies.propagation import CHANNEL
from resolvers.embedded_mongo import EmbeddedMongo
from resolvers.mongo import Document

REDIS_URL = os.environ.get("PARTNERGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
JWT_SECRET = "test-jwt-secret-" + "j" * 32
SUBGRAPH_SECRET = "test-subgraph-secret-" + "s" * 32
QUERY = {"query": "{ deals { id title } }"}
AMOUNTS = {"query": "{ deals { id amount } }"}
RULES: list[dict[str, Any]] = [
    {"id": "q", "principals": {"partnerKinds": ["RESELLER"]}, "target": "Query", "effect": "allow"},
    {"id": "d", "principals": {"partnerKinds": ["RESELLER"]}, "target": "Deal", "effect": "allow",
     "condition": "record.partner.region in principal.regions"},
    {"id": "p", "principals": {"partnerKinds": ["RESELLER"]}, "target": "Partner.*",
     "effect": "allow"},
]  # fmt: skip
AMOUNT_DENIED = {
    "id": "no-amount",
    "principals": {"partnerKinds": ["RESELLER"]},
    "target": "Deal.amount",
    "effect": "deny",
}


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment both gateway processes share (secrets, data dir)."""
    values = {
        "PARTNERGRAPH_JWT_SECRET": JWT_SECRET,
        "PARTNERGRAPH_SUBGRAPH_SECRET": SUBGRAPH_SECRET,
        "PARTNERGRAPH_DATA_DIR": str(tmp_path / "data"),
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    yield values
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture
async def signed_graph() -> AsyncIterator[Graph]:
    async with served_graph(secret=SUBGRAPH_SECRET.encode()) as graph:
        yield graph


async def start_serve(supergraph: Path, port: int, env: dict[str, str], *options: str) -> Process:
    base = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
    command = [sys.executable, "-m", "gateway.cli", "--log-level", "WARNING", "serve"]
    command += ["--supergraph", str(supergraph), "--port", str(port), *options]
    return await asyncio.create_subprocess_exec(
        *command, env={**base, **env}, stdout=PIPE, stderr=PIPE
    )


async def wait_ready(process: Process, url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(1200):
            if process.returncode is not None:
                _, err = await process.communicate()
                raise AssertionError(f"serve exited with {process.returncode}: {err.decode()}")
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("serve never became ready")


async def stop(process: Process) -> None:
    if process.returncode is None:
        process.terminate()
    await process.wait()


def free_port() -> int:
    with free_socket() as sock:
        return int(sock.getsockname()[1])


async def test_serve_refuses_to_start_without_policies(tmp_path: Path, env: dict[str, str]) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl())
    process = await start_serve(supergraph, free_port(), env)
    _, err = await process.communicate()
    assert process.returncode == 1
    assert "no policies" in err.decode() and "--policies" in err.decode()


async def test_serve_enforces_a_policy_file(
    tmp_path: Path, env: dict[str, str], signed_graph: Graph
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(signed_graph.deals.url, signed_graph.partners.url))
    policy_file = tmp_path / "policies.yaml"
    policy_file.write_text(orjson.dumps({"rules": RULES}).decode())  # JSON is YAML
    port = free_port()
    process = await start_serve(supergraph, port, env, "--policies", str(policy_file))
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(process, url)
        token = mint_token(reseller(), JWT_SECRET.encode(), ttl=60)
        async with httpx.AsyncClient(base_url=url) as client:
            seen = await client.post(
                "/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"}
            )
            anonymous = await client.post("/graphql", json=QUERY)
            expired = mint_token(reseller(), JWT_SECRET.encode(), ttl=1, now=1_000_000)
            refused = await client.post(
                "/graphql", json=QUERY, headers={"Authorization": f"Bearer {expired}"}
            )
    finally:
        await stop(process)
    assert seen.json() == {
        "data": {"deals": [{"id": "d1", "title": "Fleet"}, {"id": "d3", "title": "Core"}]}
    }
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused.status_code == 401


async def test_a_policy_change_in_one_gateway_process_applies_in_another_through_redis(
    tmp_path: Path,
    env: dict[str, str],
    signed_graph: Graph,
    mongo_server: EmbeddedMongo,
    db: AsyncDatabase[Document],
) -> None:
    sdl = supergraph_sdl(signed_graph.deals.url, signed_graph.partners.url)
    supergraph = Supergraph.from_sdl(sdl)
    # This process is gateway one: store + watcher + Redis publisher, like `serve`.
    one = await start_access(supergraph.api_schema, db=db, redis_url=REDIS_URL)
    assert one.store is not None
    await one.store.replace_all(
        rules_from_dicts(RULES), actor="test", reason="start", expected_version=0
    )
    gateway_one = Gateway(supergraph, **one.gateway_options())
    # Gateway two: `partnergraph serve` in another OS process, on the same database.
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl)
    mongo_url = mongo_server.url.replace("/?", f"/{db.name}?")
    port = free_port()
    two = await start_serve(path, port, {**env, "MONGODB_URL": mongo_url, "REDIS_URL": REDIS_URL})
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {mint_token(reseller(), JWT_SECRET.encode(), ttl=120)}"}
    redis = aioredis.Redis.from_url(REDIS_URL)
    pubsub = redis.pubsub()
    try:
        await wait_ready(two, url)
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            before = (await client.post("/graphql", json=AMOUNTS)).json()
            assert before["data"]["deals"][0] == {"id": "d1", "amount": 12011}
            await pubsub.subscribe(CHANNEL)
            changed = await one.store.create_rule(
                rules_from_dicts([AMOUNT_DENIED])[0],
                actor="test",
                reason="hide amounts",
                expected_version=1,
            )
            # Announced on the real Redis channel...
            announced = await _next_version(pubsub)
            assert announced == changed.version
            # ...applied by this process at once, and by the other one from the message.
            here = await gateway_one.execute(AMOUNTS["query"], principal=reseller())
            assert here["data"]["deals"][0] == {"id": "d1", "amount": None}
            after = await _until_amount_hidden(client)
        assert after["data"]["deals"] == [
            {"id": "d1", "amount": None},
            {"id": "d3", "amount": None},
        ]
        assert {e["extensions"]["code"] for e in after["errors"]} == {"FORBIDDEN"}
    finally:
        await stop(two)
        await pubsub.aclose()
        await redis.aclose()
        await gateway_one.aclose()
        await one.aclose()


async def _next_version(pubsub: Any) -> int:
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
        if message is not None:
            version = orjson.loads(message["data"]).get("version")
            if isinstance(version, int):
                return version


async def _until_amount_hidden(client: httpx.AsyncClient) -> dict[str, Any]:
    """The first answer of gateway two with amounts hidden (it applies the change when the
    Redis message arrives; polled, not timed)."""
    for _ in range(400):
        response: dict[str, Any] = (await client.post("/graphql", json=AMOUNTS)).json()
        if response["data"]["deals"][0]["amount"] is None:
            return response
        await asyncio.sleep(0.025)
    raise AssertionError("gateway two never applied the policy change")
