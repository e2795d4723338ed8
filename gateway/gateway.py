"""The gateway without HTTP: one supergraph, its planner and executor, one pipeline.

`Gateway.execute` runs exactly what the HTTP endpoint runs (the Strawberry schema with the
gateway's extensions), so tests and tools that skip HTTP see the same validation, limits,
error codes and masking as clients do.

    gateway = Gateway.from_file("supergraph.graphql")
    response = await gateway.execute("{ deals { id } }")
    print(gateway.plan("{ deals { id partner { name } } }"))
    gateway.swap(other_supergraph)   # live reload: see `gateway.reload`
    await gateway.aclose()

Everything built from one supergraph (planner, executor, visibility, pipeline, Strawberry
schema) is one `SchemaGeneration` in `gateway.generation`, the single attribute `swap`
replaces; `supergraph`, `schema` and `visibility` read the current one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from strawberry.types.graphql import OperationType

from gateway.config import ConfigError, GatewayConfig
from gateway.enforcement import Visibility
from gateway.enforcement.visibility import Policies
from gateway.executor import Executor
from gateway.planner.plan import QueryPlan
from gateway.reload.generation import SchemaGeneration, build_generation, retire
from gateway.server.operations import OperationPipeline, response_body
from gateway.server.schema import GatewaySchema
from gateway.subscriptions import SubscriptionLimits, SubscriptionService
from gateway.supergraph import Supergraph, SupergraphError
from policies.auth import Authenticator, AuthSettings
from policies.principal import ANONYMOUS, Principal
from resolvers.stream import EventStream

_EXECUTABLE = (OperationType.QUERY, OperationType.MUTATION)


class _FromEnvironment:
    def __repr__(self) -> str:
        return "FROM_ENVIRONMENT"


FROM_ENVIRONMENT: Any = _FromEnvironment()


class Gateway:
    def __init__(
        self,
        supergraph: Supergraph,
        config: GatewayConfig | None = None,
        *,
        events: EventStream | None = None,
        subscription_limits: SubscriptionLimits | None = None,
        policies: Policies = None,
        authenticator: Authenticator | None = None,
        signing_secret: bytes | None = FROM_ENVIRONMENT,
    ) -> None:
        """With `events` (the change-event stream), the gateway also serves the live
        `Subscription` fields the supergraph's types allow (`gateway.subscriptions`), within
        `subscription_limits`.

        `policies` decides what each caller sees: a `PolicyWatcher` (serve/dev), a fixed
        `PolicySet`, or `UNRESTRICTED` (tools and tests not about visibility); None means
        no policy is loaded, so everything is denied (fail closed). `authenticator` turns
        HTTP credentials into principals (without it, a request with credentials is refused).
        `signing_secret` signs every subgraph call (`policies.signing`); by default it is
        the subgraph secret of `AuthSettings.from_env()` (the bundled subgraphs' default
        too), and None sends unsigned calls."""
        if signing_secret is FROM_ENVIRONMENT:
            signing_secret = AuthSettings.from_env().subgraph_secret
        self.config = config or GatewayConfig()
        unknown = sorted(set(self.config.subgraph_urls) - set(supergraph.subgraph_urls))
        if unknown:
            known = ", ".join(sorted(supergraph.subgraph_urls))
            raise ConfigError(
                f"subgraph_urls names subgraphs the supergraph does not have: "
                f"{', '.join(unknown)} (it has {known})"
            )
        self.authenticator = authenticator
        self.subscription_limits = subscription_limits or SubscriptionLimits()
        self._policies = policies
        self._signing_secret = signing_secret
        self._live = events is not None
        # The one attribute a live reload swaps (`swap`); requests read it once, at start.
        self.generation = self._build(1, supergraph)
        # Old generations still closing (each closes when its last request is done).
        self.retiring: set[asyncio.Task[None]] = set()
        self.subscriptions: SubscriptionService | None = None
        if events is not None:
            generation = self.generation
            self.subscriptions = SubscriptionService(
                events,
                generation.pipeline,
                generation.planner,
                generation.executor,
                generation.api_schema,
                visibility=generation.visibility,
                limits=self.subscription_limits,
            )
            generation.schema.subscriptions = self.subscriptions
        self._closed = False

    @classmethod
    def from_sdl(
        cls, supergraph_sdl: str, config: GatewayConfig | None = None, **options: Any
    ) -> Gateway:
        """Raises `SupergraphError` for an SDL the gateway cannot serve. `options` are the
        constructor's keyword arguments."""
        return cls(Supergraph.from_sdl(supergraph_sdl), config, **options)

    @classmethod
    def from_file(
        cls, path: str | Path, config: GatewayConfig | None = None, **options: Any
    ) -> Gateway:
        """Raises `SupergraphError` for a missing, unreadable or unusable file."""
        try:
            sdl = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SupergraphError(f"cannot read the supergraph file {str(path)!r}: {exc}") from exc
        return cls.from_sdl(sdl, config, **options)

    def _build(self, number: int, supergraph: Supergraph) -> SchemaGeneration:
        return build_generation(
            number,
            supergraph,
            self.config,
            policies=self._policies,
            signing_secret=self._signing_secret,
            live=self._live,
        )

    @property
    def supergraph(self) -> Supergraph:
        return self.generation.supergraph

    @property
    def schema(self) -> GatewaySchema:
        """The Strawberry schema of the current generation (the server reads it per request)."""
        return self.generation.schema

    @property
    def visibility(self) -> Visibility:
        return self.generation.visibility

    @property
    def _pipeline(self) -> OperationPipeline:
        return self.generation.pipeline

    @property
    def _executor(self) -> Executor:
        return self.generation.executor

    def swap(self, supergraph: Supergraph, *, grace: float | None = None) -> SchemaGeneration:
        """Serve `supergraph` from now on (live reload): build its generation, move live
        subscriptions over (those whose operation no longer fits end with SCHEMA_CHANGED),
        swap, and retire the old generation in the background (its requests finish on it;
        its executor closes when they are done, and no sooner than `grace` seconds, by
        default the subgraph timeout). Raises what building raises; then nothing changed."""
        if self._closed:
            raise RuntimeError("the gateway is closed")
        old = self.generation
        new = self._build(old.number + 1, supergraph)
        if self.subscriptions is not None:
            new.schema.subscriptions = self.subscriptions
            self.subscriptions.rebase(
                new.pipeline, new.planner, new.executor, new.api_schema, new.visibility
            )
        self.generation = new
        wait = self.config.subgraph_timeout if grace is None else grace
        task = asyncio.create_task(retire(old, wait), name=f"retire generation {old.number}")
        self.retiring.add(task)
        task.add_done_callback(self.retiring.discard)
        return new

    @property
    def ready(self) -> bool:
        """True while a supergraph is loaded and the gateway is not closed."""
        return not self._closed

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
        *,
        principal: Principal = ANONYMOUS,
    ) -> dict[str, Any]:
        """The GraphQL response (`data`, `errors`) for one query or mutation, as `principal`
        may see it. Never raises for bad input: it becomes an error with an
        `extensions.code`."""
        result = await self.schema.execute(
            query,
            variable_values=variables,
            context_value={"principal": principal},
            operation_name=operation_name,
            allowed_operation_types=_EXECUTABLE,
        )
        return response_body(result)

    def plan(self, query: str, operation_name: str | None = None) -> QueryPlan:
        """The (cached) plan for a query. Raises `RequestError` (with coded errors) for a
        query that does not parse or validate, `PlanningError` if it cannot be planned."""
        return self._pipeline.plan_query(query, operation_name)

    async def end_subscriptions(self) -> None:
        """End every live subscription with SHUTTING_DOWN (clients resume elsewhere from
        their last event id). Called before the server closes its connections."""
        if self.subscriptions is not None:
            await self.subscriptions.aclose()

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            if self.subscriptions is not None:
                await self.subscriptions.aclose()
            for task in list(self.retiring):
                task.cancel()  # `retire` still closes that generation's executor
            await asyncio.gather(*self.retiring, return_exceptions=True)
            await self.generation.executor.aclose()
