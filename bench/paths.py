"""Where the benchmark's parts live, for the scripts in bench/."""

from __future__ import annotations

import subprocess
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_DIR = BENCH / "node"
VENV_BIN = ROOT / ".venv" / "bin"


def ensure_npm_packages() -> None:
    """`npm install` in bench/node unless its node_modules is current with package.json."""
    marker = NODE_DIR / "node_modules" / ".package-lock.json"
    if marker.exists() and marker.stat().st_mtime >= (NODE_DIR / "package.json").stat().st_mtime:
        return
    print("npm install in bench/node ...", flush=True)
    out = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"npm install in bench/node failed:\n{out.stdout}{out.stderr}")
