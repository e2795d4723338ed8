"""A lean HTTP/1.1 client for POSTing to one origin, with a pool of keep-alive connections.

Why not httpx here: a plan makes one HTTP call per fetch, and a nested query makes a dozen or
more, so the HTTP client is most of the gateway's CPU per request. For a small POST, httpx
(with httpcore, anyio and h11) spends about 1.3 ms of CPU; this client, an asyncio protocol
around httptools' C parser (uvicorn's), about 0.1 ms. It does only what subgraph calls need:
POST with a body, keep-alive reuse, Content-Length, chunked or close-delimited responses,
optional TLS. No redirects, cookies, proxies, compression or HTTP/2.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools


class HttpError(Exception):
    """The exchange failed after the connection was made."""


class ConnectionClosed(HttpError):
    """The server closed the connection before a complete response."""


class ProtocolError(HttpError):
    """The server's bytes are not a valid HTTP/1.1 response."""


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes


class HttpPool:
    """POSTs to one URL over at most `max_connections` keep-alive connections.

    An idle connection is reused (most recently used first) unless the server closed it or
    it has been idle for `idle_timeout` seconds: shorter than the usual server keep-alive
    timeouts (Node and uvicorn: 5 s), so a request rarely meets a connection the server is
    closing at that moment. A connection whose exchange did not finish (error, timeout,
    cancellation) is closed, never reused.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 100,
        idle_timeout: float = 4.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"subgraph URL must be http:// or https:// with a host: {url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._head = f"POST {target} HTTP/1.1\r\nhost: {parts.netloc}\r\n".encode(
            "latin-1"
        ) + encode_headers(headers or {})
        self._max = max_connections
        self._idle_timeout = idle_timeout
        self._idle: list[_Connection] = []
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def post(
        self, body: bytes, headers: bytes = b"", *, idempotent: bool = False
    ) -> HttpResponse:
        """POST `body`; `headers` are extra header lines, as made by `encode_headers`.
        Raises `OSError` when no connection can be made, `HttpError` when the exchange fails.

        An `idempotent` request (a query) is sent once more, on a new connection, when a
        reused connection closes before any byte of the answer: the server closed it as
        idle just as the request went out."""
        request = b"%scontent-length: %d\r\n%s\r\n%s" % (self._head, len(body), headers, body)
        retried = False
        while True:
            connection = await self._acquire()
            reused = connection.exchanges > 0
            try:
                response = await connection.exchange(request)
            except ConnectionClosed:
                self._release(connection, reusable=False)
                if idempotent and reused and not retried and not connection.received_any:
                    retried = True
                    continue
                raise
            except BaseException:
                self._release(connection, reusable=False)
                raise
            self._release(connection, reusable=connection.keep_alive)
            return response

    async def aclose(self) -> None:
        self._closed = True
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def _acquire(self) -> _Connection:
        loop = asyncio.get_running_loop()
        while True:
            if self._closed:
                raise ConnectionClosed("the connection pool is closed")
            now = loop.time()
            while self._idle:
                connection = self._idle.pop()
                if connection.is_open and now - connection.idle_since < self._idle_timeout:
                    self._in_use += 1
                    return connection
                connection.close()
            if self._in_use < self._max:
                self._in_use += 1
                try:
                    return await self._connect(loop)
                except BaseException:
                    self._in_use -= 1
                    self._wake_one()
                    raise
            waiter = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    async def _connect(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        _, connection = await loop.create_connection(
            _Connection,
            self._host,
            self._port,
            ssl=self._ssl,
            server_hostname=self._host if self._ssl else None,
        )
        return connection

    def _release(self, connection: _Connection, *, reusable: bool) -> None:
        self._in_use -= 1
        if reusable and connection.is_open and not self._closed:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


def encode_headers(headers: Mapping[str, str]) -> bytes:
    """Header lines for a request. Refuses names or values that could split the request."""
    lines = []
    for name, value in headers.items():
        if not name or any(c in name for c in "\r\n\0: \t") or any(c in value for c in "\r\n\0"):
            raise ValueError(f"invalid HTTP header {name!r}: {value!r}")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1")


class _Connection(asyncio.Protocol):
    """One TCP connection; one exchange at a time."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._pending: asyncio.Future[HttpResponse] | None = None
        self._chunks: list[bytes] = []
        self._status = 0
        self._headers_done = False
        self._framed = False  # Content-Length or chunked: the end is in the stream
        self.keep_alive = False
        self.is_open = False
        self.idle_since = 0.0
        self.exchanges = 0
        self.received_any = False  # in the current exchange

    def exchange(self, request: bytes) -> asyncio.Future[HttpResponse]:
        if not self.is_open or self._transport is None:
            raise ConnectionClosed("the connection is closed")
        self._pending = asyncio.get_running_loop().create_future()
        self.exchanges += 1
        self.received_any = False
        self._chunks = []
        self._headers_done = False
        self._framed = False
        self.keep_alive = False
        self._transport.write(request)
        return self._pending

    def close(self) -> None:
        self.is_open = False
        if self._transport is not None:
            self._transport.close()

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self.is_open = True

    def data_received(self, data: bytes) -> None:
        self.received_any = True
        if self._pending is None or self._pending.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ProtocolError(f"invalid HTTP response: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        return False  # close our side too; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.is_open = False
        if self._pending is not None and not self._pending.done():
            if self._headers_done and not self._framed:
                self._finish()  # a close-delimited body ends with the connection
            else:
                self._fail(ConnectionClosed("the server closed the connection mid-response"))

    # --- httptools callbacks -----------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (
            lowered == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:
            self._headers_done = False  # an interim response: the real one follows
            return
        self.keep_alive = self._parser.should_keep_alive()
        self._finish()

    def _finish(self) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.set_result(HttpResponse(self._status, b"".join(self._chunks)))

    def _fail(self, error: Exception) -> None:
        if self._pending is not None and not self._pending.done():
            self._pending.set_exception(error)
