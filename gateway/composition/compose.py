"""Compose subgraph SDLs into a supergraph SDL and the API schema: the public entry point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graphql import validate_schema

from gateway.composition.errors import CompositionError, CompositionFailed
from gateway.composition.merge import merge
from gateway.composition.satisfiability import check_satisfiability
from gateway.composition.subgraph import SubgraphSchema, parse_subgraph
from gateway.composition.supergraph_printer import print_supergraph
from gateway.composition.validate import validate_merged, validate_subgraph
from gateway.supergraph import Supergraph, SupergraphError


@dataclass(frozen=True, slots=True)
class SubgraphSource:
    """A subgraph to compose: its name, the URL the gateway calls, and its SDL."""

    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class Composition:
    supergraph_sdl: str
    api_sdl: str
    supergraph: Supergraph
    hints: tuple[CompositionError, ...] = ()  # composed anyway, e.g. an optional argument dropped


def compose(sources: Sequence[SubgraphSource]) -> Composition:
    """Compose the subgraphs; raise `CompositionFailed` listing every error found.

    Nothing is written anywhere: callers (the CLI, a live reload) decide what to do with the
    result, so a failed composition changes nothing.
    """
    errors: list[CompositionError] = []
    names = [s.name for s in sources]
    for name in names:
        if not name.strip() or not any(c.isalnum() for c in name):
            errors.append(
                CompositionError(
                    "INVALID_SUBGRAPH_NAME",
                    f"subgraph name {name!r} is empty or has no letter or digit",
                    "name subgraphs with letters, digits, '_' or '-'",
                    subgraph=name,
                )
            )
    if not sources:
        raise CompositionFailed(
            [CompositionError("NO_SUBGRAPHS", "no subgraphs to compose", "list at least one")]
        )
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors.append(
            CompositionError(
                "DUPLICATE_SUBGRAPH_NAME",
                f"subgraph name {name!r} is used more than once",
                "give every subgraph a unique name",
                subgraph=name,
            )
        )
    subgraphs: list[SubgraphSchema] = []
    for source in sources:
        subgraph, found = parse_subgraph(source.name, source.url, source.sdl)
        errors.extend(found)
        if subgraph is not None:
            errors.extend(validate_subgraph(subgraph))
            subgraphs.append(subgraph)
    if errors:
        raise CompositionFailed(errors)
    merged, errors = merge(subgraphs)
    if errors:
        raise CompositionFailed(errors)
    errors = validate_merged(merged) or check_satisfiability(merged)
    if errors:
        raise CompositionFailed(errors)
    sdl = print_supergraph(merged)
    try:
        supergraph = Supergraph.from_sdl(sdl)
    except SupergraphError as exc:
        raise CompositionFailed(
            [
                CompositionError(
                    "INVALID_SUPERGRAPH",
                    f"the composed supergraph does not load: {exc.message}",
                    "this is a composer bug or an unsupported construct; report it with the "
                    "subgraph SDLs",
                )
            ]
        ) from exc
    problems = validate_schema(supergraph.api_schema)
    if problems:
        raise CompositionFailed(
            [
                CompositionError(
                    "INVALID_API_SCHEMA",
                    f"the composed API schema is invalid: {problem.message}",
                    "make the subgraphs agree (e.g. every implementation of an interface "
                    "defines the interface's fields somewhere)",
                )
                for problem in problems
            ]
        )
    return Composition(sdl, supergraph.api_sdl, supergraph, tuple(merged.hints))
