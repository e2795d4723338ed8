"""Visibility policies enforced on every operation (DESIGN.md "Visibility semantics").

The request path, in order:

    prepared = prepare_operation(document, operation_name, view, api_schema)  # cached
    plan = planner.plan(prepared.document, operation_name, view_key=view.plan_key)
    response = await executor.execute(plan, prepared.document, ...)   # unless prepared.empty
    response = finish_response(prepared, view, response, variables)

Modules: `operation` (the filter: hidden fields never reach a subgraph; condition inputs are
added under reserved aliases), `result` (record conditions, masks, FORBIDDEN errors, null
bubbling, reserved aliases stripped, subgraph errors remapped or masked), `view_schema`
(the caller's own schema for introspection and validation messages), `visibility` (where
the gateway gets its policy set and the caller's view), `errors` (the FORBIDDEN error),
`subgraph_errors` (subgraph error text replaced for restricted views).
"""

from gateway.enforcement.errors import FORBIDDEN, forbidden_error
from gateway.enforcement.operation import EnforcedOperation, prepare_operation
from gateway.enforcement.result import finish_response, record_visible
from gateway.enforcement.view_schema import view_schema, view_validation_errors
from gateway.enforcement.visibility import UNRESTRICTED, Unrestricted, Visibility

__all__ = [
    "FORBIDDEN",
    "UNRESTRICTED",
    "EnforcedOperation",
    "Unrestricted",
    "Visibility",
    "finish_response",
    "forbidden_error",
    "prepare_operation",
    "record_visible",
    "view_schema",
    "view_validation_errors",
]
