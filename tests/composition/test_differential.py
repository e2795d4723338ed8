"""Differential test against `@theguild/federation-composition` (npm, MIT): for every set it
composes, our supergraph has the same API schema (printed lexicographically sorted) and the
same join metadata up to ordering (see `compare.py` for the normalizations and why); for every
set we expect to fail, it fails too.

Where the Guild composer departs from Federation 2 as Apollo's own composer implements it
(listed in GUILD_DIVERGES, with why), the set is compared with `@apollo/composition` instead
(installed in tests/node with @apollo/gateway), and the test checks that the Guild tool still
diverges, so the list stays honest. Sets we refuse on purpose are in WE_REFUSE.

The npm outputs are produced at test time (one `node` run for all sets), never checked in.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable
from typing import Any

import pytest

from gateway.composition import CompositionFailed, SubgraphSource, compose

from .compare import differences
from .corpus_sets import TESTS, SubgraphSet, corpus_sets, reused_sets
from .generated_sets import generated_set

NPM_MODULE = TESTS / "node" / "node_modules" / "@theguild" / "federation-composition"
SCRIPT = TESTS / "composition" / "compose_npm.mjs"

_ROOT_EDGES = (
    "a field returns a root type whose selections continue in another subgraph: the Guild "
    "composer has no root-to-root edges and rejects it; Apollo's planner follows them"
)
GUILD_DIVERGES = {
    "conformance/mutations": _ROOT_EDGES,
    "planner/roots": _ROOT_EDGES,
    "corpus/error_interface_key_implementations": (
        "an interface with a resolvable @key in a subgraph that lacks one of its "
        "implementations: that subgraph cannot answer __typename for it; the Guild composer "
        "does not check this, Apollo's does (INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE)"
    ),
    "corpus/error_interface_key_resolvable": (
        "an interface @key that is not a resolvable key of an implementation: the Guild "
        "composer does not check this, Apollo's does (INTERFACE_KEY_NOT_ON_IMPLEMENTATIONS)"
    ),
    "corpus/output_subtype": (
        "Query.owner is Owner in one subgraph and its interface Node in the other: the Guild "
        "composer keeps Owner with no per-subgraph `type`; Apollo merges to the more general "
        "Node and records each subgraph's type in @join__field(type:)"
    ),
}

# Valid Federation 2 that we refuse on purpose, with why.
WE_REFUSE = {
    "corpus/error_unsupported_auth": (
        "@authenticated/@requiresScopes would be dropped from the supergraph (this composer "
        "does not implement the authorization specs): refusing beats silently losing an "
        "access rule; PartnerGraph visibility policies do this job"
    ),
}

ALL_SETS = corpus_sets() + reused_sets()


def _compose_with_npm(
    sets: dict[str, tuple[SubgraphSource, ...]], with_apollo: Iterable[str] = GUILD_DIVERGES
) -> dict[str, Any]:
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH: cannot run @theguild/federation-composition")
    if not NPM_MODULE.exists():
        pytest.skip(f"{NPM_MODULE} is missing: run `npm install` in tests/node")
    payload = {
        name: [{"name": x.name, "url": x.url, "sdl": x.sdl} for x in sources]
        for name, sources in sets.items()
    }
    completed = subprocess.run(
        ["node", str(SCRIPT), *with_apollo],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: dict[str, Any] = json.loads(completed.stdout)
    return results


@pytest.fixture(scope="module")
def npm_results() -> dict[str, Any]:
    return _compose_with_npm({s.name: s.sources for s in ALL_SETS})


@pytest.mark.parametrize("subgraph_set", ALL_SETS, ids=lambda s: s.name)
def test_same_result_as_npm_composer(
    subgraph_set: SubgraphSet, npm_results: dict[str, Any]
) -> None:
    result = npm_results[subgraph_set.name]
    reference = result["guild"]
    if subgraph_set.name in GUILD_DIVERGES:
        if result["apollo"] is None:
            pytest.skip("@apollo/composition is not installed in tests/node")
        reference = result["apollo"]
    if subgraph_set.name in WE_REFUSE:
        assert reference["supergraph"] is not None, "the npm composer refuses it too now"
        with pytest.raises(CompositionFailed):
            compose(subgraph_set.sources)
        return
    if subgraph_set.expected_errors is not None:
        assert reference["supergraph"] is None, "the npm composer composed a set we reject"
        with pytest.raises(CompositionFailed):
            compose(subgraph_set.sources)
        if subgraph_set.name in GUILD_DIVERGES:
            assert result["guild"]["supergraph"] is not None, "the Guild composer agrees now"
        return
    assert reference["supergraph"] is not None, reference["errors"]
    ours = compose(subgraph_set.sources).supergraph_sdl
    assert differences(ours, reference["supergraph"]) == []
    if subgraph_set.name in GUILD_DIVERGES:
        guild = result["guild"]["supergraph"]
        assert guild is None or differences(ours, guild), "the Guild composer agrees now"


def test_generated_sets_same_result_as_npm_composer() -> None:
    """120 reproducible random sets: the same accept/reject decision and the same supergraph
    as the Guild composer; where they disagree, as @apollo/composition (the tie-breaker:
    e.g. the Guild tool accepts an @override'n field that another subgraph resolves without
    @shareable, and rejects an @override whose source subgraph lacks the field)."""
    sets = {f"generated/{seed}": generated_set(seed) for seed in range(100, 220)}
    guild = _compose_with_npm(sets, with_apollo=())
    ours: dict[str, str | None] = {}
    for name, sources in sets.items():
        try:
            ours[name] = compose(sources).supergraph_sdl
        except CompositionFailed:
            ours[name] = None
    disputed = [n for n in sets if _disagreement(ours[n], guild[n]["guild"])]
    apollo = (
        _compose_with_npm({n: sets[n] for n in disputed}, with_apollo=disputed) if disputed else {}
    )
    if disputed and apollo[disputed[0]]["apollo"] is None:
        pytest.skip(
            f"the Guild composer disagrees on {disputed} and @apollo/composition is missing"
        )
    problems = {n: _disagreement(ours[n], apollo[n]["apollo"]) for n in disputed}
    assert {n: p for n, p in problems.items() if p} == {}
    composed = sum(1 for sdl in ours.values() if sdl is not None)
    assert 10 <= composed <= len(sets) - 10, composed  # both outcomes are exercised


def _disagreement(ours: str | None, reference: dict[str, Any]) -> list[str]:
    theirs = reference["supergraph"]
    if ours is None or theirs is None:
        return (
            [] if ours is None and theirs is None else [f"only one composes: {reference['errors']}"]
        )
    return differences(ours, theirs)


def test_comparison_notices_join_and_api_differences() -> None:
    """The comparison itself can fail: a lost `external`, or an API type change, is seen."""
    sdl = _fed1_supergraph()
    assert differences(sdl, sdl) == []
    assert "external" in sdl
    lost_external = sdl.replace(", external: true", "", 1)
    assert any("join__field" in d for d in differences(lost_external, sdl))
    retyped = sdl.replace("inStock: Boolean", "inStock: Int", 1)
    assert any(d.startswith("API schema differs") for d in differences(retyped, sdl))


def _fed1_supergraph() -> str:
    fed1 = next(s for s in corpus_sets() if s.name == "corpus/fed1_extend")
    return compose(fed1.sources).supergraph_sdl


APOLLO_INTERNALS = TESTS / "node" / "node_modules" / "@apollo" / "federation-internals"


def test_apollo_loads_every_supergraph_we_compose() -> None:
    """Other federation tools accept our output: Apollo's own supergraph loader (what
    @apollo/gateway runs: validation, subgraph extraction, a query planner) takes every
    supergraph we compose, and rejects a corrupted one."""
    if shutil.which("node") is None or not APOLLO_INTERNALS.exists():
        pytest.skip("node or @apollo/federation-internals (tests/node) is missing")
    supergraphs = {
        s.name: compose(s.sources).supergraph_sdl
        for s in ALL_SETS
        if s.expected_errors is None and s.name not in WE_REFUSE
    }
    supergraphs["corrupted"] = supergraphs["demo"].replace(
        "@join__field(graph: PARTNERS)", "@join__field(graph: NOWHERE)", 1
    )
    completed = subprocess.run(
        ["node", str(TESTS / "composition" / "load_with_apollo.mjs")],
        input=json.dumps(supergraphs),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    problems = json.loads(completed.stdout)
    assert "NOWHERE" in problems.pop("corrupted")
    assert {name: p for name, p in problems.items() if p} == {}
