"""Fixtures for the console tests: the served stack, and what the browser tests need.

`browser_tools` installs what is missing, once per session: Debian's Chromium
(`apt-get install -y chromium`, as ENVIRONMENT.md says; never `npx playwright install`) and
the npm packages in tests/node (`playwright-core`, `graphql-ws`, `ws`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from console_stack import ConsoleStack, console_stack

CHROMIUM = Path("/usr/bin/chromium")
NODE_DIR = Path(__file__).resolve().parents[1] / "node"
REDIS_URL = os.environ.get("PARTNERGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
async def stack(mongo_client: Any) -> AsyncIterator[ConsoleStack]:
    """One stack per test module (each has a database and a Redis key prefix of its own)."""
    prefix = f"pgtest:console:{uuid.uuid4().hex[:8]}:"
    async with console_stack(mongo_client, REDIS_URL, key_prefix=prefix) as served:
        yield served


@pytest.fixture(scope="session")
def browser_tools() -> Path:
    """Chromium and the npm packages, installed when missing; returns Chromium's path."""
    if not CHROMIUM.exists():
        apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "-n", "apt-get"]
        subprocess.run([*apt, "update"], check=True, capture_output=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [*apt, "install", "-y", "chromium"]
        subprocess.run(install, check=True, capture_output=True, env=env)
    if not (NODE_DIR / "node_modules" / "playwright-core").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is not installed: the browser tests need Node 20 and npm")
        subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
    return CHROMIUM
