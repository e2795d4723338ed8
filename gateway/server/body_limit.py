"""Refuse request bodies above a size limit with 413, before anything parses them.

A declared `Content-Length` above the limit is refused without reading the body. Otherwise
the body is read up to the limit (a chunked body cannot lie about its size) and replayed to
the application, which then never reads more than the limit.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.server.errors import RequestErrorCode
from gateway.server.view import error_response, negotiate


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send, headers)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client is gone; nobody to answer
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send, headers)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, headers: Headers) -> None:
        response = error_response(
            413,
            RequestErrorCode.BODY_TOO_LARGE,
            f"The request body is larger than {self.max_bytes} bytes, the limit. "
            "Send a smaller request.",
            negotiate(headers.get("accept")),
            {"Connection": "close"},
            limit=self.max_bytes,
        )
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the buffered body once, then the connection's own events."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
