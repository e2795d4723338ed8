"""The query planner: (document, operation name, override labels, view) -> `QueryPlan`."""

from __future__ import annotations

import hashlib
import random
import re
import weakref
from collections.abc import Callable

from graphql import DocumentNode, GraphQLSchema, print_ast

from gateway.planner.build import build_node
from gateway.planner.cache import PlanCache, PlanKey
from gateway.planner.errors import PlanningError
from gateway.planner.fetch_graph import FetchGraph
from gateway.planner.operation import NormalizedOperation, OpField, never, normalize
from gateway.planner.plan import PlanNode, QueryPlan, Sequence
from gateway.planner.query_graph import QueryGraph
from gateway.planner.subscription import SubscriptionPlan, plan_subscription
from gateway.planner.traversal import Traversal
from gateway.supergraph import Supergraph

_PERCENT = re.compile(r"percent\((\d+(?:\.\d+)?)\)")

# Answered by the executor itself, never fetched.
LOCAL_ROOT_FIELDS = frozenset({"__typename", "__schema", "__type"})


class QueryPlanner:
    """Plans operations against one supergraph; plans are cached (see `PlanKey`)."""

    def __init__(self, supergraph: Supergraph, cache: PlanCache | None = None) -> None:
        self.supergraph = supergraph
        self.cache = cache if cache is not None else PlanCache()
        self.known_labels = frozenset(
            entry.override_label
            for meta in supergraph.join.types.values()
            for field in meta.fields.values()
            for entry in field.graphs
            if entry.override_label
        )
        schema = supergraph.api_schema
        self._subscription_plans: dict[tuple[str, str | None, str, int], SubscriptionPlan] = {}
        self.root_types = tuple(
            t.name
            for t in (schema.query_type, schema.mutation_type, schema.subscription_type)
            if t is not None
        )

    def roll_percent_labels(self, draw: Callable[[], float] = random.random) -> frozenset[str]:
        """The `percent(N)` override labels active for one request: each is on with
        probability N% (`draw()` returns a float in [0, 1)). Other labels are set by whoever
        owns them (they are not rolled here)."""
        active = set()
        for label in self.known_labels:
            match = _PERCENT.fullmatch(label)
            if match and draw() * 100 < float(match[1]):
                active.add(label)
        return frozenset(active)

    def plan(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        *,
        override_labels: frozenset[str] = frozenset(),
        view_key: str = "",
    ) -> QueryPlan:
        """The plan for an operation of a document already validated against the API
        schema. Raises `PlanningError` when it cannot be planned."""
        labels = override_labels & self.known_labels
        key = PlanKey(
            self.supergraph.hash, _document_hash(document), operation_name, labels, view_key
        )
        plan = self.cache.get(key)
        if plan is None:
            plan = self.build(document, operation_name, labels)
            self.cache.put(key, plan)
        return plan

    def plan_subscription(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        *,
        schema: GraphQLSchema,
        view_key: str = "",
    ) -> SubscriptionPlan:
        """The (cached) plan of a subscription's payload: the root field's selection as an
        entity jump from the event's key (`gateway.planner.subscription`). `schema` is the
        serving schema, which has the gateway's `Subscription` type."""
        key = (_document_hash(document), operation_name, view_key, id(schema))
        plan = self._subscription_plans.get(key)
        if plan is None:
            plan = plan_subscription(
                self.supergraph, schema, document, operation_name, self.root_types
            )
            if len(self._subscription_plans) >= self.cache.maxsize:
                self._subscription_plans.clear()
            self._subscription_plans[key] = plan
        return plan

    def build(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        override_labels: frozenset[str] = frozenset(),
    ) -> QueryPlan:
        """Plan without the cache."""
        operation = normalize(self.supergraph.api_schema, document, operation_name)
        if operation.kind == "subscription":
            raise PlanningError("subscriptions are not planned by the query planner")
        fields = [
            s
            for s in operation.selections
            if isinstance(s, OpField)
            and s.name not in LOCAL_ROOT_FIELDS
            and not never(s.conditions)
        ]
        graph = QueryGraph(self.supergraph, override_labels)
        if operation.kind == "mutation":
            return QueryPlan(self._plan_mutation(graph, operation, fields))
        return QueryPlan(self._plan_fields(graph, operation, fields))

    def _plan_fields(
        self, graph: QueryGraph, operation: NormalizedOperation, fields: list[OpField]
    ) -> PlanNode | None:
        if not fields:
            return None
        fetches = FetchGraph()
        Traversal(graph, fetches, self.root_types).plan_root(operation.root_type, fields)
        fetches.optimize()
        return build_node(fetches, operation)

    def _plan_mutation(
        self, graph: QueryGraph, operation: NormalizedOperation, fields: list[OpField]
    ) -> PlanNode | None:
        """Mutation fields run in order: consecutive fields served by the same subgraph
        share one fetch; each run finishes (with its entity fetches) before the next."""
        runs: list[tuple[str, list[OpField]]] = []
        for field in fields:
            owners = graph.field_graphs(operation.root_type, field.name)
            if not owners:
                raise PlanningError(f"no subgraph resolves {operation.root_type}.{field.name}")
            previous = runs[-1][0] if runs else None
            owner = previous if previous in owners else owners[0]
            if runs and owner == previous:
                runs[-1][1].append(field)
            else:
                runs.append((owner, [field]))
        steps: list[PlanNode] = []
        for owner, run in runs:
            fetches = FetchGraph()
            traversal = Traversal(graph, fetches, self.root_types)
            group = fetches.root(owner, operation.root_type)
            for field in run:
                group.note_conditions(field.conditions)
                traversal.plan_field(
                    group, group.selection, operation.root_type, field, (), (), None
                )
            fetches.optimize()
            node = build_node(fetches, operation)
            if node is not None:
                steps.append(node)
        if not steps:
            return None
        flat: list[PlanNode] = []
        for step in steps:
            flat.extend(step.nodes if isinstance(step, Sequence) else (step,))
        return flat[0] if len(flat) == 1 else Sequence(tuple(flat))


_HASHES: weakref.WeakKeyDictionary[DocumentNode, str] = weakref.WeakKeyDictionary()


def _document_hash(document: DocumentNode) -> str:
    """The plan-cache key of a document. A document built by the gateway (e.g. a policy
    view's filtered operation, itself cached) has no source text: hash its printed form
    once per document object, not on every request."""
    if document.loc is not None:
        return hashlib.sha256(document.loc.source.body.encode()).hexdigest()
    digest = _HASHES.get(document)
    if digest is None:
        digest = _HASHES[document] = hashlib.sha256(print_ast(document).encode()).hexdigest()
    return digest
