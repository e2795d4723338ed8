"""PartnerGraph, @apollo/gateway and @graphql-hive/gateway side by side, in one run.

The shape of the public graphql-gateways-benchmark: four static subgraphs (accounts,
inventory, products, reviews), its nested query, each gateway under load at a fixed number of
connections from a separate process (bench/node/load.mjs). For each gateway in turn: start
it on the same supergraph, check that it answers the query exactly like the reference oracle
(a gateway that answers wrongly is reported as such and not loaded), warm up, load, and
record requests per second, p50/p99 latency and the gateway process tree's CPU seconds per
request.

Prints a markdown table and writes it to bench/results/<UTC timestamp>.md (logs and the run's
supergraph go to bench/results/<timestamp>/).

Usage: .venv/bin/python bench/run_gateways.py [--gateways partnergraph,apollo,hive]
       [--duration 15] [--warmup 5] [--connections 32] [--repeat 1] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cpu_time import tree_cpu_seconds, tree_rss_bytes
from pyspy_top import markdown as profile_markdown
from pyspy_top import read_profile

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NODE_DIR = BENCH / "node"
VENV_BIN = ROOT / ".venv" / "bin"
SUBGRAPHS = ("accounts", "inventory", "products", "reviews")
STARTUP_TIMEOUT_S = 90.0


# --- gateways --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GatewaySpec:
    """How to start one gateway on a supergraph file and a port."""

    name: str
    cwd: Path
    command: Callable[[Path, int], list[str]]
    env: tuple[tuple[str, str], ...] = ()


GATEWAYS: dict[str, GatewaySpec] = {
    "partnergraph": GatewaySpec(
        "partnergraph",
        ROOT,
        lambda supergraph, port: [
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
        ],
    ),
    "apollo": GatewaySpec(
        "apollo",
        NODE_DIR,
        lambda supergraph, port: ["node", "apollo_gateway.mjs", str(supergraph), str(port)],
        (("NODE_ENV", "production"),),
    ),
    "hive": GatewaySpec(
        "hive",
        NODE_DIR,
        lambda supergraph, port: [
            "node",
            "node_modules/@graphql-hive/gateway/dist/bin.js",
            "supergraph",
            str(supergraph),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--fork",
            "1",
        ],
        (("NODE_ENV", "production"),),
    ),
}


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One load run against one gateway, with the CPU its process tree used meanwhile."""

    requests: int
    seconds: float
    wrong: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    gateway_cpu_s: float
    subgraphs_cpu_s: float
    subgraph_requests: int
    gateway_rss_bytes: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.gateway_cpu_s / max(self.requests, 1)

    @property
    def subgraphs_cpu_ms_per_request(self) -> float:
        return 1000 * self.subgraphs_cpu_s / max(self.requests, 1)

    @property
    def subgraph_requests_per_request(self) -> float:
        return self.subgraph_requests / max(self.requests, 1)


@dataclass(frozen=True, slots=True)
class GatewayOutcome:
    name: str
    status: str  # "ok", "ok, but ...", "wrong answer: ...", "did not start: ..."
    load: LoadResult | None = None


# --- setup -----------------------------------------------------------------------------------


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


