"""What visibility policies cost on a cached request: the same operation, with and without.

    python bench/policies_overhead.py [--requests 3000] [--rounds 5]

Two subgraphs (deals, partners) run in a child process; this process runs the gateway
in-process (`Gateway.execute`, the HTTP endpoint's own pipeline) and measures its own CPU
time per request (`time.process_time`, steadier than wall time on a shared machine), in
alternating rounds so drift hits every configuration alike. Parse, validation, planning,
view compilation and operation filtering are all cached after the warm-up, so this is the
steady-state cost of a cached request. Configurations:

- `unrestricted`: no policies (`UNRESTRICTED`), the baseline (the same admin principal, so
  the signed subgraph calls carry the same claims);
- `policies, all visible`: an admin whose view hides nothing in the operation (the view is
  compiled and looked up, the operation found unchanged: the target is under 5% over the
  baseline);
- `policies, filtered`: a reseller whose view drops records by a condition read through an
  entity jump, masks a field and hides another (more fetched data and a result pass: shown
  for scale, not held to the target).

Prints a Markdown table (CPU µs per request, difference to the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import orjson

QUERY = "{ deals { id title amount margin partner { name } } }"

DEALS_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { deals: [Deal!]! }
type Deal @key(fields: "id") { id: ID! title: String! amount: Int margin: Int partner: Partner! }
type Partner @key(fields: "id", resolvable: false) { id: ID! }
"""
PARTNERS_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { partners: [Partner!]! }
type Partner @key(fields: "id") { id: ID! name: String! region: String! }
"""
RESELLER = {"partnerKinds": ["RESELLER"]}
ADMIN = {"roles": ["admin"]}
RULES: list[dict[str, Any]] = [
    {"id": "a-q", "principals": ADMIN, "target": "Query", "effect": "allow"},
    {"id": "a-d", "principals": ADMIN, "target": "Deal", "effect": "allow"},
    {"id": "a-p", "principals": ADMIN, "target": "Partner", "effect": "allow"},
    {"id": "r-q", "principals": RESELLER, "target": "Query", "effect": "allow"},
    {"id": "r-d", "principals": RESELLER, "target": "Deal", "effect": "allow",
     "condition": "record.partner.region in principal.regions"},
    {"id": "r-m", "principals": RESELLER, "target": "Deal.amount", "effect": "mask", "mask": 0},
    {"id": "r-t", "principals": RESELLER, "target": "Deal.margin", "effect": "deny"},
    {"id": "r-p", "principals": RESELLER, "target": "Partner.*", "effect": "allow"},
]  # fmt: skip


# --- the subgraphs (child process) -----------------------------------------------------------


def serve_subgraphs(deals_port: int, partners_port: int) -> None:
    """Both subgraphs, answering from canned data with graphql-core, until killed."""
    import uvicorn
    from graphql import build_schema, graphql
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    partners = {f"p{i}": {"id": f"p{i}", "name": f"Partner {i}", "region": "EU" if i % 2 else "US"}
                for i in range(10)}  # fmt: skip
    deals = [{"id": f"d{i}", "title": f"Deal {i}", "amount": i * 100, "margin": i,
              "partner": {"id": f"p{i % 10}"}} for i in range(20)]  # fmt: skip
    deals_schema = build_schema(
        "type Query { deals: [Deal!]! } type Partner { id: ID! }"
        " type Deal { id: ID! title: String! amount: Int margin: Int partner: Partner! }"
    )
    partners_schema = build_schema(
        "scalar _Any union _Entity = Partner type Partner { id: ID! name: String! region: String! }"
        " type Query { partners: [Partner!]! _entities(representations: [_Any!]!): [_Entity]! }"
    )
    setattr(partners_schema.type_map["_Entity"], "resolve_type", lambda *_: "Partner")  # noqa: B010

    def app(schema: Any, root: dict[str, Any]) -> Starlette:
        async def handle(request: Request) -> Response:
            body = orjson.loads(await request.body())
            result = await graphql(
                schema, body["query"], root_value=root, variable_values=body.get("variables")
            )
            return Response(orjson.dumps(result.formatted), media_type="application/json")

        return Starlette(routes=[Route("/graphql", handle, methods=["POST"])])

    entities = {
        "_entities": lambda _i, representations: [partners[r["id"]] for r in representations]
    }
    servers = [
        uvicorn.Server(uvicorn.Config(app(deals_schema, {"deals": lambda _i: deals}),
                                      port=deals_port, log_level="warning")),
        uvicorn.Server(uvicorn.Config(app(partners_schema, entities),
                                      port=partners_port, log_level="warning")),
    ]  # fmt: skip

    async def run() -> None:
        await asyncio.gather(*(server.serve() for server in servers))

    asyncio.run(run())


# --- the gateway (this process) --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def measure(requests: int, rounds: int, deals_url: str, partners_url: str) -> str:
    from gateway.composition import SubgraphSource, compose
    from gateway.enforcement import UNRESTRICTED
    from gateway.gateway import Gateway
    from policies.model import PolicySet, rules_from_dicts
    from policies.principal import AuthMethod, Principal

    sdl = compose(
        [
            SubgraphSource("deals", deals_url, DEALS_SDL),
            SubgraphSource("partners", partners_url, PARTNERS_SDL),
        ]
    ).supergraph_sdl
    policies = PolicySet(version=1, rules=tuple(rules_from_dicts(RULES)))
    admin = Principal("admin", roles=("admin",), auth_method=AuthMethod.JWT)
    reseller = Principal("r", "p1", "RESELLER", regions=("EU",), auth_method=AuthMethod.JWT)
    secret = b"b" * 32
    configurations = [
        ("unrestricted", Gateway.from_sdl(sdl, policies=UNRESTRICTED, signing_secret=secret),
         admin),
        ("policies, all visible", Gateway.from_sdl(sdl, policies=policies,
                                                   signing_secret=secret), admin),
        ("policies, filtered", Gateway.from_sdl(sdl, policies=policies, signing_secret=secret),
         reseller),
    ]  # fmt: skip
    samples: dict[str, list[float]] = {name: [] for name, _, _ in configurations}
    try:
        for _, gateway, principal in configurations:
            for _ in range(200):  # warm-up: every cache filled, connections open
                response = await gateway.execute(QUERY, principal=principal)
                assert "data" in response and response["data"] is not None, response
        for _ in range(rounds):
            for name, gateway, principal in configurations:
                started = time.process_time()
                for _ in range(requests):
                    await gateway.execute(QUERY, principal=principal)
                samples[name].append((time.process_time() - started) / requests * 1e6)
    finally:
        for _, gateway, _ in configurations:
            await gateway.aclose()
    baseline = statistics.median(samples["unrestricted"])
    lines = [
        f"Cached request `{QUERY}`: gateway CPU µs per request (median of {rounds} rounds "
        f"of {requests}).",
        "",
        "| configuration | CPU µs / request | vs unrestricted |",
        "| --- | ---: | ---: |",
    ]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.0f} | {(median / baseline - 1) * 100:+.1f}% |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve-subgraphs", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_subgraphs:
        serve_subgraphs(*args.serve_subgraphs)
        return
    deals_port, partners_port = free_port(), free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve-subgraphs", str(deals_port), str(partners_port)]
    )
    try:
        for port in (deals_port, partners_port):
            _wait_for(port, child)
        report = asyncio.run(
            measure(
                args.requests,
                args.rounds,
                f"http://127.0.0.1:{deals_port}/graphql",
                f"http://127.0.0.1:{partners_port}/graphql",
            )
        )
    finally:
        child.terminate()
        child.wait()
    print(report)


def _wait_for(port: int, child: subprocess.Popen[bytes]) -> None:
    for _ in range(400):
        if child.poll() is not None:
            raise SystemExit("the subgraph process exited")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.025)
    raise SystemExit("the subgraphs never started")


if __name__ == "__main__":
    main()
