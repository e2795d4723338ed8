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
import re
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from answers import check_answer, reference_response, wait_until_serving
from cpu_time import tree_cpu_seconds, tree_rss_bytes
from gateways import GATEWAYS, GatewaySpec, start, stop, wait_for_line
from paths import BENCH, NODE_DIR, VENV_BIN, ensure_npm_packages
from pyspy_top import markdown as profile_markdown
from pyspy_top import read_profile
from report import GatewayOutcome, LoadResult, report

SUBGRAPHS = ("accounts", "inventory", "products", "reviews")


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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--gateways",
        default="partnergraph,apollo,hive",
        help="comma-separated, in order (default: partnergraph,apollo,hive)",
    )
    parser.add_argument(
        "--query",
        type=Path,
        default=BENCH / "queries" / "nested.graphql",
        help="a query on the benchmark graph (default: bench/queries/nested.graphql)",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per gateway")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per gateway")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients")
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
