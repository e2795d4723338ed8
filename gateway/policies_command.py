"""`partnergraph policies export|import|validate FILE.yaml`: policies as code.

`validate` checks a file against the API schema and changes nothing. `import` checks every
rule first and replaces the stored rules all or nothing, as a new version with an audit entry
(a reason is required). `export` writes the rules in force. Problems are listed one per line
with the rule id; the exit status is 0 on success, 1 when the policy or the request is
refused, 2 when the command cannot run (no database, unreadable file).

The integrator wires it into `gateway.cli`::

    policies = commands.add_parser("policies", help="export, import or validate policies")
    add_policies_arguments(policies)
    ...
    elif args.command == "policies":
        return policies_main(args)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema
from pymongo.asynchronous.database import AsyncDatabase

from gateway.supergraph import Supergraph
from gateway.supergraph.errors import SupergraphError
from policies.check import validate_rules
from policies.errors import PolicyError
from policies.model import Rule
from policies.propagation import CHANNEL, RedisPublisher
from policies.store import PolicyStore
from policies.yaml_io import dump_policy_set, load_rules

DEMO_SUPERGRAPH = Path(__file__).parent / "demo" / "supergraph.graphql"
DEFAULT_DATABASE = "partnergraph"
EXIT_OK, EXIT_REFUSED, EXIT_CANNOT_RUN = 0, 1, 2


class _CannotRun(Exception):
    pass


def add_policies_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `export`, `import` and `validate` subcommands to `parser`."""
    commands = parser.add_subparsers(dest="policies_command", required=True)

    def common(sub: argparse.ArgumentParser, *, database: bool, schema: bool) -> None:
        sub.add_argument("file", help="the YAML file ('-' for stdin/stdout)")
        if schema:
            sub.add_argument(
                "--supergraph",
                default=str(DEMO_SUPERGRAPH),
                help="supergraph SDL whose API schema the rules are checked against "
                "(default: the demo graph)",
            )
        if database:
            sub.add_argument(
                "--mongodb-url",
                default=os.environ.get("MONGODB_URL"),
                help="MongoDB URL (default: $MONGODB_URL)",
            )
            sub.add_argument("--database", default=DEFAULT_DATABASE, help="database name")

    validate = commands.add_parser("validate", help="check a policy file; change nothing")
    common(validate, database=False, schema=True)

    export = commands.add_parser("export", help="write the rules in force to a YAML file")
    common(export, database=True, schema=False)

    import_ = commands.add_parser("import", help="replace the rules in force, all or nothing")
    common(import_, database=True, schema=True)
    import_.add_argument("--reason", required=True, help="why the policies change (audited)")
    import_.add_argument(
        "--actor", default=f"cli:{_user()}", help="who is importing (audited; default cli:USER)"
    )
    import_.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL"),
        help="announce the new version to running gateways (default: $REDIS_URL)",
    )
    import_.add_argument("--channel", default=CHANNEL, help="the policy announcement channel")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def policies_main(args: argparse.Namespace) -> int:
    """Run the subcommand; print results to stdout, problems to stderr; return the exit code."""
    try:
        if args.policies_command == "validate":
            rules = _read_rules(args.file)
            validate_rules(rules, _api_schema(args.supergraph))
            print(f"{args.file}: {len(rules)} rules, valid")
            return EXIT_OK
        return asyncio.run(_with_database(args))
    except PolicyError as exc:
        print(f"refused ({exc.code}): {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except _CannotRun as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def _read_rules(file: str) -> list[Rule]:
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise _CannotRun(f"cannot read {file}: {exc.strerror}") from None
    return load_rules(text, source=file)


def _api_schema(path: str) -> GraphQLSchema:
    """What clients of this supergraph may see, live `Subscription` fields included."""
    from gateway.subscriptions import with_subscriptions

    try:
        supergraph = Supergraph.from_sdl(Path(path).read_text(encoding="utf-8"))
        return with_subscriptions(supergraph.api_schema, supergraph.api_sdl)[0]
    except OSError as exc:
        raise _CannotRun(f"cannot read the supergraph {path}: {exc.strerror}") from None
    except SupergraphError as exc:
        raise _CannotRun(f"the supergraph {path} is not usable: {exc}") from None


async def _with_database(args: argparse.Namespace) -> int:
    if not args.mongodb_url:
        raise _CannotRun("no database: pass --mongodb-url or set MONGODB_URL")
    from resolvers.mongo import connect

    client = connect(args.mongodb_url)
    try:
        db = client[args.database]
        if args.policies_command == "export":
            return await _export(PolicyStore(db, None), args.file)
        return await _import(db, args)
    finally:
        await client.close()


async def _export(store: PolicyStore, file: str) -> int:
    policy_set = await store.current()
    text = dump_policy_set(policy_set)
    if file == "-":
        sys.stdout.write(text)
    else:
        try:
            await asyncio.to_thread(Path(file).write_text, text, encoding="utf-8")
        except OSError as exc:
            raise _CannotRun(f"cannot write {file}: {exc.strerror}") from None
        print(f"exported {len(policy_set.rules)} rules (version {policy_set.version}) to {file}")
    return EXIT_OK


async def _import(db: AsyncDatabase[Any], args: argparse.Namespace) -> int:
    rules = _read_rules(args.file)
    schema = _api_schema(args.supergraph)
    validate_rules(rules, schema)  # report every problem before touching the database
    redis_client = None
    publisher = None
    if args.redis_url:
        import redis.asyncio as aioredis

        redis_client = aioredis.Redis.from_url(args.redis_url)
        publisher = RedisPublisher(redis_client, args.channel)
    try:
        store = PolicyStore(db, schema, publisher=publisher)
        before = await store.current_version()
        policy_set = await store.replace_all(
            rules, actor=args.actor, reason=args.reason, expected_version=before
        )
    finally:
        if redis_client is not None:
            await redis_client.aclose()
    print(f"imported {len(rules)} rules from {args.file}: version {before} -> {policy_set.version}")
    return EXIT_OK
