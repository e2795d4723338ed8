"""Live policy updates across gateway replicas.

After a commit the store calls its publisher: `RedisPublisher` sends `{"version": N}` on a
Redis channel. Every replica runs a `PolicyWatcher` that keeps the newest `PolicySet` in
memory: it reloads when a message names a newer version, when its own process's store
commits (no Redis needed in one process), and on a periodic version check, so a missed
pub/sub message (Redis restart, dropped connection) delays a replica but never leaves it
stale for good. Before its first load, `current` is `DENY_ALL` (fail closed). A failed reload
keeps the last good set and tries again.

The gateway reads `watcher.current` on every request and event delivery, so the next event
a subscriber gets already follows the new rules; `changes()` / `on_change` let it drop
compiled views and plans.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import redis.asyncio as aioredis

from policies.model import DENY_ALL, PolicySet
from policies.pubsub import follow_channel
from policies.store import PolicyStore

log = logging.getLogger(__name__)

CHANNEL = "partnergraph:policies"
Callback = Callable[[PolicySet], Awaitable[None] | None]


class RedisPublisher:
    """Announces a committed version on the channel (the store's `publisher`)."""

    def __init__(self, client: aioredis.Redis, channel: str = CHANNEL) -> None:
        self.client = client
        self.channel = channel

    async def __call__(self, version: int) -> None:
        await self.client.publish(self.channel, orjson.dumps({"version": version}))


def _version_in(message: Any) -> int | None:
    try:
        version = orjson.loads(message)["version"]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


class PolicyChanges:
    """An `async for` over applied policy sets; `close()` (or use `with`) to stop."""

    def __init__(self, registry: list[asyncio.Queue[PolicySet]]) -> None:
        self._registry = registry
        self._queue: asyncio.Queue[PolicySet] = asyncio.Queue(maxsize=8)
        registry.append(self._queue)

    def __aiter__(self) -> PolicyChanges:
        return self

    async def __anext__(self) -> PolicySet:
        return await self._queue.get()

    def close(self) -> None:
        if self._queue in self._registry:
            self._registry.remove(self._queue)

    def __enter__(self) -> PolicyChanges:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PolicyWatcher:
    """The newest policy set, kept current in this process. `await start()` before use."""

    def __init__(
        self,
        store: PolicyStore,
        redis_url: str | None = None,
        *,
        channel: str = CHANNEL,
        poll_interval: float = 5.0,
    ) -> None:
        self.store = store
        self.redis_url = redis_url
        self.channel = channel
        self.poll_interval = poll_interval
        self.current: PolicySet = DENY_ALL
        self.loaded = False
        self._callbacks: list[Callback] = []
        self._queues: list[asyncio.Queue[PolicySet]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._subscribed = asyncio.Event()
        self._applied = asyncio.Event()

    async def start(self) -> None:
        """Load once (a failure leaves `DENY_ALL` and retries), then follow changes."""
        self.store.listen(self._on_local_commit)
        await self.refresh()
        self._tasks.append(asyncio.create_task(self._poll(), name="policy-poll"))
        if self.redis_url:
            self._tasks.append(asyncio.create_task(self._follow(), name="policy-pubsub"))
        else:
            self._subscribed.set()

    async def wait_subscribed(self) -> None:
        """Return once the Redis subscription is live (at once without Redis)."""
        await self._subscribed.wait()

    async def stop(self) -> None:
        self.store.unlisten(self._on_local_commit)
        tasks = [*self._tasks, *self._pending]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def on_change(self, callback: Callback) -> None:
        """Call `callback(policy_set)` (sync or async) after each new version is applied."""
        self._callbacks.append(callback)

    def changes(self) -> PolicyChanges:
        """Each new policy set from now on, as it is applied (`async for`); a slow reader
        skips to the newest. Registered at once, so no change after this call is missed."""
        return PolicyChanges(self._queues)

    async def wait_for_version(self, version: int) -> PolicySet:
        """Return once the current set is at `version` or newer."""
        while self.current.version < version or not self.loaded:
            await self._applied.wait()
        return self.current

    async def refresh(self) -> PolicySet:
        """Reload from the store if it holds a newer version; return what is current."""
        async with self._lock:
            try:
                latest = await self.store.current()
            except Exception as exc:
                log.warning(
                    "could not load policies (keeping version %s): %s", self.current.version, exc
                )
                return self.current
            await self._apply(latest)
        return self.current

    async def _apply(self, policy_set: PolicySet) -> None:
        if self.loaded and policy_set.version <= self.current.version:
            return
        self.current = policy_set
        self.loaded = True
        log.info("policies now at version %s", policy_set.version)
        applied, self._applied = self._applied, asyncio.Event()
        applied.set()
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(policy_set)
        for callback in list(self._callbacks):
            try:
                result = callback(policy_set)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("a policy change callback failed")

    def _on_local_commit(self, policy_set: PolicySet) -> None:
        # Same process: the committed set is already in hand, no reload needed.
        task = asyncio.get_running_loop().create_task(self._apply_locked(policy_set))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _apply_locked(self, policy_set: PolicySet) -> None:
        async with self._lock:
            await self._apply(policy_set)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                version = await self.store.current_version()
            except Exception as exc:
                log.warning("policy version check failed: %s", exc)
                continue
            if version > self.current.version or not self.loaded:
                await self.refresh()

    async def _follow(self) -> None:
        assert self.redis_url is not None

        async def on_message(data: Any) -> None:
            version = _version_in(data)
            if version is not None and version > self.current.version:
                await self.refresh()

        await follow_channel(
            self.redis_url,
            self.channel,
            on_message=on_message,
            catch_up=self.refresh,
            subscribed=self._subscribed,
            what="policy",
        )
