"""A local MongoDB-protocol server run as a child process (embedded default).

With no `MONGODB_URL`, `partnergraph dev` and the tests start `secantusd-py` (the
`secantusdb` package, GPL-2.0: a dev/test extra). It runs as a separate process and is never
imported by product code.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient

SERVER_COMMAND = "secantusd-py"


class EmbeddedMongoError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_executable() -> str:
    # Prefer the one installed beside this interpreter (the project's venv).
    beside = Path(sys.executable).with_name(SERVER_COMMAND)
    if beside.exists():
        return str(beside)
    found = shutil.which(SERVER_COMMAND)
    if not found:
        raise EmbeddedMongoError(
            f"{SERVER_COMMAND} not found: install the dev extra (pip install -e '.[dev]') "
            "or set MONGODB_URL to a MongoDB server."
        )
    return found


def _spawn(storage: str, port: int) -> subprocess.Popen[bytes]:
    if storage != ":memory:":
        Path(storage).mkdir(parents=True, exist_ok=True)
    command = [_server_executable(), "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--storage-path", storage],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@dataclass
class EmbeddedMongo:
    """A running `secantusd-py`; `storage` is a folder, or ":memory:"."""

    storage: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @classmethod
    async def start(cls, storage: str = ":memory:", port: int | None = None) -> EmbeddedMongo:
        port = port or free_port()
        process = await asyncio.to_thread(_spawn, storage, port)
        server = cls(storage=storage, port=port, process=process)
        await server._wait_ready()
        return server

    async def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            self.url, serverSelectionTimeoutMS=500
        )
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    code = self.process.returncode
                    raise EmbeddedMongoError(
                        f"{SERVER_COMMAND} exited with {code} (port {self.port})"
                    )
                try:
                    await client.admin.command("ping")
                    return
                except Exception:
                    await asyncio.sleep(0.2)
        finally:
            await client.close()
        self.stop()
        raise EmbeddedMongoError(f"{SERVER_COMMAND} did not answer ping within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, wait (it can take over 2 s), then SIGKILL."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
