"""Run the bundled subgraphs: `python -m subgraphs [partners|deals|inventory ...] [--seed]`.

With no names, all three run in one process on their default ports (4001-4003; override
with `PARTNERS_PORT`, `DEALS_PORT`, `INVENTORY_PORT`). The database is `MONGODB_URL`, or a
local MongoDB-protocol server started as a child process (`PARTNERGRAPH_DATA`: a folder, or
`:memory:` by default). The demo data is loaded when the database is empty, or reloaded
from scratch with `--seed`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from resolvers.embedded_mongo import EmbeddedMongo
from resolvers.indexes import ensure_indexes
from resolvers.mongo import connect, database
from resolvers.partners import PARTNERS
from resolvers.seed import seed
from subgraphs.registry import SUBGRAPHS as APPS


class _Server(uvicorn.Server):
    """Several servers share one process: signals are handled once, by `main`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _port(name: str) -> int:
    return int(os.environ.get(f"{name.upper()}_PORT", APPS[name].DEFAULT_PORT))


async def run(names: list[str], *, host: str, reseed: bool) -> None:
    url = os.environ.get("MONGODB_URL")
    embedded = None
    if not url:
        embedded = await EmbeddedMongo.start(os.environ.get("PARTNERGRAPH_DATA", ":memory:"))
        url = embedded.url
    client = connect(url)
    try:
        db: AsyncDatabase[Any] = database(client)
        await ensure_indexes(db)
        if reseed or await db[PARTNERS].estimated_document_count() == 0:
            await seed(db, reset=True)
        create: dict[str, Callable[[AsyncDatabase[Any]], Starlette]] = {
            name: APPS[name].create_app for name in names
        }
        servers = [
            _Server(uvicorn.Config(create[name](db), host=host, port=_port(name))) for name in names
        ]

        def stop() -> None:
            for server in servers:
                server.should_exit = True

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        await client.close()
        if embedded is not None:
            embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m subgraphs", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"subgraphs to run: {', '.join(APPS)}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", action="store_true", help="reload the demo data from scratch")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(APPS))
    if unknown:
        parser.error(f"unknown subgraph {', '.join(unknown)}; choose from {', '.join(APPS)}")
    logging.basicConfig(level=logging.INFO)
    asyncio.run(run(args.names or list(APPS), host=args.host, reseed=args.seed))


if __name__ == "__main__":
    main()
