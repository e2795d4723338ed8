"""Driving the npm client scripts beside this file (graphql-ws, graphql-sse, Apollo Client)
from pytest: each runs one subscription and prints one JSON line per message.

The test setup installs the npm packages in tests/node when node_modules is missing.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE.parent / "node"

_install_lock = asyncio.Lock()


def ensure_node_modules() -> None:
    """`npm install` in tests/node once, when its node_modules folder is missing."""
    if (NODE_DIR / "node_modules").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: the interop tests need Node 20 and npm")
    subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)


class NodeClient:
    """One running client script; `messages()` yields its output lines as dicts."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, script: str, **config: Any) -> NodeClient:
        ensure_node_modules()
        process = await asyncio.create_subprocess_exec(
            "node",
            str(HERE / script),
            orjson.dumps(config).decode(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def message(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = await self.process.stdout.readline()
        if not line:
            assert self.process.stderr is not None
            err = await self.process.stderr.read()
            raise AssertionError(f"the client ended without a message: {err.decode()[-2000:]}")
        message: dict[str, Any] = orjson.loads(line)
        return message

    async def until_end(self) -> list[dict[str, Any]]:
        """Every message up to and including the one that ended the client."""
        messages = []
        while True:
            message = await self.message()
            messages.append(message)
            if "next" not in message:
                await self.process.wait()
                return messages

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
