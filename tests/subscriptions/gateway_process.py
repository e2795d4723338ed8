"""A gateway in a process of its own (fault tests kill or stop it): serves the supergraph
file argv[1] on port argv[2], with the Redis event stream at argv[3] under key prefix
argv[4], through `serve_all` as `partnergraph serve` does (SIGTERM: graceful shutdown).
Prints "ready" once it accepts connections."""

from __future__ import annotations

import asyncio
import sys

from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.servers import Listener, serve_all, wait_started
from resolvers.streams import open_event_stream


async def main(supergraph: str, port: int, redis_url: str, prefix: str) -> None:
    events = open_event_stream(redis_url, key_prefix=prefix)
    gateway = Gateway.from_file(supergraph, events=events, policies=UNRESTRICTED)
    listener = Listener("gateway", create_app(gateway), "127.0.0.1", port)
    serving = asyncio.create_task(serve_all([listener]))
    await wait_started([listener])
    print("ready", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
