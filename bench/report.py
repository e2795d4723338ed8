"""The markdown report of one side-by-side run."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from paths import NODE_DIR, ROOT


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


def _package_version(name: str) -> str:
    try:
        data = json.loads((NODE_DIR / "node_modules" / name / "package.json").read_text())
    except FileNotFoundError:
        return "?"
    return str(data.get("version", "?"))


def _shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


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
        f"- query: `{_shown(query)}`; {args.connections} connections, "
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
    ours = [o for o in outcomes if o.name.startswith("partnergraph") and o.load]
    peers = [o for o in outcomes if not o.name.startswith("partnergraph") and o.load]
    if ours and peers:
        lines.append("")
    for mine in ours:
        for peer in peers:
            assert mine.load is not None and peer.load is not None
            ratio = mine.load.cpu_ms_per_request / peer.load.cpu_ms_per_request
            verdict = "less" if ratio < 1 else "more"
            lines.append(
                f"- {mine.name} uses {ratio:.2f}x the CPU per request of {peer.name} ({verdict})."
            )
    if profile_text:
        lines += [
            "",
            "## Where PartnerGraph spends CPU (py-spy, separate load run)",
            "",
            profile_text,
        ]
    return "\n".join(lines) + "\n"
