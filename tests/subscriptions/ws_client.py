"""A minimal graphql-transport-ws client on the `websockets` library, for tests that need
to control the socket (read slowly, count connections); interop with a real third-party
client is in tests/interop."""

from __future__ import annotations

import itertools
from types import TracebackType
from typing import Any

import orjson
import websockets
from websockets.typing import Subprotocol

_ids = itertools.count(1)


class WsClient:
    def __init__(
        self, url: str, connection_params: dict[str, Any] | None = None, compression: bool = True
    ) -> None:
        self.url = url
        self.connection_params = connection_params
        self.compression = "deflate" if compression else None
        self.socket: Any = None

    async def __aenter__(self) -> WsClient:
        protocol = Subprotocol("graphql-transport-ws")
        self.socket = await websockets.connect(
            self.url, subprotocols=[protocol], compression=self.compression
        )
        await self.send({"type": "connection_init", "payload": self.connection_params or {}})
        ack = await self.receive()
        assert ack["type"] == "connection_ack", ack
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.socket.close()

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a server ping (pings are answered)."""
        while True:
            message: dict[str, Any] = orjson.loads(await self.socket.recv())
            if message["type"] != "ping":
                return message
            await self.send({"type": "pong"})

    async def subscribe(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        last_event_id: str | None = None,
    ) -> str:
        operation_id = str(next(_ids))
        payload: dict[str, Any] = {"query": query, "variables": variables or {}}
        if last_event_id is not None:
            payload["extensions"] = {"lastEventId": last_event_id}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        return operation_id
