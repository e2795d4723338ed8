"""The subgraph HTTP client against raw TCP servers that answer byte for byte as told:
framing variants, connections the server closes, broken answers, the connection limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
import pytest

from gateway.executor.fetch import SubgraphClient
from gateway.executor.http import HttpPool, encode_headers

Answer = Callable[[int], bytes | None]
"""Given the request number, the raw bytes to answer (None: close without answering)."""

DATA = orjson.dumps({"data": {"ok": True}})


def framed(body: bytes = DATA, extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


class RawServer:
    """Reads each request fully (headers + Content-Length body), answers `answer(n)`,
    and records which connection carried it."""

    def __init__(self, answer: Answer, close_after_answer: bool = False) -> None:
        self.answer = answer
        self.close_after_answer = close_after_answer
        self.connections = 0
        self.requests: list[tuple[int, bytes]] = []  # (connection number, head)
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        connection = self.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
                number = len(self.requests)
                self.requests.append((connection, head))
                await asyncio.sleep(0.01)  # let concurrent requests pile up if they can
                self.in_flight -= 1
                answer = self.answer(number)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(
    answer: Answer, close_after_answer: bool = False
) -> AsyncIterator[tuple[RawServer, str]]:
    state = RawServer(answer, close_after_answer)
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield state, f"http://127.0.0.1:{port}/graphql?x=1"
    finally:
        server.close()
        await server.wait_closed()


async def fetch_all(url: str, count: int) -> list[dict[str, Any]]:
    client = SubgraphClient("raw", url, timeout=5.0)
    try:
        results: list[dict[str, Any]] = []
        for _ in range(count):
            response = await client.fetch("{ ok }", {})
            results.append({"data": response.data, "failure": response.failure})
        return results
    finally:
        await client.aclose()


async def test_chunked_and_content_length_answers_share_one_connection() -> None:
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\n" + DATA[:5]
    chunked += b"\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(DATA) - 5, DATA[5:])
    async with raw_server(lambda n: chunked if n % 2 else framed()) as (server, url):
        results = await fetch_all(url, 4)
    assert [r["data"] for r in results] == [{"ok": True}] * 4
    assert [c for c, _ in server.requests] == [1, 1, 1, 1]
    assert server.requests[0][1].startswith(b"POST /graphql?x=1 HTTP/1.1\r\n")


async def test_connection_close_and_close_delimited_answers() -> None:
    http10 = b"HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n" + DATA
    async with raw_server(
        lambda n: http10 if n == 0 else framed(extra=b"connection: close\r\n"),
        close_after_answer=True,
    ) as (server, url):
        results = await fetch_all(url, 3)
    assert [r["data"] for r in results] == [{"ok": True}] * 3
    assert [c for c, _ in server.requests] == [1, 2, 3]


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    async with raw_server(lambda n: framed(), close_after_answer=True) as (server, url):
        client = SubgraphClient("raw", url, timeout=5.0)
        try:
            first = await client.fetch("{ ok }", {})
            await asyncio.sleep(0.05)  # the server's close reaches the idle connection
            second = await client.fetch("{ ok }", {})
        finally:
            await client.aclose()
    assert first.data == second.data == {"ok": True}
    assert server.connections == 2


async def test_closed_mid_answer_is_unavailable_and_garbage_is_a_bad_response() -> None:
    async with raw_server(lambda n: None) as (_, url):
        [closed] = await fetch_all(url, 1)
    async with raw_server(lambda n: framed()[:30], close_after_answer=True) as (_, url):
        [cut] = await fetch_all(url, 1)
    async with raw_server(lambda n: b"SMTP ready\r\n\r\n") as (_, url):
        [garbage] = await fetch_all(url, 1)
    assert closed["failure"]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    assert cut["failure"]["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    assert garbage["failure"]["extensions"]["code"] == "SUBGRAPH_BAD_RESPONSE"


async def test_the_connection_limit_queues_requests() -> None:
    async with raw_server(lambda n: framed()) as (server, url):
        client = SubgraphClient("raw", url, timeout=5.0, max_connections=2)
        try:
            responses = await asyncio.gather(*(client.fetch("{ ok }", {}) for _ in range(6)))
        finally:
            await client.aclose()
    assert [r.data for r in responses] == [{"ok": True}] * 6
    assert server.connections == 2
    assert server.most_in_flight == 2


async def test_per_request_headers_are_sent_and_header_injection_is_refused() -> None:
    async with raw_server(lambda n: framed()) as (server, url):
        client = SubgraphClient("raw", url, timeout=5.0, headers={"x-static": "a"})
        try:
            await client.fetch("{ ok }", {}, None, encode_headers({"x-principal": "signed.token"}))
        finally:
            await client.aclose()
    head = server.requests[0][1].lower()
    assert b"x-static: a\r\n" in head
    assert b"x-principal: signed.token\r\n" in head
    with pytest.raises(ValueError, match="invalid HTTP header"):
        encode_headers({"x-evil": "a\r\nx-admin: yes"})
    with pytest.raises(ValueError, match="must be http"):
        HttpPool("ftp://example.org/graphql")


async def test_a_query_is_resent_once_when_a_kept_alive_connection_turns_out_closed() -> None:
    """The server drops the second request on the first connection without a byte of
    answer: a query goes again on a new connection; a mutation is not sent twice."""

    def answer(n: int) -> bytes | None:
        return None if n == 1 else framed()

    for idempotent, expected in ((True, {"ok": True}), (False, None)):
        async with raw_server(answer) as (server, url):
            client = SubgraphClient("raw", url, timeout=5.0)
            try:
                await client.fetch("{ ok }", {})
                second = await client.fetch("{ ok }", {}, idempotent=idempotent)
            finally:
                await client.aclose()
        assert second.data == expected
        assert len(server.requests) == (3 if idempotent else 2)
