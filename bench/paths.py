"""Where the benchmark's parts live, for the scripts in bench/."""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_DIR = BENCH / "node"
VENV_BIN = ROOT / ".venv" / "bin"
