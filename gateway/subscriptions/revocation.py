"""A revoked API key ends the live subscriptions it opened, in every gateway process.

`ApiKeyStore.revoke` announces the key id (`policies.auth.revocations`): to listeners in its
own process, and on a Redis channel for the others. Each process runs one
`RevocationWatcher`, which hands every announced id to `SubscriptionService.revoke_credential`
(its subscriptions end with CREDENTIALS_REVOKED; the same WebSocket cannot open new ones).
A lost pub/sub message must not leave a subscription running for good, so the watcher also
re-reads, every `check_interval` seconds and after each (re)subscription to the channel, the
state of the keys its open subscriptions were opened with.

    watcher = RevocationWatcher(api_keys, gateway.subscriptions, redis_url)
    await watcher.start()
    ...
    await watcher.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from gateway.subscriptions.transport import context_value, subscription_principal
from policies.auth.api_keys import ApiKeyStore, key_id_of
from policies.auth.request import API_KEY
from policies.auth.revocations import CHANNEL, key_id_in
from policies.principal import AuthMethod
from policies.pubsub import follow_channel

if TYPE_CHECKING:
    from gateway.subscriptions.service import SubscriptionService

log = logging.getLogger(__name__)

_SUBJECT_PREFIX = "api-key:"


def api_key_credential(context: Any) -> str | None:
    """The id of the API key that authenticated a subscription; None for other credentials.
    The key was verified when the connection or request was accepted; only its id is read,
    where that check found it (the `connection_init` payload, else the request's headers)."""
    principal = subscription_principal(context)
    if principal.auth_method is not AuthMethod.API_KEY:
        return None
    params = context_value(context, "connection_params")
    key = None
    if isinstance(params, Mapping):
        key = next(
            (v for k, v in params.items() if isinstance(k, str) and k.lower() == API_KEY), None
        )
    request = context_value(context, "request")
    if key is None and isinstance(request, HTTPConnection):
        key = request.headers.get(API_KEY)
    key_id = key_id_of(key) if isinstance(key, str) else None
    if key_id is None and principal.subject and principal.subject.startswith(_SUBJECT_PREFIX):
        key_id = principal.subject.removeprefix(_SUBJECT_PREFIX)  # the key's own claims
    return key_id


class RevocationWatcher:
    """Ends this process's subscriptions of revoked API keys. `await start()`, `stop()`."""

    def __init__(
        self,
        keys: ApiKeyStore,
        subscriptions: SubscriptionService,
        redis_url: str | None = None,
        *,
        channel: str = CHANNEL,
        check_interval: float = 30.0,
    ) -> None:
        self.keys = keys
        self.subscriptions = subscriptions
        self.redis_url = redis_url
        self.channel = channel
        self.check_interval = check_interval
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        """Follow this process's revocations at once, the channel's and the store's soon."""
        self.keys.listen(self.apply)
        self._tasks.append(asyncio.create_task(self._poll(), name="api-key-revocation-check"))
        if self.redis_url:
            self._tasks.append(
                asyncio.create_task(self._follow(), name="api-key-revocation-pubsub")
            )
        else:
            self._subscribed.set()

    async def wait_subscribed(self) -> None:
        """Return once the Redis subscription is live (at once without Redis)."""
        await self._subscribed.wait()

    async def stop(self) -> None:
        self.keys.unlisten(self.apply)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def apply(self, key_id: str) -> int:
        """The key `key_id` is revoked: end its subscriptions here. Returns how many."""
        ended = self.subscriptions.revoke_credential(key_id)
        if ended:
            log.info("API key %s revoked: ended %d subscription(s)", key_id, ended)
        return ended

    async def check(self) -> int:
        """Re-read the keys of the open subscriptions; end those of revoked ones."""
        in_use = self.subscriptions.open_credentials()
        if not in_use:
            return 0
        revoked = await self.keys.revoked_among(in_use)
        return sum(self.apply(key_id) for key_id in sorted(revoked))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.check_interval)
            await self._check_logged()

    async def _check_logged(self) -> None:
        try:
            await self.check()
        except Exception as exc:  # keep serving; the next check tries again
            log.warning("API key revocation check failed: %s", exc)

    async def _follow(self) -> None:
        assert self.redis_url is not None

        async def on_message(data: Any) -> None:
            key_id = key_id_in(data)
            if key_id is not None:
                self.apply(key_id)

        await follow_channel(
            self.redis_url,
            self.channel,
            on_message=on_message,
            catch_up=self._check_logged,  # announced while not subscribed
            subscribed=self._subscribed,
            what="API key revocation",
        )