def ensure_py_spy() -> str:
    """Path of py-spy in the project venv, pip-installed there when missing."""
    path = VENV_BIN / "py-spy"
    if not path.exists():
        subprocess.run([str(VENV_BIN / "pip"), "install", "py-spy>=0.4,<0.5"], check=True)
    return str(path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def supergraph_for_ports(ports: dict[str, int], target: Path) -> Path:
    """Copy bench/supergraph.graphql with each subgraph's URL pointing at its port."""
    text = (BENCH / "supergraph.graphql").read_text()
    for name, port in ports.items():
        text, count = re.subn(
            rf'(name: "{name}", url: "http://127\.0\.0\.1:)\d+(/graphql")', rf"\g<1>{port}\2", text
        )
        if count != 1:
            raise SystemExit(f"bench/supergraph.graphql has no URL for subgraph {name!r}")
    target.write_text(text)
    return target


def reference_response(query_file: Path) -> Any:
    """The correct answer to the query, from the non-federated oracle."""
    out = subprocess.run(
        ["node", str(BENCH / "subgraphs" / "reference.mjs"), str(query_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


# --- processes -------------------------------------------------------------------------------


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


# --- checking and loading --------------------------------------------------------------------


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


def run_load(url: str, body_file: Path, length: int, connections: int, seconds: int) -> Any:
    """bench/node/load.mjs: closed-loop load that drains at the end (see that file)."""
    command = [
        "node",
        str(NODE_DIR / "load.mjs"),
        url,
        str(body_file),
        str(connections),
        str(seconds),
        str(length),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@dataclass(frozen=True, slots=True)
class Run:
    """What every gateway of one run shares."""

    args: argparse.Namespace
    run_dir: Path
    supergraph: Path
    body: bytes
    body_file: Path
    expected: Any
    subgraphs_pid: int
    subgraphs_stats_url: str


def subgraph_requests_served(run: Run) -> int:
    """How many GraphQL requests the four subgraphs have answered so far."""
    with urllib.request.urlopen(run.subgraphs_stats_url, timeout=10) as response:
        return sum(json.loads(response.read()).values())


def load(run: Run, url: str, length: int, gateway_pid: int) -> LoadResult:
    gateway_before = tree_cpu_seconds(gateway_pid)
    subgraphs_before = tree_cpu_seconds(run.subgraphs_pid)
    served_before = subgraph_requests_served(run)
    stats = run_load(url, run.body_file, length, run.args.connections, run.args.duration)
    return LoadResult(
        requests=stats["requests"],
        seconds=stats["seconds"],
        wrong=stats["wrong"],
        socket_errors=stats["socket_errors"],
        p50_ms=stats["p50_ms"],
        p99_ms=stats["p99_ms"],
        gateway_cpu_s=tree_cpu_seconds(gateway_pid) - gateway_before,
        subgraphs_cpu_s=tree_cpu_seconds(run.subgraphs_pid) - subgraphs_before,
        subgraph_requests=subgraph_requests_served(run) - served_before,
        gateway_rss_bytes=tree_rss_bytes(gateway_pid),
    )


def profile(run: Run, url: str, length: int, pid: int) -> str:
    """An extra load run with py-spy sampling the gateway; the profile's top entries."""
    out = run.run_dir / "partnergraph.pyspy.txt"
    command = [ensure_py_spy(), "record", "--pid", str(pid), "--duration", str(run.args.duration)]
    command += ["--rate", "200", "--format", "raw", "--nolineno", "--output", str(out)]
    recorder = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    run_load(url, run.body_file, length, run.args.connections, run.args.duration)
    _, errors = recorder.communicate(timeout=120)
    if recorder.returncode != 0 or not out.exists():
        return f"py-spy failed: {errors.decode(errors='replace')[-400:]}"
    return profile_markdown(read_profile(out), 20)


def bench_gateway(
    run: Run, spec: GatewaySpec, attempt: int, with_profile: bool
) -> tuple[GatewayOutcome, str | None]:
    """Start, check, warm up, load (and optionally profile) one gateway; always stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    log = run.run_dir / f"{spec.name}-{attempt}.log"
    print(f"== {spec.name} on port {port} (log: {log})", flush=True)
    process = start(spec.command(run.supergraph, port), spec.cwd, log, spec.env)
    try:
        problem = wait_until_serving(url, run.body, process)
        if problem:
            lines = log.read_text(errors="replace").strip().splitlines()
            last = f" (log: {lines[-1][:160]})" if lines else ""
            print(f"   did not start: {problem}{last}", flush=True)
            return GatewayOutcome(spec.name, f"did not start: {problem}{last}"), None
        status, length = check_answer(url, run.body, run.expected)
        print(f"   answer: {status}", flush=True)
        if not status.startswith("ok"):
            return GatewayOutcome(spec.name, status), None
        run_load(url, run.body_file, length, run.args.connections, run.args.warmup)
        result = load(run, url, length, process.pid)
        print(
            f"   {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"{result.cpu_ms_per_request:.2f} CPU ms/request",
            flush=True,
        )
        profile_text = None
        if with_profile and spec.name == "partnergraph":
            print("   profiling with py-spy ...", flush=True)
            profile_text = profile(run, url, length, process.pid)
        return GatewayOutcome(spec.name, status, result), profile_text
    finally:
        stop(process)


# --- report ----------------------------------------------------------------------------------


def _package_version(name: str) -> str:
    try:
        data = json.loads((NODE_DIR / "node_modules" / name / "package.json").read_text())
    except FileNotFoundError:
        return "?"
    return str(data.get("version", "?"))


def _git(*args: str) -> str:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return out.stdout.strip()


def median_outcome(outcomes: list[GatewayOutcome]) -> GatewayOutcome:
    """The run with the median CPU per request (the lower one for an even count); a failed
    run if any failed, since that is what must be reported."""
    failed = [outcome for outcome in outcomes if outcome.load is None]
    if failed:
        return failed[0]
    ordered = sorted(outcomes, key=lambda o: o.load.cpu_ms_per_request if o.load else 0.0)
    return ordered[(len(ordered) - 1) // 2]


def report(
    runs: dict[str, list[GatewayOutcome]],
    args: argparse.Namespace,
    query: Path,
    load_before: str,
    profile_text: str | None,
) -> str:
    cpu_model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    dirty = " (work tree has uncommitted changes)" if _git("status", "--porcelain") else ""
    lines = [
        f"# Gateway benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- query: `{query.relative_to(ROOT)}`; {args.connections} connections, "
        f"{args.warmup} s warm-up, {args.duration} s load (then in-flight requests finish)",
        f"- machine: {os.cpu_count()} CPUs ({cpu_model}), load average before: {load_before}",
        f"- PartnerGraph {_git('rev-parse', '--short', 'HEAD')}{dirty}, "
        f"Python {platform.python_version()}; Node {node}, "
        f"@apollo/gateway {_package_version('@apollo/gateway')}, "
        f"@apollo/server {_package_version('@apollo/server')}, "
        f"@graphql-hive/gateway {_package_version('@graphql-hive/gateway')}",
        "- CPU ms/req: user+system CPU of the gateway's process tree during the load, per "
        "completed request (steadier than req/s on a shared machine). Subgraph CPU ms/req "
        "shows the subgraphs were not the bottleneck; subgraph calls/req counts the HTTP "
        "requests the gateway sent to the subgraphs per client request.",
        f"- {args.repeat} run(s) per gateway, interleaved; each row is the run with the median "
        "CPU ms/req, and the last column lists every run's.",
        "",
        "| gateway | answer | req/s | p50 ms | p99 ms | CPU ms/req | gateway CPU % "
        "| subgraphs CPU ms/req | subgraph calls/req | RSS MB | bad answers | socket errors "
        "| CPU ms/req, every run |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    outcomes = [median_outcome(gateway_runs) for gateway_runs in runs.values()]
    for outcome in outcomes:
        result = outcome.load
        if result is None:
            lines.append(f"| {outcome.name} | {outcome.status} |" + " - |" * 11)
            continue
        every = ", ".join(f"{o.load.cpu_ms_per_request:.1f}" for o in runs[outcome.name] if o.load)
        lines.append(
            f"| {outcome.name} | {outcome.status} | {result.rps:.1f} | {result.p50_ms:.1f} "
            f"| {result.p99_ms:.1f} | {result.cpu_ms_per_request:.2f} "
            f"| {100 * result.gateway_cpu_s / result.seconds:.0f} "
            f"| {result.subgraphs_cpu_ms_per_request:.2f} "
            f"| {result.subgraph_requests_per_request:.1f} "
            f"| {result.gateway_rss_bytes / 2**20:.0f} | {result.wrong} | {result.socket_errors} "
            f"| {every} |"
        )
    ours = next((o.load for o in outcomes if o.name == "partnergraph" and o.load), None)
    peers = [o for o in outcomes if o.name != "partnergraph" and o.load]
    if ours and peers:
        lines.append("")
        for peer in peers:
            assert peer.load is not None
            ratio = ours.cpu_ms_per_request / peer.load.cpu_ms_per_request
            verdict = "less" if ratio < 1 else "more"
            lines.append(
                f"- PartnerGraph uses {ratio:.2f}x the CPU per request of {peer.name} ({verdict})."
            )
    if profile_text:
        lines += [
            "",
            "## Where PartnerGraph spends CPU (py-spy, separate load run)",
            "",
            profile_text,
        ]
    return "\n".join(lines) + "\n"


# --- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--gateways",
        default="partnergraph,apollo,hive",
        help="comma-separated, in order (default: partnergraph,apollo,hive)",
    )
    parser.add_argument("--query", type=Path, default=BENCH / "queries" / "nested.graphql")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per gateway")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per gateway")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per gateway, interleaved; the report shows the median run (default 1)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after PartnerGraph's load, profile it with py-spy in a second run",
    )
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.gateways.split(",") if name.strip()]
    unknown = [name for name in names if name not in GATEWAYS]
    if unknown or not names:
        parser.error(f"unknown gateway(s) {unknown}; choose from {', '.join(GATEWAYS)}")
    if min(args.duration, args.warmup, args.connections, args.repeat) < 1:
        parser.error("--duration, --warmup, --connections and --repeat must be at least 1")
    args.gateway_names = names
    args.query = args.query.resolve()
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    ensure_npm_packages()

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = BENCH / "results" / stamp
    run_dir.mkdir(parents=True)
    query_text = args.query.read_text()
    body = json.dumps({"query": query_text}).encode()
    body_file = run_dir / "request.json"
    body_file.write_bytes(body)
    expected = reference_response(args.query)

    ports = {name: free_port() for name in SUBGRAPHS}
    supergraph = supergraph_for_ports(ports, run_dir / "supergraph.graphql")
    subgraphs_log = run_dir / "subgraphs.log"
    subgraphs = start(
        [
            "node",
            str(BENCH / "subgraphs" / "server.mjs"),
            *(f"{name}={port}" for name, port in ports.items()),
        ],
        BENCH / "subgraphs",
        subgraphs_log,
    )
    stats_url = f"http://127.0.0.1:{ports['accounts']}/stats"
    run = Run(args, run_dir, supergraph, body, body_file, expected, subgraphs.pid, stats_url)
    runs: dict[str, list[GatewayOutcome]] = {name: [] for name in args.gateway_names}
    profile_text = None
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    try:
        wait_for_line(subgraphs_log, subgraphs, "ready")
        for repeat in range(args.repeat):
            for name in args.gateway_names:
                if runs[name] and runs[name][-1].load is None:
                    continue  # it failed once; the failure is what gets reported
                outcome, text = bench_gateway(
                    run, GATEWAYS[name], repeat + 1, args.profile and repeat == 0
                )
                runs[name].append(outcome)
                profile_text = profile_text or text
    finally:
        stop(subgraphs)

    text = report(runs, args, args.query, load_before, profile_text)
    (BENCH / "results" / f"{stamp}.md").write_text(text)
    print()
    print(text)
    print(f"written to bench/results/{stamp}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
