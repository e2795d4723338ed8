"""uvicorn's sans-I/O WebSocket protocol, plus one ASGI extension: send a message now.

The subscription fan-out writes one event to thousands of sockets. Through ASGI each write
is a chain of coroutines (Starlette's `send`, the exception middleware's, uvicorn's) and a
framing of the same bytes again per socket, which together cost more than the write. A
WebSocket scope served by this protocol carries `scope["extensions"][SEND_NOW]`: a plain
function that writes a `TextMessage` (framed once, for every socket it goes to) at once
when the socket has room, and otherwise says so, so the caller sends it the usual way
(awaiting room) and keeps the order. Servers without it are served through ASGI alone
(gateway/subscriptions/subscriber.py).
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State

SEND_NOW = "partnergraph.websocket.send_now"


class TextMessage:
    """A text message (UTF-8) to send to many sockets, framed once on first use."""

    __slots__ = ("_frame", "text")

    def __init__(self, text: bytes) -> None:
        self.text = text
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        """The message as one unmasked, uncompressed frame: what a server sends."""
        if self._frame is None:
            self._frame = Frame(Opcode.TEXT, self.text).serialize(mask=False)
        return self._frame


class GatewayWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # none when the handshake was refused
        if scope is not None:
            scope["extensions"][SEND_NOW] = self.send_now

    def send_now(self, message: TextMessage) -> bool:
        """Write `message` now. False: the client is behind (the write buffer is above its
        high-water mark) and nothing was written. Raises `ClientDisconnected` when the
        connection is closing or gone."""
        if self.disconnected or self.close_sent or self.conn.state is not State.OPEN:
            raise ClientDisconnected()
        if not self.handshake_complete or not self.writable.is_set():
            return False
        if self.conn.extensions:  # compressed: framed for this connection alone
            self.conn.send_text(message.text)
            self.transport.write(b"".join(self.conn.data_to_send()))
        else:
            self.transport.write(message.frame)
        return True
