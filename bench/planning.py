"""Cold and cached query-planning time of PartnerGraph (median of N runs).

- cold: a freshly loaded gateway plans the query for the first time (parse, validation,
  normalization, path finding, fetch grouping: everything `plan()` does on a cache miss);
- cached: the same gateway plans the same query again (what a repeated request pays);
- load: `Gateway.from_sdl(sdl)` itself (supergraph, API schema, planner, executor), once
  per cold run, for scale.

Queries: the gateway benchmark's nested query on bench/supergraph.graphql and a few queries
on the demo graph (gateway/demo/supergraph.graphql), all in bench/queries/.

Prints a markdown table and writes it to bench/results/<UTC timestamp>-planning.md.

Usage: .venv/bin/python bench/planning.py [--cold-runs 15] [--cached-runs 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paths import BENCH, ROOT

DEMO_SUPERGRAPH = ROOT / "gateway" / "demo" / "supergraph.graphql"
BENCH_SUPERGRAPH = BENCH / "supergraph.graphql"

# (query file in bench/queries, supergraph file)
CASES: tuple[tuple[str, Path], ...] = (
    ("nested.graphql", BENCH_SUPERGRAPH),
    ("demo_partners.graphql", DEMO_SUPERGRAPH),
    ("demo_deal.graphql", DEMO_SUPERGRAPH),
    ("demo_products.graphql", DEMO_SUPERGRAPH),
    ("demo_deals_deep.graphql", DEMO_SUPERGRAPH),
)


def load_gateway(sdl: str) -> Any:
    """A freshly loaded PartnerGraph gateway (`gateway.gateway.Gateway`); its `plan(query)`
    is what a request pays for planning, plan cache included."""
    try:
        from gateway.gateway import Gateway
    except ImportError as error:
        raise SystemExit(
            f"PartnerGraph's gateway.gateway.Gateway is not importable: {error}"
        ) from error
    return Gateway.from_sdl(sdl)


@dataclass(frozen=True, slots=True)
class Timing:
    query: str
    load_ms: float
    cold_ms: float
    cached_us: float
    cache_hit: bool  # the cached call returned the very same plan object


def _median_ms(samples: list[int]) -> float:
    return statistics.median(samples) / 1e6


def measure(query_file: str, supergraph: Path, cold_runs: int, cached_runs: int) -> Timing:
    sdl = supergraph.read_text()
    query = (BENCH / "queries" / query_file).read_text()
    loads, colds = [], []
    for run in range(cold_runs):
        started = time.perf_counter_ns()
        gateway = load_gateway(sdl)
        loaded = time.perf_counter_ns()
        first = gateway.plan(query)
        colds.append(time.perf_counter_ns() - loaded)
        loads.append(loaded - started)
        if run < cold_runs - 1:
            asyncio.run(gateway.aclose())
    cached = []
    for _ in range(cached_runs):
        started = time.perf_counter_ns()
        again = gateway.plan(query)
        cached.append(time.perf_counter_ns() - started)
    asyncio.run(gateway.aclose())
    return Timing(
        query_file,
        _median_ms(loads),
        _median_ms(colds),
        statistics.median(cached) / 1e3,
        again is first,
    )


def table(timings: list[Timing], cold_runs: int, cached_runs: int) -> str:
    lines = [
        f"Median of {cold_runs} cold runs (fresh gateway each) and {cached_runs} cached runs.",
        "",
        "| query | load (Gateway.from_sdl) ms | cold plan ms | cached plan µs | same plan object |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for t in timings:
        lines.append(
            f"| {t.query} | {t.load_ms:.1f} | {t.cold_ms:.2f} | {t.cached_us:.1f} "
            f"| {'yes' if t.cache_hit else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold-runs", type=int, default=15)
    parser.add_argument("--cached-runs", type=int, default=300)
    args = parser.parse_args(argv)
    if args.cold_runs < 1 or args.cached_runs < 1:
        parser.error("--cold-runs and --cached-runs must be at least 1")
    timings, failures = [], []
    for query_file, supergraph in CASES:
        try:
            timings.append(measure(query_file, supergraph, args.cold_runs, args.cached_runs))
        except SystemExit:
            raise
        except Exception as error:  # report the failing query and go on with the others
            failures.append(f"- {query_file}: planning failed: {type(error).__name__}: {error}")
    text = "\n".join(
        [
            f"# PartnerGraph planning time, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            table(timings, args.cold_runs, args.cached_runs),
            "",
            *failures,
        ]
    )
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    out = results / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-planning.md"
    out.write_text(text + "\n")
    print(text)
    print(f"written to bench/results/{out.name}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
