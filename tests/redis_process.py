"""A `redis-server` of a fault test's own, so it can be stopped and restarted without
disturbing the shared one on 6379 (ENVIRONMENT.md). Stopped by its PID."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from resolvers.embedded_mongo import free_port

GUARD = 30  # seconds before a wait that should never take this long gives up (not a timing)


class RedisProcess:
    """A child `redis-server` on a fixed port. With `directory`, it keeps an append-only
    file there (fsync always), so a restart keeps the streams, as production Redis would."""

    def __init__(self, port: int, directory: Path | None = None) -> None:
        self.port = port
        self.directory = directory
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        persistence = ["--appendonly", "no"]
        if self.directory is not None:
            persistence = ["--appendonly", "yes", "--appendfsync", "always",
                           "--dir", str(self.directory)]  # fmt: skip
        self._process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            *persistence,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await self.until(lambda client: client.ping())

    async def until(self, check: Callable[[aioredis.Redis], Awaitable[Any]]) -> Any:
        """Retry `check(client)` until it answers truthy (Redis starting, a subscriber
        reconnecting); give up after GUARD seconds."""
        client = aioredis.Redis.from_url(self.url)
        try:
            async with asyncio.timeout(GUARD):
                while True:
                    if self._process is not None and self._process.returncode is not None:
                        raise RuntimeError(f"redis-server exited on port {self.port}")
                    try:
                        result = await check(client)
                        if result:
                            return result
                    except (aioredis.ConnectionError, OSError):
                        pass
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.terminate()
        try:
            async with asyncio.timeout(10):
                await self._process.wait()
        except TimeoutError:
            self._process.kill()
            await self._process.wait()


@asynccontextmanager
async def running_redis(directory: Path | None = None) -> AsyncIterator[RedisProcess]:
    """A started `RedisProcess` on a free port, stopped afterwards even when a test fails."""
    server = RedisProcess(free_port(), directory)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
