"""Running a subscription plan for one event: a plan run that starts from given data.

A query plan starts from nothing and its root fetches fill the data. A subscription plan
(`gateway.planner.subscription`) starts from the event's representation, which the gateway
places at the root field's response key; the plan's `Flatten(path=(response_key,))` entity
fetches then complete it, and the response is shaped against the serving schema, the API
schema plus the gateway's `Subscription` type.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from graphql import DocumentNode, GraphQLSchema

from gateway.executor.errors import ErrorCode, gateway_error
from gateway.executor.execute import Executor, _PlanRun
from gateway.executor.schema_index import SchemaIndex
from gateway.executor.shape import Shaping
from gateway.planner.plan import QueryPlan
from policies.principal import ANONYMOUS, Principal

_indexes: weakref.WeakKeyDictionary[GraphQLSchema, SchemaIndex] = weakref.WeakKeyDictionary()


def _serving_index(executor: Executor, schema: GraphQLSchema) -> SchemaIndex:
    if schema is executor.api_schema:
        return executor.index
    index = _indexes.get(schema)
    if index is None:
        index = _indexes[schema] = SchemaIndex(schema, executor.index._entity_keys)
    return index


async def execute_from(
    executor: Executor,
    plan: QueryPlan,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    initial_data: Mapping[str, Any],
    schema: GraphQLSchema,
    *,
    principal: Principal = ANONYMOUS,
) -> dict[str, Any]:
    """Run `plan` from `initial_data` (copied one level deep per root key) and shape the
    response for the operation's root type in `schema`. Never raises for subgraph
    failures: they become errors beside partial data, as for queries."""
    info = executor._document_info(document)
    operation = info.operation(operation_name)
    root_type = None if operation is None else schema.get_root_type(operation.operation)
    if operation is None or root_type is None:
        message = f"The document has no operation named {operation_name!r} to run."
        return {"errors": [gateway_error(ErrorCode.UNKNOWN_OPERATION, message)]}
    run = _PlanRun(executor, operation, info.fragments, variables, b"", principal)
    for key, value in initial_data.items():
        run.data[key] = dict(value) if isinstance(value, Mapping) else value
    if plan.node is not None:
        await run.node(plan.node)
    shaping = Shaping(
        _serving_index(executor, schema),
        info.fragments,
        variables,
        run.errors,
        run.covered,
        memo=info.memo(operation, variables),
    )
    data = shaping.shape_root(root_type, operation.selection_set, run.data)
    response: dict[str, Any] = {"data": data}
    if run.errors:
        response["errors"] = run.errors
    return response
