"""A second gateway replica, as far as policies go: a PolicyWatcher in its own OS process.

Usage: python policy_watcher_process.py MONGODB_URL DATABASE REDIS_URL CHANNEL
Prints `ready VERSION` once subscribed, then `version N` for every change it applies.
"""

from __future__ import annotations

import asyncio
import sys

from policies.propagation import PolicyWatcher
from policies.store import PolicyStore
from resolvers.mongo import connect


async def main(mongodb_url: str, database: str, redis_url: str, channel: str) -> None:
    client = connect(mongodb_url)
    store = PolicyStore(client[database], None)
    watcher = PolicyWatcher(store, redis_url, channel=channel, poll_interval=3600)
    await watcher.start()
    await watcher.wait_subscribed()
    print(f"ready {watcher.current.version}", flush=True)
    with watcher.changes() as changes:
        async for policy_set in changes:
            print(f"version {policy_set.version}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
