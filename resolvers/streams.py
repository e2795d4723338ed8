"""Choosing the event stream: Redis Streams when `REDIS_URL` is set, in-process otherwise."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from resolvers.memory_stream import MemoryEventStream
from resolvers.redis_stream import RedisEventStream
from resolvers.stream import EventStream

DEFAULT_MAXLEN = 100_000


def open_event_stream(
    redis_url: str | None, *, maxlen: int = DEFAULT_MAXLEN, key_prefix: str = ""
) -> EventStream:
    """The stream for `redis_url`, or an in-process one when it is empty or None.

    The Redis client retries a command only briefly (enough to replace a connection that a
    Redis restart closed) and then raises `StreamUnavailable`: callers such as the relay
    do their own, longer, backoff.
    """
    if not redis_url:
        return MemoryEventStream(maxlen=maxlen)
    client = aioredis.Redis.from_url(
        redis_url,
        decode_responses=True,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
        socket_connect_timeout=2,
        socket_timeout=5,
    )
    return RedisEventStream(client, maxlen=maxlen, key_prefix=key_prefix, owns_client=True)
