"""Several ASGI apps served from one process and one event loop.

`partnergraph dev` runs the gateway and the bundled subgraphs together so that the
in-process event stream (no `REDIS_URL`) is shared by the relay and the gateway. uvicorn's
`Server` installs its own signal handlers; here one handler stops every server instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Coroutine, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn

from gateway.websocket_protocol import GatewayWebSocketProtocol

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, on uvloop where it is installed (uvicorn[standard] brings it, except
    on Windows): its transports write and wake up several times cheaper, which is most of
    what a fan-out of one event to thousands of sockets costs."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(main)
    return uvloop.run(main)


@dataclass(frozen=True)
class Listener:
    name: str
    app: Any
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # signals are handled once, by `serve_all`


SHUTDOWN_GRACE = 2.0  # seconds the apps' `before_shutdown` hooks get
# Seconds connections and their tasks get to finish once the servers stop; then they are
# cancelled (uvicorn would otherwise wait for ever on one that never ends).
SHUTDOWN_TIMEOUT = 10

# uvicorn's sans-I/O WebSocket protocol with a way to write a message without a coroutine:
# the subscription fan-out writes live events straight from its loop with it.
WEBSOCKETS = GatewayWebSocketProtocol


async def serve_all(listeners: list[Listener], stop: asyncio.Event | None = None) -> None:
    """Serve every listener until SIGINT/SIGTERM (or `stop`), then shut all down cleanly
    (within SHUTDOWN_TIMEOUT; a second signal skips the wait).

    Before the servers close their connections, each app's `state.before_shutdown` hooks
    run (e.g. the gateway ends live subscriptions with a SHUTTING_DOWN reason while the
    sockets can still carry it: uvicorn closes WebSockets before the app's lifespan ends)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():  # asked twice: stop waiting for connections
            for server in servers:
                server.force_exit = True
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    servers = [
        _Server(
            uvicorn.Config(
                item.app,
                host=item.host,
                port=item.port,
                log_level="warning",
                lifespan="on",
                ws=WEBSOCKETS,
                timeout_graceful_shutdown=SHUTDOWN_TIMEOUT,
            )
        )
        for item in listeners
    ]
    tasks = [
        asyncio.create_task(server.serve(), name=f"serve {item.name}")
        for server, item in zip(servers, listeners, strict=True)
    ]
    try:
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not waiter and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        await _before_shutdown(listeners)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _before_shutdown(listeners: list[Listener]) -> None:
    hooks = [
        hook()
        for item in listeners
        for hook in getattr(getattr(item.app, "state", None), "before_shutdown", ())
    ]
    if not hooks:
        return
    try:
        async with asyncio.timeout(SHUTDOWN_GRACE):
            await asyncio.gather(*hooks, return_exceptions=True)
            await asyncio.sleep(0.1)  # let the last frames leave
    except TimeoutError:
        pass


async def wait_started(listeners: list[Listener], timeout: float = 15.0) -> None:
    """Wait until every listener accepts TCP connections."""
    deadline = loop_time() + timeout
    for item in listeners:
        while True:
            try:
                _, writer = await asyncio.open_connection(item.host, item.port)
                writer.close()
                await writer.wait_closed()
                break
            except OSError:
                if loop_time() > deadline:
                    raise TimeoutError(f"{item.name} did not start on {item.url}") from None
                await asyncio.sleep(0.05)


def loop_time() -> float:
    return asyncio.get_running_loop().time()
