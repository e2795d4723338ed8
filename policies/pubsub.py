"""Following a Redis pub/sub channel for as long as the process runs.

Policy changes and API key revocations are announced on channels; a watcher must not miss
one for good when Redis restarts, so it resubscribes with backoff and, after every
(re)subscription, catches up on what was announced while it was not listening.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

log = logging.getLogger(__name__)


async def follow_channel(
    redis_url: str,
    channel: str,
    *,
    on_message: Callable[[Any], Awaitable[None]],
    catch_up: Callable[[], Awaitable[Any]],
    subscribed: asyncio.Event,
    what: str,
) -> None:
    """Call `on_message(data)` for every message on `channel`, for ever. `subscribed` is
    set once listening; `catch_up()` runs after every (re)subscription. `what` names the
    channel in the log."""
    backoff = 0.2
    while True:
        client = aioredis.Redis.from_url(redis_url)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(channel)
                subscribed.set()
                backoff = 0.2
                await catch_up()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await on_message(message.get("data"))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("%s channel lost (%s); resubscribing in %.1fs", what, exc, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        finally:
            await client.aclose()
