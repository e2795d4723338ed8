"""Serve every corpus set's fixture subgraphs, for reference.mjs (or by hand).

    cd tests && ../.venv/bin/python -m conformance.serve [--port N]

Prints one JSON line (base URL, and per set: supergraph with real URLs, cases), then serves
until stdin closes or the process is terminated.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from .corpus import load_corpus, with_urls
from .server import CorpusApp, ServerThread, free_port
from .subgraph import Recorder


def down_url() -> str:
    """A URL where nothing listens: a subgraph that is down."""
    return f"http://127.0.0.1:{free_port()}/down"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    corpus = load_corpus()
    app = CorpusApp({s.name: s.build_subgraphs(Recorder()) for s in corpus})
    server = ServerThread(app, args.port)
    server.start()
    sets: dict[str, Any] = {}
    for subgraph_set in corpus:
        urls = {
            name: down_url() if name in subgraph_set.down else server.url(subgraph_set.name, name)
            for name in subgraph_set.sdls
        }
        sets[subgraph_set.name] = {
            "urls": urls,
            "supergraph": with_urls(subgraph_set.supergraph_sdl(), urls),
            "cases": [
                {
                    "name": c.name,
                    "query": c.query,
                    "variables": c.variables,
                    "operationName": c.operation_name,
                    "faults": c.faults,
                    "expect": c.expect,
                    "plan": c.plan,
                }
                for c in subgraph_set.cases
            ],
        }
    sys.stdout.buffer.write(orjson.dumps({"base_url": server.base_url, "sets": sets}) + b"\n")
    sys.stdout.flush()
    try:
        sys.stdin.read()
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
