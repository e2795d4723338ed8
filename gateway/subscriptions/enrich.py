"""Enriching an event: the subscriber's selection on the changed record, via `_entities`.

The planner plans the selection as an entity jump from the event's key
(`QueryPlanner.plan_subscription`); the executor runs that plan from the initial data
`{response_key: {__typename, ...key}}` and shapes the response like any query's. Policy
enforcement (`policy.Visibility`) filters the document before planning and the response
after, for the caller's view.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLSchema, parse

from gateway.executor import Executor
from gateway.executor.subscription import execute_from
from gateway.planner import QueryPlanner
from gateway.planner.subscription import SubscriptionPlan
from gateway.subscriptions.policy import EventVisibility
from gateway.subscriptions.schema import LiveField
from policies.principal import ANONYMOUS, Principal
from policies.view import PolicyView
from resolvers.stream import StreamEntry


@dataclass(frozen=True, slots=True, eq=False)
class LiveOperation:
    """A validated subscription: which live field, its filter, and the identity (`key`)
    that subscribers sharing one enrichment per event have in common."""

    document: DocumentNode
    operation_name: str | None
    variables: dict[str, Any]
    field: LiveField
    filter: dict[str, Any]
    key: str


def operation_key(query: str, operation_name: str | None, variables: dict[str, Any]) -> str:
    """Same text, operation and variables: the same selection and arguments."""
    digest = hashlib.sha256(query.encode())
    digest.update(orjson.dumps([operation_name, variables], option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


@lru_cache(maxsize=16)
def _probe_document(field_name: str, selection: str) -> DocumentNode:
    return parse(f"subscription {{ {field_name} {{ {selection} }} }}")


SharedRuns = dict[tuple[str, str], "asyncio.Future[dict[str, Any]]"]
"""One event's executions, by (operation key, plan key)."""


class Enricher:
    def __init__(
        self,
        planner: QueryPlanner,
        executor: Executor,
        schema: GraphQLSchema,
        visibility: EventVisibility,
    ) -> None:
        self.planner = planner
        self.executor = executor
        self.schema = schema
        self.visibility = visibility

    def plan(
        self, document: DocumentNode, operation_name: str | None, plan_key: str = ""
    ) -> SubscriptionPlan:
        """The (cached) plan; raises `PlanningError` when the operation cannot be served."""
        return self.planner.plan_subscription(
            document, operation_name, schema=self.schema, view_key=plan_key
        )

    async def payload(
        self,
        operation: LiveOperation,
        view: PolicyView | None,
        entry: StreamEntry,
        principal: Principal = ANONYMOUS,
        shared: SharedRuns | None = None,
    ) -> dict[str, Any] | None:
        """The payload of `entry` for subscribers of `operation` with `view`, or None when
        the view may not see the record. Subgraph calls are signed for `principal`.

        Views with the same plan key run the same prepared document: with `shared` (one
        dict per event) they share one execution, and only the policy pass differs."""
        visibility = self.visibility
        prepared = visibility.prepare(operation.document, operation.operation_name, view)
        if prepared.empty:
            return None
        plan_key = visibility.plan_key(view)
        run = self._run(
            prepared.document,
            operation.operation_name,
            operation.variables,
            entry,
            plan_key,
            principal,
        )
        if shared is None:
            response = await run
        else:
            key = (operation.key, plan_key)
            task = shared.get(key)
            if task is None:
                task = shared[key] = asyncio.ensure_future(run)
            else:
                run.close()  # not needed: another view of this plan runs it
            response = await asyncio.shield(task)
        payload = visibility.finish(prepared, view, response, operation.variables)
        if payload is None:
            return None
        payload = dict(payload)  # the shared response is never changed
        payload["extensions"] = {"eventId": entry.id}
        return payload

    async def probe(self, field: LiveField, entry: StreamEntry) -> dict[str, Any] | None:
        """The record fields `field`'s filters read (trusted, never sent to a client)."""
        document = _probe_document(field.name, field.probe)
        response = await self._run(document, None, {}, entry, "", ANONYMOUS)
        data = response.get("data") or {}
        record = data.get(field.name)
        return record if isinstance(record, dict) else None

    async def _run(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any],
        entry: StreamEntry,
        plan_key: str,
        principal: Principal,
    ) -> dict[str, Any]:
        plan = self.plan(document, operation_name, plan_key)
        representation = {"__typename": plan.entity_type, **entry.event.key}
        return await execute_from(
            self.executor,
            plan.plan,
            document,
            operation_name,
            variables,
            {plan.response_key: representation},
            self.schema,
            principal=principal,
        )
