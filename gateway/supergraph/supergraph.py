"""A loaded supergraph: the API schema clients see plus the join metadata the planner uses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    build_ast_schema,
    parse,
    print_schema,
)

from gateway.supergraph.api_schema import build_api_schema
from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.join import JoinMetadata, read_join
from gateway.supergraph.link import Links, read_links
from gateway.supergraph.subgraphs import build_subgraph_schema


@dataclass(frozen=True, eq=False)
class Supergraph:
    """Build with `Supergraph.from_sdl(sdl)`.

    `schema` is the full supergraph (join directives, inaccessible elements included: a
    `@requires` may name an inaccessible field); `api_schema` is what clients query.
    """

    sdl: str
    schema: GraphQLSchema = field(repr=False)
    api_schema: GraphQLSchema = field(repr=False)
    api_sdl: str = field(repr=False)
    join: JoinMetadata = field(repr=False)
    links: Links = field(repr=False)
    hash: str = ""

    @property
    def subgraph_urls(self) -> dict[str, str]:
        """Subgraph name (as in `@join__graph(name:)`) -> URL."""
        return {name: subgraph.url for name, subgraph in self.join.subgraphs.items()}

    @classmethod
    def from_sdl(cls, sdl: str) -> Supergraph:
        """Load a supergraph SDL; raise `SupergraphError` saying what is wrong and where."""
        try:
            document = parse(sdl)
        except GraphQLError as exc:
            raise SupergraphError(f"the supergraph SDL does not parse: {exc}") from exc
        links = read_links(document)
        join = read_join(document, links)
        schema = _build_full_schema(document)
        api_schema = build_api_schema(document, links)
        return cls(
            sdl=sdl,
            schema=schema,
            api_schema=api_schema,
            api_sdl=print_schema(api_schema),
            join=join,
            links=links,
            hash=hashlib.sha256(sdl.encode()).hexdigest(),
        )

    def subgraph_schema(self, name: str) -> GraphQLSchema:
        """The schema of subgraph `name`, as recovered from the supergraph (cached)."""
        cache: dict[str, GraphQLSchema] = self.__dict__.setdefault("_subgraph_schemas", {})
        if name not in cache:
            cache[name] = build_subgraph_schema(parse(self.sdl), self.links, self.join, name)
        return cache[name]

    def __str__(self) -> str:
        names = ", ".join(self.join.subgraphs)
        return f"Supergraph({names}; {len(self.join.types)} types; {self.hash[:12]})"


def _build_full_schema(document: DocumentNode) -> GraphQLSchema:
    try:
        return build_ast_schema(document, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as exc:
        raise SupergraphError(f"the supergraph does not build as a schema: {exc}") from exc
