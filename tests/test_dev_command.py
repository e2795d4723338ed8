"""`partnergraph dev` end to end: the README's first command, run for real.

Starts the whole demo ecosystem as a user would (embedded MongoDB-protocol server, demo
data, subgraphs, gateway), queries it through the gateway, stops it with SIGTERM, and starts
it again on the same data folder to show the data persists.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

BANNER = "PartnerGraph is running."
NOTE = "kept across restarts"
QUERY = """
query Pipeline($first: Int!) {
  deals(first: $first) {
    items { id stage version amount product { sku name category } partner { id name kind } }
    nextCursor
  }
}
"""


def _free_port_block(size: int = 4) -> int:
    """A base port with `size` consecutive free ports after it."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + size >= 65535:
            continue
        sockets = []
        try:
            for offset in range(size):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no block of free ports")


class DevProcess:
    def __init__(self, data_dir: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URL", "REDIS_URL")}
        env |= {"PARTNERGRAPH_DATA_DIR": str(data_dir), "PARTNERGRAPH_PORT": str(port)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "--log-level", "WARNING", "dev"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []

    def wait_for_banner(self, timeout: float = 120.0) -> str:
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.output.append(line)
            if BANNER in line:
                # read the rest of the banner (up to the "Stop with" line)
                while "Stop with" not in line:
                    line = self.process.stdout.readline()
                    self.output.append(line)
                return "".join(self.output)
        self.stop()
        pytest.fail("partnergraph dev did not start:\n" + "".join(self.output))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


def _embedded_servers(data_dir: Path) -> list[str]:
    found = subprocess.run(
        ["pgrep", "-f", f"--storage-path {data_dir}"], capture_output=True, text=True
    )
    return found.stdout.split()


def tokens(banner: str) -> dict[str, str]:
    """The development token printed for each demo persona."""
    return dict(re.findall(r"Token \(([a-z ]+)\): (\S+)", banner))


def test_dev_runs_the_demo_ecosystem_and_keeps_its_data(tmp_path: Path) -> None:
    port = _free_port_block()
    gateway = f"http://127.0.0.1:{port}/graphql"

    first = DevProcess(tmp_path, port)
    try:
        banner = first.wait_for_banner()
        assert "Loaded the demo data." in banner
        assert gateway in banner
        persona = tokens(banner)
        assert set(persona) == {"reseller", "distributor", "supplier", "vendor staff", "admin"}
        admin = {"Authorization": f"Bearer {persona['admin']}"}
        # The demo policies are in force: anonymous callers see nothing, a reseller its own.
        anonymous = httpx.post(gateway, json={"query": "{ deals(first: 5) { items { id } } }"})
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        own = httpx.post(
            gateway,
            json={"query": "{ deals(first: 50) { items { partner { id } } } }"},
            headers={"Authorization": f"Bearer {persona['reseller']}"},
        ).json()
        assert {i["partner"]["id"] for i in own["data"]["deals"]["items"]} == {"P-R01"}, own
        response = httpx.post(
            gateway, json={"query": QUERY, "variables": {"first": 20}}, headers=admin
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        items = body["data"]["deals"]["items"]
        assert len(items) == 20
        # fields from all three subgraphs came back through entity jumps
        assert all(item["partner"]["name"] and item["product"]["category"] for item in items)
        deal = next(item for item in items if item["stage"] in ("REGISTERED", "APPROVED"))
        moved = httpx.post(
            gateway,
            json={
                "query": "mutation($id: ID!, $v: Int!, $note: String!) {"
                " updateDeal(id: $id, version: $v, input: {notes: $note}) { id notes version } }",
                "variables": {"id": deal["id"], "v": deal["version"], "note": NOTE},
            },
            headers=admin,
        ).json()
        assert moved["data"]["updateDeal"]["notes"] == NOTE, moved
    finally:
        assert first.stop() == 0, "".join(first.output)
    assert _embedded_servers(tmp_path) == [], "the embedded MongoDB-protocol server outlived dev"

    second = DevProcess(tmp_path, port)
    try:
        banner = second.wait_for_banner()
        assert "Loaded the demo data." not in banner
        admin = {"Authorization": f"Bearer {tokens(banner)['admin']}"}
        again = httpx.post(
            gateway,
            json={
                "query": "query($id: ID!) { deal(id: $id) { notes version } }",
                "variables": {"id": deal["id"]},
            },
            headers=admin,
        ).json()
        expected = {"notes": NOTE, "version": deal["version"] + 1}
        assert again["data"]["deal"] == expected
    finally:
        assert second.stop() == 0, "".join(second.output)
