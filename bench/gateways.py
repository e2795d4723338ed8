"""The gateways under test, and starting and stopping the servers of a run.

Every server is started in its own session, so `stop` can end its whole process tree by
group id, and only what this run started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paths import BENCH, NODE_DIR, ROOT, VENV_BIN

STARTUP_TIMEOUT_S = 90.0


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    """How to start one gateway on a supergraph file and a port."""

    name: str
    cwd: Path
    command: Callable[[Path, int], list[str]]
    env: tuple[tuple[str, str], ...] = ()


def _partnergraph(*policy: str) -> Callable[[Path, int], list[str]]:
    """`partnergraph serve` with a policy option (`--policies FILE` or `--unrestricted`)."""
    return lambda supergraph, port: [
        str(VENV_BIN / "partnergraph"),
        "--log-level",
        "WARNING",
        "serve",
        "--supergraph",
        str(supergraph),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *policy,
    ]


def _hive(*options: str) -> Callable[[Path, int], list[str]]:
    """Hive Gateway through its own CLI, in one process (`--fork 1`)."""
    return lambda supergraph, port: [
        "node",
        "node_modules/@graphql-hive/gateway/dist/bin.js",
        *options,
        "supergraph",
        str(supergraph),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--fork",
        "1",
    ]


GATEWAYS: dict[str, GatewaySpec] = {
    # With an allow-everything policy: the enforcement path a deployment runs.
    "partnergraph": GatewaySpec(
        "partnergraph",
        ROOT,
        _partnergraph("--policies", str(BENCH / "allow_all_policies.yaml")),
    ),
    # Without visibility enforcement: what enforcement costs, by difference.
    "partnergraph-unrestricted": GatewaySpec(
        "partnergraph-unrestricted", ROOT, _partnergraph("--unrestricted")
    ),
    "apollo": GatewaySpec(
        "apollo",
        NODE_DIR,
        lambda supergraph, port: ["node", "apollo_gateway.mjs", str(supergraph), str(port)],
        (("NODE_ENV", "production"),),
    ),
    "hive": GatewaySpec("hive", NODE_DIR, _hive(), (("NODE_ENV", "production"),)),
    # The same without deduplicating identical in-flight subgraph calls across requests.
    "hive-no-dedup": GatewaySpec(
        "hive-no-dedup",
        NODE_DIR,
        _hive("--config-path", "hive_no_dedup.config.mjs"),
        (("NODE_ENV", "production"),),
    ),
}


def start(
    command: list[str], cwd: Path, log: Path, env: tuple[tuple[str, str], ...] = ()
) -> subprocess.Popen[bytes]:
    """Start a server in its own session (so stop() can end its whole tree by group id)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **dict(env)},
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group we started; SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_line(log: Path, process: subprocess.Popen[bytes], line: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while line not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"{process.args!r} did not print {line!r}; see {log}")
        time.sleep(0.1)
