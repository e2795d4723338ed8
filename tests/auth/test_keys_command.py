"""`partnergraph keys`: create prints a working key once, list shows records (never keys),
revoke refuses the key and announces it to running gateways over Redis; bad input is refused
with its code and changes nothing."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli import build_parser
from gateway.keys_command import keys_main
from policies.auth import ApiKeyStore
from policies.auth.errors import AuthError
from resolvers.embedded_mongo import EmbeddedMongo
from tests.conftest import REDIS_URL

GUARD = 30  # seconds before a test that should never wait this long gives up (not a timing)


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    args = build_parser().parse_args(["keys", *argv])
    # The command runs its own event loop, as it does under `partnergraph`.
    code = await asyncio.to_thread(keys_main, args)
    out, err = capsys.readouterr()
    return code, out, err


def database(mongo_server: EmbeddedMongo, db: AsyncDatabase[Any]) -> list[str]:
    return ["--mongodb-url", mongo_server.url, "--database", db.name]


async def test_create_list_and_revoke_a_key(
    capsys: pytest.CaptureFixture[str],
    mongo_server: EmbeddedMongo,
    db: AsyncDatabase[Any],
    redis_client: aioredis.Redis,
) -> None:
    where = database(mongo_server, db)
    code, out, _ = await run(
        capsys, "create", "--name", "sync app", "--partner-id", "P-R01",
        "--partner-kind", "RESELLER", *where,
    )  # fmt: skip
    assert code == 0
    key = re.search(r"key \(shown once, store it now\): (pgk_\S+)", out)
    assert key is not None
    principal = await ApiKeyStore(db).verify(key[1])
    assert principal.partner_id == "P-R01" and principal.partner_kind == "RESELLER"
    key_id = key[1].split("_")[1]

    code, out, _ = await run(capsys, "list", "--partner-id", "P-R01", *where)
    assert code == 0 and key_id in out and "[active]" in out and key[1] not in out

    async with redis_client.pubsub() as pubsub:
        await pubsub.subscribe("pgtest:revocations")
        code, out, _ = await run(
            capsys, "revoke", key_id, "--redis-url", REDIS_URL, "--channel", "pgtest:revocations",
            *where,
        )  # fmt: skip
        async with asyncio.timeout(GUARD):
            message = None
            while message is None:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
    assert code == 0 and f"revoked {key_id}" in out
    assert orjson.loads(message["data"]) == {"keyId": key_id}
    with pytest.raises(AuthError) as refused:
        await ApiKeyStore(db).verify(key[1])
    assert refused.value.extensions["reason"] == "REVOKED_API_KEY"


async def test_bad_input_is_refused_with_its_code_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], mongo_server: EmbeddedMongo, db: AsyncDatabase[Any]
) -> None:
    where = database(mongo_server, db)
    code, _, err = await run(
        capsys, "create", "--name", "x", "--partner-id", "P-R01", "--partner-kind", "PIRATE",
        *where,
    )  # fmt: skip
    assert code == 1 and "BAD_USER_INPUT" in err
    code, _, err = await run(capsys, "revoke", "not-an-id", *where)
    assert code == 1 and "BAD_USER_INPUT" in err
    code, _, err = await run(capsys, "revoke", "0123456789abcdef", *where)
    assert code == 1 and "NOT_FOUND" in err
    assert await ApiKeyStore(db).list_keys() == []


async def test_without_a_database_it_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await run(capsys, "list", "--mongodb-url", "")
    assert code == 2 and "MONGODB_URL" in err
