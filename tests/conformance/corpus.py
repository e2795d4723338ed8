"""The corpus on disk: subgraph sets and their cases.

    sets/<set>/
      <subgraph>.graphql      subgraph SDL (Fed 2), one file per subgraph
      <subgraph>.data.yaml    its fixture data (see fixture.py); optional
      cases.yaml              description, `down` subgraphs, and the cases
      supergraph.graphql      composed by compose.mjs (URLs are placeholders)
      expected.json           written by reference.mjs: Apollo's response per case

A case:

    - name: list-jump               # test id: <set>/<name>
      covers: ["§5.3", "entity jump"]
      query: "{ topProducts { name } }"
      variables: {}                 # optional
      operation_name: Q             # optional
      faults: {reviews: 500}        # optional: 500 / "short_entities" per subgraph
      expect: {data: ..., errors: [{path: [...], code: ...}]}   # optional, see below
      expect_reason: "..."          # why `expect` overrides Apollo's answer
      plan:                         # optional plan / traffic assertions
        fetches: 2                  # Fetch nodes in gw.plan()
        services: [products, reviews]   # depth-first; Parallel children sorted by name
        entity_calls: {reviews: 1}  # _entities requests each subgraph received
        representations: {reviews: 2}   # representations each subgraph received
        mutation_calls: [a.m1, b.m2]    # mutation root fields in call order

The expected response is `expect` when given (from the spec or PLANNER.md, where Apollo's
gateway differs), else the case's entry in expected.json (Apollo's answer).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

from .subgraph import Recorder, StrictSubgraph
from .subgraph_schema import build_subgraph_schema

SETS_DIR = Path(__file__).parent / "sets"
CASE_KEYS = {
    "name",
    "covers",
    "query",
    "variables",
    "operation_name",
    "faults",
    "expect",
    "expect_reason",
    "plan",
}
PLAN_KEYS = {"fetches", "services", "entity_calls", "representations", "mutation_calls"}


class CorpusError(ValueError):
    """A malformed set or case (an authoring mistake, reported with its location)."""


@dataclass(frozen=True, slots=True)
class Case:
    set_name: str
    name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    faults: dict[str, int | str] = field(default_factory=dict)
    expect: dict[str, Any] | None = None
    expect_reason: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    covers: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.set_name}/{self.name}"


@dataclass(frozen=True, slots=True)
class SubgraphSet:
    name: str
    path: Path
    description: str
    sdls: dict[str, str]
    fixtures: dict[str, dict[str, Any]]
    down: tuple[str, ...]
    cases: tuple[Case, ...]

    @property
    def supergraph_path(self) -> Path:
        return self.path / "supergraph.graphql"

    @property
    def expected_path(self) -> Path:
        return self.path / "expected.json"

    def supergraph_sdl(self) -> str:
        return self.supergraph_path.read_text()

    def reference(self) -> dict[str, Any]:
        """Apollo's recorded answers (expected.json), by case name; {} before the first run."""
        if not self.expected_path.exists():
            return {}
        return dict(json.loads(self.expected_path.read_text()))

    def expected(self, case: Case) -> dict[str, Any] | None:
        if case.expect is not None:
            return case.expect
        return self.reference().get(case.name)

    def build_subgraphs(self, recorder: Recorder) -> dict[str, StrictSubgraph]:
        return {
            name: StrictSubgraph(build_subgraph_schema(name, sdl), self.fixtures[name], recorder)
            for name, sdl in self.sdls.items()
            if name not in self.down
        }


def _load_case(set_name: str, raw: Any, index: int) -> Case:
    where = f"{set_name}/cases.yaml case #{index}"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise CorpusError(f"{where}: a case is a mapping with a name")
    unknown = set(raw) - CASE_KEYS
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    if not isinstance(raw.get("query"), str):
        raise CorpusError(f"{where}: query must be a string")
    plan = raw.get("plan") or {}
    if set(plan) - PLAN_KEYS:
        raise CorpusError(f"{where}: unknown plan keys {sorted(set(plan) - PLAN_KEYS)}")
    return Case(
        set_name=set_name,
        name=raw["name"],
        query=raw["query"],
        variables=raw.get("variables") or {},
        operation_name=raw.get("operation_name"),
        faults=raw.get("faults") or {},
        expect=raw.get("expect"),
        expect_reason=raw.get("expect_reason"),
        plan=plan,
        covers=tuple(raw.get("covers") or ()),
    )


def load_set(path: Path) -> SubgraphSet:
    name = path.name
    spec = yaml.safe_load((path / "cases.yaml").read_text()) or {}
    sdls = {p.stem: p.read_text() for p in sorted(path.glob("*.graphql")) if p.stem != "supergraph"}
    if not sdls:
        raise CorpusError(f"{name}: no subgraph SDL files")
    fixtures: dict[str, dict[str, Any]] = {}
    for subgraph in sdls:
        data_path = path / f"{subgraph}.data.yaml"
        fixtures[subgraph] = (
            (yaml.safe_load(data_path.read_text()) or {}) if data_path.exists() else {}
        )
    cases = tuple(_load_case(name, raw, i) for i, raw in enumerate(spec.get("cases") or []))
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise CorpusError(f"{name}: duplicate case names {sorted(duplicates)}")
    return SubgraphSet(
        name=name,
        path=path,
        description=str(spec.get("description", "")),
        sdls=sdls,
        fixtures=fixtures,
        down=tuple(spec.get("down") or ()),
        cases=cases,
    )


def load_corpus(root: Path = SETS_DIR) -> list[SubgraphSet]:
    return [load_set(p) for p in sorted(root.iterdir()) if (p / "cases.yaml").exists()]


_JOIN_GRAPH = re.compile(r'@join__graph\(\s*name:\s*"([^"]+)"\s*,\s*url:\s*"[^"]*"\s*\)')


def with_urls(supergraph_sdl: str, urls: dict[str, str]) -> str:
    """Replace each `@join__graph(name:, url:)` URL by the real one (keyed by graph name)."""

    def replace(match: re.Match[str]) -> str:
        graph = match.group(1)
        if graph not in urls:
            raise CorpusError(f"no URL for subgraph {graph}")
        return f'@join__graph(name: "{graph}", url: "{urls[graph]}")'

    return _JOIN_GRAPH.sub(replace, supergraph_sdl)
