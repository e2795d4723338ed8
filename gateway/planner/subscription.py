"""Planning a subscription's payload: an entity jump from the changed record's key.

No subgraph serves the `Subscription` type: the gateway itself knows which entity changed
(from the event stream) and supplies its representation `{__typename, ...key}`. So the
selection under the subscription's root field is planned as if a source outside every
subgraph held that representation at `response_key`: the plan's first fetches are
`Flatten(path=(response_key,))` entity fetches; the executor runs them from the initial data
`{response_key: representation}`.

    subscription { dealChanged { stage partner { name } } }

    Sequence {
      Flatten(path: "dealChanged")            # from {__typename: "Deal", id: ...}
        Fetch(service: "deals") { ... on Deal { stage partner { __typename id } } }
      Flatten(path: "dealChanged.partner")
        Fetch(service: "partners") { ... on Partner { name } }
    }
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import DocumentNode, FieldNode, GraphQLSchema, get_named_type, is_abstract_type

from gateway.planner.build import build_node
from gateway.planner.errors import PlanningError
from gateway.planner.fetch_graph import FetchGraph, SelectionBuild
from gateway.planner.operation import OpField, normalize
from gateway.planner.plan import QueryPlan
from gateway.planner.query_graph import QueryGraph
from gateway.planner.traversal import Traversal
from gateway.supergraph import Key, Supergraph

# The group standing for "the gateway's event": never emitted as a fetch.
_EVENT_SOURCE = "__event__"


@dataclass(frozen=True, slots=True)
class SubscriptionPlan:
    """How to answer one event: put `{__typename: entity_type, ...key}` at `response_key`
    of the data, then run `plan` (its fetches start at `Flatten(path=(response_key,))`)."""

    response_key: str
    field_name: str
    entity_type: str
    key_fields: tuple[str, ...]
    plan: QueryPlan

    def __str__(self) -> str:
        head = f"Subscription {self.response_key}: {self.field_name} -> {self.entity_type}"
        return f"{head} key({' '.join(self.key_fields)})\n{self.plan}"


def plan_subscription(
    supergraph: Supergraph,
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    root_types: tuple[str, ...],
) -> SubscriptionPlan:
    """Plan a validated subscription document. `schema` is the serving schema (the API
    schema with the gateway's `Subscription` type). Raises `PlanningError`."""
    operation = normalize(schema, document, operation_name)
    if operation.kind != "subscription":
        raise PlanningError("plan_subscription plans subscriptions only")
    fields = [s for s in operation.selections if isinstance(s, OpField) and s.name != "__typename"]
    if len(fields) != 1:
        raise PlanningError("a subscription selects exactly one root field")
    field = fields[0]
    subscription_type = schema.subscription_type
    assert subscription_type is not None  # normalize found the root type
    entity_type = get_named_type(subscription_type.fields[field.name].type)
    if is_abstract_type(entity_type):
        raise PlanningError(f"{field.name} returns an abstract type: not supported")
    entity = entity_type.name
    graph = QueryGraph(supergraph, frozenset())
    target, key = _entry(graph, entity, field)
    fetches = FetchGraph()
    traversal = Traversal(graph, fetches, (*root_types, subscription_type.name))
    source = fetches.root(_EVENT_SOURCE, subscription_type.name)
    path = (field.response_key,)
    group = fetches.child(source, target, path)
    assert key.selection is not None
    inputs = group.inputs.fragment(entity)
    inputs.add_typename()
    traversal.add_key(SelectionBuild(), inputs, entity, key.selection, {})
    entry = group.selection.fragment(entity)
    group.note_conditions(field.conditions)
    traversal.plan_selections(group, entry, entity, field.selections, path, field.conditions, None)
    fetches.optimize()
    fetches.remove(source)
    key_fields = tuple(
        node.name.value for node in key.selection.selections if isinstance(node, FieldNode)
    )
    return SubscriptionPlan(
        field.response_key,
        field.name,
        entity,
        key_fields,
        QueryPlan(build_node(fetches, operation)),
    )


def _entry(graph: QueryGraph, entity: str, field: OpField) -> tuple[str, Key]:
    """The subgraph to enter first: one with a resolvable key that resolves the most of
    the selected fields (ties: supergraph order)."""
    names = {s.name for s in field.selections if isinstance(s, OpField) and s.name != "__typename"}
    candidates = [
        (graph_name, keys[0])
        for graph_name in graph.meta(entity).graphs
        if (keys := graph.entry_keys(entity, graph_name))
    ]
    if not candidates:
        raise PlanningError(f"{entity} has no resolvable @key: events cannot be enriched")

    def score(item: tuple[str, Key]) -> tuple[int, int]:
        served = sum(1 for name in names if item[0] in graph.field_graphs(entity, name))
        return (-served, graph.subgraph_order[item[0]])

    return min(candidates, key=score)
