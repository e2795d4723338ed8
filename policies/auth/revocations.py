"""API key revocations announced across gateway processes over Redis pub/sub.

`ApiKeyStore.revoke` calls its publisher after the revocation is stored:
`RedisRevocationPublisher` sends `{"keyId": "<16 hex>"}` on `CHANNEL`. Each gateway's
`gateway.subscriptions.revocation.RevocationWatcher` listens there and ends the live
subscriptions the key opened. Pub/sub may lose a message (Redis restart, dropped
connection), so the watchers also re-read the keys in use from the store periodically: the
message makes the end prompt, the store makes it certain.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import redis.asyncio as aioredis

CHANNEL = "partnergraph:api-key-revocations"
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")


class RedisRevocationPublisher:
    """Announces a revoked key id on the channel (an `ApiKeyStore`'s `publisher`)."""

    def __init__(self, client: aioredis.Redis, channel: str = CHANNEL) -> None:
        self.client = client
        self.channel = channel

    async def __call__(self, key_id: str) -> None:
        await self.client.publish(self.channel, orjson.dumps({"keyId": key_id}))


def key_id_in(message: Any) -> str | None:
    """The key id a channel message names; None for anything malformed (ignored)."""
    try:
        key_id = orjson.loads(message)["keyId"]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return None
    return key_id if isinstance(key_id, str) and _KEY_ID.match(key_id) else None
