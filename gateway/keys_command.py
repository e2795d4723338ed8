"""`partnergraph keys create|list|revoke`: API keys for partner apps, from the command line.

`create` prints the new key once (it is stored only as a hash) and its id. `revoke` takes
the id; with a Redis URL it announces the revocation, so every running gateway ends the
live subscriptions the key opened at once (without one, gateways notice at their next
periodic check). Exit status: 0 done, 1 refused (bad input, unknown id), 2 cannot run (no
database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from policies.auth.api_keys import ApiKeyStore
from policies.auth.errors import AuthError
from policies.auth.revocations import CHANNEL, RedisRevocationPublisher
from resolvers.mongo import DEFAULT_DATABASE

EXIT_OK, EXIT_REFUSED, EXIT_CANNOT_RUN = 0, 1, 2


def add_keys_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="keys_command", required=True)
    create = commands.add_parser("create", help="create a key for a partner app (shown once)")
    create.add_argument("--name", required=True, help="what the key is for, e.g. the app")
    create.add_argument("--partner-id", required=True)
    create.add_argument(
        "--partner-kind", required=True, help="RESELLER, DISTRIBUTOR, SUPPLIER or VENDOR"
    )
    create.add_argument("--tier")
    create.add_argument("--region", action="append", default=[], help="repeat for several")
    create.add_argument("--role", action="append", default=[], help="repeat for several")
    listing = commands.add_parser("list", help="list keys (never the keys themselves)")
    listing.add_argument("--partner-id", help="only this partner's keys")
    revoke = commands.add_parser("revoke", help="revoke a key by id; its subscriptions end")
    revoke.add_argument("key_id", help="the 16 hex digits after 'pgk_'")
    revoke.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL"),
        help="announce the revocation to running gateways (default: $REDIS_URL)",
    )
    revoke.add_argument("--channel", default=CHANNEL, help="the revocation announcement channel")
    for sub in (create, listing, revoke):
        sub.add_argument(
            "--mongodb-url",
            default=os.environ.get("MONGODB_URL"),
            help="MongoDB URL (default: $MONGODB_URL)",
        )
        sub.add_argument("--database", default=DEFAULT_DATABASE, help="database name")


def keys_main(args: argparse.Namespace) -> int:
    if not args.mongodb_url:
        print("error: no database: pass --mongodb-url or set MONGODB_URL", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        asyncio.run(_run(args))
    except AuthError as exc:
        print(f"refused ({exc.code}): {exc}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK


async def _run(args: argparse.Namespace) -> None:
    import redis.asyncio as aioredis

    from resolvers.mongo import connect

    client = connect(args.mongodb_url)
    redis_client = None
    try:
        db = client[args.database]
        if args.keys_command == "create":
            created = await ApiKeyStore(db).create(
                args.name,
                partner_id=args.partner_id,
                partner_kind=args.partner_kind,
                tier=args.tier,
                regions=tuple(args.region),
                roles=tuple(args.role),
            )
            print(f"created {created.record}")
            print(f"key (shown once, store it now): {created.key}")
        elif args.keys_command == "list":
            for record in await ApiKeyStore(db).list_keys(args.partner_id):
                print(record)
        else:
            publisher = None
            if args.redis_url:
                redis_client = aioredis.Redis.from_url(args.redis_url)
                publisher = RedisRevocationPublisher(redis_client, args.channel)
            record = await ApiKeyStore(db, publisher=publisher).revoke(args.key_id)
            print(f"revoked {record}")
    finally:
        if redis_client is not None:
            await redis_client.aclose()
        await client.close()
