"""The operation pipeline: parse → validate → coerce variables → plan → execute.

One pipeline for every way in: the Strawberry extension (`gateway.server.extensions`) calls
these stages from Strawberry's parse/validate/execute hooks, and `Gateway.plan` calls the
first ones directly. Parsing and validation are cached together, keyed by the query text
(an LRU, bounded by `GatewayConfig.operation_cache_size`); planning is cached inside the
planner. Every failure a client can cause comes back as a GraphQL error with a code.

Strawberry's `ParserCache`/`ValidationCache` extensions are not used: the first raises parse
errors out of its hook (past our error codes and masking), the second keys on the document,
whose dataclass hash walks the whole AST on every lookup, and neither serves `Gateway.plan`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    get_variable_values,
    parse,
    specified_rules,
    validate,
)
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from gateway.config import Limits
from gateway.enforcement import (
    Visibility,
    finish_response,
    prepare_operation,
    view_validation_errors,
)
from gateway.planner.errors import PlanningError
from gateway.planner.plan import QueryPlan
from gateway.server.errors import (
    RequestErrorCode,
    ResponseError,
    coded_error,
    with_code,
)
from gateway.server.limits import count_tokens, limits_rule
from policies.principal import ANONYMOUS, Principal

logger = logging.getLogger(__name__)

# Coercion stops after this many variable errors; the rest would only repeat the lesson.
_MAX_VARIABLE_ERRORS = 20


class Planner(Protocol):
    def plan(
        self,
        document: DocumentNode,
        operation_name: str | None,
        *,
        override_labels: frozenset[str] = frozenset(),
        view_key: str = "",
    ) -> QueryPlan: ...

    def roll_percent_labels(self) -> frozenset[str]: ...


class PlanExecutor(Protocol):
    async def execute(
        self,
        plan: QueryPlan,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any],
        *,
        principal: Principal = ANONYMOUS,
    ) -> dict[str, Any]: ...


class RequestError(Exception):
    """A request the pipeline refuses; `errors` are the coded GraphQL errors to show."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """A parsed and validated document, or why it is not one. `document` is None when the
    text does not parse; `errors` are then the parse error, else the validation errors."""

    document: DocumentNode | None
    errors: tuple[GraphQLError, ...]


class OperationPipeline:
    def __init__(
        self,
        api_schema: GraphQLSchema,
        planner: Planner,
        executor: PlanExecutor,
        limits: Limits,
        cache_size: int,
        visibility: Visibility | None = None,
    ) -> None:
        """`visibility` enforces the caller's policy view on every operation (None: none)."""
        self.api_schema = api_schema
        self.visibility = visibility
        self.planner = planner
        self.executor = executor
        self.limits = limits
        # graphql-core's specified rules include MaxIntrospectionDepthRule.
        self.rules = (*specified_rules, limits_rule(limits))
        self.prepare = lru_cache(maxsize=cache_size)(self._prepare)

    def _prepare(self, query: str) -> PreparedOperation:
        try:
            document = parse(query, max_lexical_tokens=self.limits.max_tokens)
        except GraphQLError as error:
            return PreparedOperation(None, (self._parse_error(query, error),))
        errors = validate(self.api_schema, document, self.rules)
        coded = tuple(with_code(e, RequestErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors)
        return PreparedOperation(document, coded)

    def _parse_error(self, query: str, error: GraphQLError) -> GraphQLError:
        limit = self.limits.max_tokens
        if count_tokens(query, stop_after=limit + 1) > limit:
            return coded_error(
                RequestErrorCode.MAX_TOKENS_EXCEEDED,
                f"The document has more than {limit} tokens, the limit. Send a smaller operation.",
                limit=limit,
            )
        return GraphQLError(
            error.message,
            source=error.source,
            positions=error.positions,
            extensions={"code": str(RequestErrorCode.GRAPHQL_PARSE_FAILED)},
        )

    def caller_errors(
        self, document: DocumentNode, errors: list[GraphQLError], principal: Principal
    ) -> list[GraphQLError]:
        """Validation errors for a document the API schema refused, as the caller may see
        them (validated against its own schema, so no message names a hidden field)."""
        if self.visibility is None or not self.visibility.enforced:
            return errors
        view = self.visibility.view(principal)
        found = view_validation_errors(view, self.api_schema, document, self.rules, errors)
        return [with_code(e, RequestErrorCode.GRAPHQL_VALIDATION_FAILED) for e in found]

    def needs_operation_name(self, query: str) -> bool:
        """True when `query` parses into several operations, so a request must name one.
        (Strawberry would silently run the first one.)"""
        document = self.prepare(query).document
        if document is None:
            return False
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        return len(operations) > 1

    def plan_query(self, query: str, operation_name: str | None = None) -> QueryPlan:
        """The plan for a query text; raises `RequestError` for a document clients could not
        run either, `PlanningError` when the planner cannot plan a valid one."""
        prepared = self.prepare(query)
        if prepared.document is None or prepared.errors:
            raise RequestError(list(prepared.errors))
        self.operation(prepared.document, operation_name)
        labels = self.planner.roll_percent_labels()
        return self.planner.plan(prepared.document, operation_name, override_labels=labels)

    def operation(
        self, document: DocumentNode, operation_name: str | None
    ) -> OperationDefinitionNode:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise RequestError([unknown_operation_error(operation_name)])
        return operation

    async def execute(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        principal: Principal = ANONYMOUS,
    ) -> ExecutionResult:
        """Run a validated document for `principal`, through its policy view. Never raises:
        an unexpected failure is logged and returned as an uncoded error, which error
        masking turns into INTERNAL_SERVER_ERROR."""
        try:
            operation = self.operation(document, operation_name)
            coerced = get_variable_values(
                self.api_schema,
                operation.variable_definitions or (),
                variables or {},
                max_errors=_MAX_VARIABLE_ERRORS,
            )
            if isinstance(coerced, list):
                errors = [with_code(e, RequestErrorCode.BAD_USER_INPUT) for e in coerced]
                return PreExecutionError(data=None, errors=errors)
            response = await self._run(document, operation_name, coerced.coerced, principal)
            if isinstance(response, ExecutionResult):
                return response
        except RequestError as error:
            return PreExecutionError(data=None, errors=error.errors)
        except Exception as error:
            logger.exception("operation %r failed unexpectedly", operation_name)
            return ExecutionResult(
                data=None, errors=[GraphQLError(str(error), original_error=error)]
            )
        return ExecutionResult(
            data=response.get("data"),
            errors=[ResponseError(e) for e in response.get("errors") or ()] or None,
        )

    async def _run(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any],
        principal: Principal,
    ) -> dict[str, Any] | ExecutionResult:
        """Plan and execute; with a view, the filtered operation, then the result pass."""
        visibility = self.visibility
        if visibility is None or not visibility.enforced:
            plan = self._plan(document, operation_name, "")
            if isinstance(plan, ExecutionResult):
                return plan
            return await self.executor.execute(
                plan, document, operation_name, variables, principal=principal
            )
        view = visibility.view(principal)
        prepared = prepare_operation(document, operation_name, view, self.api_schema)
        response: dict[str, Any] = {"data": {}}
        if not prepared.empty:
            plan = self._plan(prepared.document, operation_name, view.plan_key)
            if isinstance(plan, ExecutionResult):
                return plan
            response = await self.executor.execute(
                plan, prepared.document, operation_name, variables, principal=principal
            )
        return finish_response(
            prepared, view, response, variables, subgraph_errors=visibility.subgraph_errors
        )

    def _plan(
        self, document: DocumentNode, operation_name: str | None, view_key: str
    ) -> QueryPlan | ExecutionResult:
        try:
            # Progressive `@override(label: "percent(N)")`: each request rolls its labels.
            labels = self.planner.roll_percent_labels()
            return self.planner.plan(
                document, operation_name, override_labels=labels, view_key=view_key
            )
        except PlanningError as error:
            logger.error("cannot plan operation %r: %s", operation_name, error.message)
            return ExecutionResult(data=None, errors=[planning_error(error)])


def unknown_operation_error(operation_name: str | None) -> GraphQLError:
    message = (
        f"The document has no operation named '{operation_name}'."
        if operation_name
        else "The document has no single operation to run: send exactly one operation, "
        "or name the one to run in `operationName`."
    )
    return coded_error(RequestErrorCode.OPERATION_RESOLUTION_FAILURE, message)


def planning_error(error: PlanningError) -> GraphQLError:
    """The planner's code, without its message: the message names subgraphs and fields
    (possibly inaccessible ones) that are the operator's business, so it goes to the log."""
    return GraphQLError(
        "The gateway cannot plan this operation against the current supergraph; "
        "its operators can find why in the gateway log.",
        extensions={"code": error.code},
    )


def response_body(result: ExecutionResult) -> dict[str, Any]:
    """The GraphQL response JSON of a result. A request error (the operation never ran)
    has no `data` entry, as the GraphQL-over-HTTP spec asks."""
    body: dict[str, Any] = {}
    if not isinstance(result, PreExecutionError):
        body["data"] = result.data
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    return body
