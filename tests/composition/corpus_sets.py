"""The subgraph sets the composition tests run on.

- `tests/composition/corpus/<set>/`: one `<subgraph>.graphql` per subgraph, plus either
  `supergraph.graphql` (the expected output) or `errors.txt` (the expected errors, one per
  line: `CODE subgraph Type.field`, `-` where the error names no subgraph or coordinate).
- Reused read-only: the conformance sets (`tests/conformance/sets/*`), the planner sets
  (`tests/planner/subgraphs/*`, which share one federation `@link` header) and the bundled
  demo subgraphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gateway.composition import SubgraphSource

TESTS = Path(__file__).resolve().parent.parent
CORPUS = TESTS / "composition" / "corpus"
CONFORMANCE = TESTS / "conformance" / "sets"
PLANNER = TESTS / "planner" / "subgraphs"
# Same header as tests/planner/compose.mjs prepends to each planner subgraph.
PLANNER_HEADER = """extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: [
  "@key", "@requires", "@provides", "@external", "@shareable", "@override", "@inaccessible",
  "@interfaceObject", "@tag"])
"""
_NOT_SUBGRAPHS = {"supergraph.graphql"}


@dataclass(frozen=True)
class SubgraphSet:
    name: str  # "corpus/fed1_extend", "conformance/keys", "planner/shop", "demo"
    sources: tuple[SubgraphSource, ...]
    folder: Path | None = None

    @property
    def expected_errors(self) -> set[tuple[str, str, str]] | None:
        path = self.folder / "errors.txt" if self.folder else None
        if path is None or not path.exists():
            return None
        lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
        return {(code, subgraph, coordinate) for code, subgraph, coordinate in lines}

    @property
    def expected_supergraph(self) -> Path | None:
        if self.folder is None or not self.folder.is_relative_to(CORPUS):
            return None
        return self.folder / "supergraph.graphql"


def _folder_set(prefix: str, folder: Path, header: str = "") -> SubgraphSet:
    sources = tuple(
        SubgraphSource(f.stem, f"http://{f.stem}.example/graphql", header + f.read_text())
        for f in sorted(folder.glob("*.graphql"))
        if f.name not in _NOT_SUBGRAPHS
    )
    return SubgraphSet(f"{prefix}/{folder.name}", sources, folder)


def corpus_sets() -> list[SubgraphSet]:
    return [_folder_set("corpus", d) for d in sorted(CORPUS.iterdir()) if d.is_dir()]


def reused_sets() -> list[SubgraphSet]:
    sets = [
        _folder_set("conformance", d)
        for d in sorted(CONFORMANCE.iterdir())
        if d.is_dir() and any(d.glob("*.graphql"))
    ]
    sets += [_folder_set("planner", d, PLANNER_HEADER) for d in sorted(PLANNER.iterdir())]
    sets.append(demo_set())
    return sets


@cache
def demo_set() -> SubgraphSet:
    """The bundled subgraphs, as `gateway/demo/subgraph_sdl.py` prints them."""
    import json
    import subprocess
    import sys

    printed = subprocess.run(
        [sys.executable, "-m", "gateway.demo.subgraph_sdl"],
        cwd=TESTS.parent,
        capture_output=True,
        check=True,
    ).stdout
    return SubgraphSet(
        "demo", tuple(SubgraphSource(s["name"], s["url"], s["sdl"]) for s in json.loads(printed))
    )
