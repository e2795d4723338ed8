"""Talking to a gateway over HTTP and judging its answer against the reference oracle."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gateways import STARTUP_TIMEOUT_S
from paths import BENCH


def reference_response(query_file: Path) -> Any:
    """The correct answer to the query, from the non-federated oracle."""
    out = subprocess.run(
        ["node", str(BENCH / "subgraphs" / "reference.mjs"), str(query_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


def post(url: str, body: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())


def wait_until_serving(url: str, body: bytes, process: subprocess.Popen[bytes]) -> str | None:
    """None once the gateway answers HTTP 200; otherwise why it never did."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with code {process.returncode}"
        try:
            status, answer = post(url, body, timeout=10)
            if status == 200:
                return None
            last = f"HTTP {status}: {answer[:200]!r}"
        except (OSError, urllib.error.URLError) as error:
            last = str(error)
        time.sleep(0.3)
    return f"no HTTP 200 within {STARTUP_TIMEOUT_S:.0f} s ({last})"


def first_difference(got: Any, want: Any, path: str = "") -> str | None:
    """Where two JSON values first differ (None when equal), for a readable report."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key in want.keys() | got.keys():
            if key not in got:
                return f"{path}.{key} missing"
            if key not in want:
                return f"{path}.{key} unexpected"
            found = first_difference(got[key], want[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(got) != len(want):
            return f"{path}: {len(got)} items, expected {len(want)}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            found = first_difference(g, w, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if got == want else f"{path}: {json.dumps(got)[:80]} != {json.dumps(want)[:80]}"


def check_answer(url: str, body: bytes, expected: Any) -> tuple[str, int]:
    """("ok", body length) when the gateway's answer equals the oracle's, else (why, 0).
    Equal values in another field order than the query's are "ok, but ..." (loaded, and
    reported)."""
    status, answer = post(url, body)
    if status != 200:
        return f"wrong answer: HTTP {status}", 0
    try:
        got = json.loads(answer)
    except ValueError:
        return "wrong answer: not JSON", 0
    if got.get("errors"):
        return f"wrong answer: errors {json.dumps(got['errors'])[:160]}", 0
    difference = first_difference(got, expected)
    if difference:
        return f"wrong answer at {difference}", 0
    if json.dumps(got) != json.dumps(expected):
        return "ok, but the field order differs from the query's", len(answer)
    return "ok", len(answer)
