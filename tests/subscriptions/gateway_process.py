"""A gateway in a process of its own (fault tests kill it): serves the supergraph file
argv[1] on port argv[2], with the Redis event stream at argv[3] under key prefix argv[4].
Prints "ready" once it accepts connections."""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from gateway.enforcement import UNRESTRICTED
from gateway.gateway import Gateway
from gateway.server import create_app
from gateway.servers import WEBSOCKETS
from resolvers.streams import open_event_stream


async def main(supergraph: str, port: int, redis_url: str, prefix: str) -> None:
    events = open_event_stream(redis_url, key_prefix=prefix)
    gateway = Gateway.from_file(supergraph, events=events, policies=UNRESTRICTED)
    config = uvicorn.Config(
        create_app(gateway), host="127.0.0.1", port=port, log_level="warning", ws=WEBSOCKETS
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.02)
    print("ready", flush=True)
    await task


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]))
