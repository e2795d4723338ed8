"""The `partnergraph` command: run the demo ecosystem, seed it, serve or compose a
supergraph, mint development tokens, manage visibility policies as code."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.compose_command import add_compose_arguments, compose_main
from gateway.keys_command import add_keys_arguments, keys_main
from gateway.policies_command import add_policies_arguments, policies_main
from gateway.servers import run
from gateway.settings import Settings
from gateway.token_command import add_token_arguments, token_main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="partnergraph", description=__doc__)
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser(
        "dev", help="run the subgraphs and the gateway with demo data on embedded defaults"
    )
    dev.add_argument(
        "--registry",
        metavar="FILE.toml",
        help="subgraph registry the gateway composes at start and reloads live "
        "(default: the project's partnergraph.toml)",
    )
    commands.add_parser("seed", help="(re)load the deterministic demo data")

    serve = commands.add_parser("serve", help="serve a supergraph")
    source = serve.add_mutually_exclusive_group(required=True)
    source.add_argument("--supergraph", help="supergraph SDL file (served as it is)")
    source.add_argument(
        "--registry",
        metavar="FILE.toml",
        help="subgraph registry (like partnergraph.toml): compose at start, recompose "
        "every --reload-interval seconds and swap live when the result changes",
    )
    serve.add_argument(
        "--reload-interval",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="with --registry: seconds between reloads (default 30)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument(
        "--policies",
        metavar="FILE.yaml",
        help="serve the visibility policies of this file (default: the policy store at "
        "MONGODB_URL; with neither, serve refuses to start)",
    )
    serve.add_argument(
        "--unrestricted",
        action="store_true",
        help="serve without visibility policies: every caller sees the whole graph "
        "(benchmarks, single-tenant use)",
    )

    add_compose_arguments(
        commands.add_parser("compose", help="compose the registered subgraphs into a supergraph")
    )
    add_token_arguments(commands.add_parser("token", help="mint a development token"))
    add_policies_arguments(
        commands.add_parser("policies", help="export, import or validate visibility policies")
    )
    add_keys_arguments(
        commands.add_parser("keys", help="create, list or revoke partner apps' API keys")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    if args.command == "dev":
        from gateway.dev import DEMO_REGISTRY, run_dev

        run(run_dev(settings, Path(args.registry) if args.registry else DEMO_REGISTRY))
    elif args.command == "seed":
        from gateway.dev import run_seed

        asyncio.run(run_seed(settings))
    elif args.command == "serve":
        from gateway.server import run_server

        run_server(
            args.supergraph,
            args.host,
            args.port,
            policy_file=args.policies,
            unrestricted=args.unrestricted,
            registry=args.registry,
            reload_interval=args.reload_interval,
        )
    elif args.command == "compose":
        return compose_main(args)
    elif args.command == "token":
        return token_main(args)
    elif args.command == "policies":
        return policies_main(args)
    elif args.command == "keys":
        return keys_main(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
