"""Serve a supergraph with PartnerGraph under a fixed visibility policy, for the benchmark.

`partnergraph serve` loads no policy yet, so it fails closed: every field is FORBIDDEN to
every caller. This does what `partnergraph serve` does (`gateway.server.run.serve`: the
same `Gateway`, app and uvicorn listener) with a fixed `PolicySet` read from a policy file,
or with `UNRESTRICTED` (no enforcement at all) to measure what enforcement costs.

Usage: .venv/bin/python bench/partnergraph_serve.py --supergraph FILE --port P
       (--policies FILE | --unrestricted) [--host 127.0.0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from gateway.config import GatewayConfig
from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server.app import create_app
from gateway.servers import Listener, serve_all
from policies.model import PolicySet
from policies.yaml_io import load_rules


async def serve(supergraph: Path, host: str, port: int, policies: Any) -> None:
    config = GatewayConfig(host=host, port=port)
    gateway = Gateway.from_file(supergraph, config, policies=policies)
    await serve_all([Listener("gateway", create_app(gateway, config), host, port)])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--supergraph", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    chosen = parser.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--policies", type=Path, help="YAML rules (policies/yaml_io.py)")
    chosen.add_argument("--unrestricted", action="store_true", help="no visibility enforcement")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.unrestricted:
        policies: Any = UNRESTRICTED
    else:
        rules = load_rules(args.policies.read_text(), source=str(args.policies))
        policies = PolicySet(version=1, rules=tuple(rules))
    asyncio.run(serve(args.supergraph, args.host, args.port, policies))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
