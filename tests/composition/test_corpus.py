"""Every corpus set composes to its expected supergraph, or fails with exactly its expected
errors (code, subgraph, coordinate); every reused set composes into a supergraph the gateway
loads. Regenerate the expected supergraphs after a deliberate printer change with
`PARTNERGRAPH_UPDATE_SUPERGRAPHS=1 pytest tests/composition/test_corpus.py` and review the
diff."""

from __future__ import annotations

import os

import pytest

from gateway.composition import CompositionFailed, compose
from gateway.supergraph import Supergraph

from .corpus_sets import SubgraphSet, corpus_sets, reused_sets

UPDATE = os.environ.get("PARTNERGRAPH_UPDATE_SUPERGRAPHS") == "1"


def _id(subgraph_set: SubgraphSet) -> str:
    return subgraph_set.name


@pytest.mark.parametrize("subgraph_set", corpus_sets(), ids=_id)
def test_corpus_set(subgraph_set: SubgraphSet) -> None:
    expected_errors = subgraph_set.expected_errors
    if expected_errors is not None:
        with pytest.raises(CompositionFailed) as failure:
            compose(subgraph_set.sources)
        found = {
            (
                e.code,
                e.subgraph or "-",
                ".".join(p for p in (e.type, e.field) if p) or "-",
            )
            for e in failure.value.errors
        }
        assert found == expected_errors
        assert all(e.message and e.hint for e in failure.value.errors)
        return
    composition = compose(subgraph_set.sources)
    path = subgraph_set.expected_supergraph
    assert path is not None
    if UPDATE:
        path.write_text(composition.supergraph_sdl)
    assert path.exists(), f"no {path}: run with PARTNERGRAPH_UPDATE_SUPERGRAPHS=1 and review it"
    assert composition.supergraph_sdl == path.read_text()


@pytest.mark.parametrize("subgraph_set", reused_sets(), ids=_id)
def test_reused_set_composes_and_loads(subgraph_set: SubgraphSet) -> None:
    composition = compose(subgraph_set.sources)
    loaded = Supergraph.from_sdl(composition.supergraph_sdl)
    assert set(loaded.join.subgraphs) == {s.name for s in subgraph_set.sources}
    assert loaded.api_sdl == composition.api_sdl


def test_left_out_elements_are_reported_as_hints() -> None:
    """Intersection rules drop optional elements some subgraphs lack; the caller is told."""
    by_name = {s.name: s for s in corpus_sets()}
    hints = {
        (h.code, f"{h.type}.{h.field}")
        for name in ("corpus/inputs", "corpus/enums")
        for h in compose(by_name[name].sources).hints
    }
    assert hints == {
        ("INCONSISTENT_ARGUMENT_PRESENCE", "Query.find"),
        ("INCONSISTENT_INPUT_OBJECT_FIELD", "Where.minPrice"),
        ("INCONSISTENT_INPUT_OBJECT_FIELD", "Where.fuzzy"),
        ("INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM", "SortOrder.RANDOM"),
    }
    assert all(h.hint for h in compose(by_name["corpus/inputs"].sources).hints)
