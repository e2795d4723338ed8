"""One schema generation: everything the gateway builds from one supergraph.

A live reload builds a new generation beside the one serving, then swaps the gateway's
single `generation` attribute to it. Each request reads that attribute once, at its start,
so it runs to its end on the generation it began with. The old generation is retired: its
executor's connection pools close once no request counted by its schema runs on it any more
and, at the earliest, `grace` seconds after the swap (event enrichments and streamed
operations that were already running are not counted; the grace covers them).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from graphql import GraphQLSchema

from gateway.config import GatewayConfig
from gateway.enforcement import Visibility
from gateway.enforcement.visibility import Policies
from gateway.executor import Executor
from gateway.planner import QueryPlanner
from gateway.server.operations import OperationPipeline
from gateway.server.schema import GatewaySchema
from gateway.subscriptions import with_subscriptions
from gateway.supergraph import Supergraph

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class SchemaGeneration:
    """`number` counts generations in this process (1 = the one the gateway started with);
    `api_schema`/`api_sdl` are what clients see (with the live `Subscription` fields when
    the gateway serves subscriptions)."""

    number: int
    supergraph: Supergraph
    api_schema: GraphQLSchema
    api_sdl: str
    planner: QueryPlanner
    executor: Executor
    visibility: Visibility
    pipeline: OperationPipeline
    schema: GatewaySchema

    def __str__(self) -> str:
        return f"generation {self.number}: {self.supergraph}"


def build_generation(
    number: int,
    supergraph: Supergraph,
    config: GatewayConfig,
    *,
    policies: Policies,
    signing_secret: bytes | None,
    live: bool,
) -> SchemaGeneration:
    """Build every per-supergraph part. `live`: add the live `Subscription` fields.

    `config.subgraph_urls` overrides the URLs of the subgraphs this supergraph has; names it
    does not have are ignored here (the gateway checks them once, at start)."""
    api_schema, api_sdl = supergraph.api_schema, supergraph.api_sdl
    if live:
        api_schema, api_sdl = with_subscriptions(api_schema, api_sdl)
    known = supergraph.subgraph_urls
    executor = Executor.for_supergraph(
        supergraph,
        timeout=config.subgraph_timeout,
        subgraph_urls={n: u for n, u in config.subgraph_urls.items() if n in known},
        signing_secret=signing_secret,
    )
    visibility = Visibility(policies, api_schema, subgraph_errors=config.subgraph_errors)
    planner = QueryPlanner(supergraph)
    pipeline = OperationPipeline(
        api_schema,
        planner,
        executor,
        config.limits,
        config.operation_cache_size,
        visibility,
    )
    return SchemaGeneration(
        number=number,
        supergraph=supergraph,
        api_schema=api_schema,
        api_sdl=api_sdl,
        planner=planner,
        executor=executor,
        visibility=visibility,
        pipeline=pipeline,
        schema=GatewaySchema(api_schema, api_sdl, pipeline),
    )


async def retire(generation: SchemaGeneration, grace: float) -> None:
    """Close the generation's executor once its requests are done (see module docstring)."""
    try:
        await asyncio.sleep(grace)
        await generation.schema.in_flight.idle()
    finally:
        await generation.executor.aclose()
        logger.info("retired %s", generation)
