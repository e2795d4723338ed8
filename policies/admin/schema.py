"""The admin API's Strawberry schema: queries and mutations over the policy store.

Reads: `me`, `policy` (current rules and the version to send back as `expectedVersion`),
`policyVersion`, `versions`, `rules`, `rule`, `audit`, `schemaTree`, `explain`,
`decisionMatrix`, `preview`, `schemaStatus` (live reload; `reloadSchema` recomposes now).
Writes: `createRule`, `updateRule`, `deleteRule`, `rollback`,
`importRules`, each with `reason` and `expectedVersion` (stale: CONFLICT with
`currentVersion`); the acting admin is the audit actor. A write returns once this
process's watcher runs the new version (bounded wait), so a preview right after it
already sees the change.

`explain` and `decisionMatrix` read the store's current version (or the `version` asked
for); `preview` runs what the gateway enforces and says which version that was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError, GraphQLSchema
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext

from policies.admin.access import RequireAdmin
from policies.admin.decisions import check_coordinate, decide, decision_matrix, schema_tree
from policies.admin.errors import AdminErrors, RequireOperationName, is_unexpected
from policies.admin.inputs import AuditFilter, PrincipalInput, RuleInput, read_rules
from policies.admin.preview import PreviewGateway, preview
from policies.admin.schema_status import (
    ReloadResult,
    SchemaControl,
    SchemaStatus,
    not_configured,
)
from policies.admin.types import (
    AuditEntryType,
    DecisionCell,
    DecisionMatrix,
    DecisionRow,
    Explanation,
    PolicySetInfo,
    PolicyVersion,
    PreviewResult,
    PrincipalInfo,
    RuleType,
    SchemaType,
)
from policies.model import PolicySet, Rule
from policies.principal import Principal
from policies.propagation import PolicyWatcher
from policies.store import PolicyStore
from policies.view import build_view, explain

log = logging.getLogger(__name__)

WATCHER_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class AdminContext:
    """Per request: the services, and the verified admin making the request."""

    store: PolicyStore
    watcher: PolicyWatcher
    gateway: PreviewGateway
    principal: Principal
    schema_control: SchemaControl | None = None  # live reload (None: a fixed supergraph)


Info = strawberry.Info[AdminContext, None]


def _schema_control(context: AdminContext) -> SchemaControl:
    if context.schema_control is None:
        raise not_configured()
    return context.schema_control


def _api_schema(context: AdminContext) -> GraphQLSchema:
    if context.store.schema is None:
        raise RuntimeError("the policy store has no API schema")
    return context.store.schema


async def _policy_set(context: AdminContext, version: int | None) -> PolicySet:
    if version is None:
        return await context.store.current()
    return await context.store.version(version)


async def _committed(context: AdminContext, write: Awaitable[PolicySet]) -> PolicySetInfo:
    """Run a write; wait (bounded) until this process's watcher has applied it."""
    policy_set = await write
    try:
        await asyncio.wait_for(
            context.watcher.wait_for_version(policy_set.version), WATCHER_WAIT_SECONDS
        )
    except TimeoutError:
        log.warning("the policy watcher has not applied version %s yet", policy_set.version)
    return PolicySetInfo.from_policy_set(policy_set)


@strawberry.type
class Query:
    @strawberry.field(description="The admin making the request (the actor of its writes).")
    def me(self, info: Info) -> PrincipalInfo:
        return PrincipalInfo.from_principal(info.context.principal)

    @strawberry.field(description="The rules in force and their version.")
    async def policy(self, info: Info) -> PolicySetInfo:
        return PolicySetInfo.from_policy_set(await info.context.store.current())

    @strawberry.field(description="A stored version (NOT_FOUND if there is none).")
    async def policy_version(self, info: Info, version: int) -> PolicySetInfo:
        return PolicySetInfo.from_policy_set(await info.context.store.version(version))

    @strawberry.field(description="Stored versions, newest first.")
    async def versions(self, info: Info, limit: int = 50) -> list[PolicyVersion]:
        return [PolicyVersion.from_info(v) for v in await info.context.store.history(limit=limit)]

    @strawberry.field(description="The current rules.")
    async def rules(self, info: Info) -> list[RuleType]:
        current = await info.context.store.current()
        return [RuleType.from_rule(rule) for rule in current.rules]

    @strawberry.field(description="One current rule, or null.")
    async def rule(self, info: Info, id: str) -> RuleType | None:
        found = (await info.context.store.current()).rule(id)
        return None if found is None else RuleType.from_rule(found)

    @strawberry.field(description="Audit entries, newest first.")
    async def audit(self, info: Info, filter: AuditFilter | None = None) -> list[AuditEntryType]:
        given = filter or AuditFilter()
        entries = await info.context.store.audit(
            actor=given.actor,
            rule_id=given.rule_id,
            target=given.target,
            since=given.since,
            until=given.until,
            limit=given.limit,
        )
        return [AuditEntryType.from_entry(entry) for entry in entries]

    @strawberry.field(description="Object, interface and union types with their fields.")
    def schema_tree(self, info: Info) -> list[SchemaType]:
        return [SchemaType.from_info(named) for named in schema_tree(_api_schema(info.context))]

    @strawberry.field(description="Which rules decide `Type` or `Type.field` for a principal.")
    async def explain(
        self, info: Info, principal: PrincipalInput, coordinate: str, version: int | None = None
    ) -> Explanation:
        schema = _api_schema(info.context)
        check_coordinate(schema, coordinate)
        caller = principal.to_principal()
        policy_set = await _policy_set(info.context, version)
        cell = decide(build_view(policy_set, caller, schema), coordinate)
        return Explanation.build(policy_set, cell, explain(policy_set, caller, coordinate, schema))

    @strawberry.field(
        description="The decision per principal and coordinate (every field if none given)."
    )
    async def decision_matrix(
        self,
        info: Info,
        principals: list[PrincipalInput],
        coordinates: list[str] | None = None,
        version: int | None = None,
    ) -> DecisionMatrix:
        callers = [principal.to_principal() for principal in principals]
        policy_set = await _policy_set(info.context, version)
        chosen, rows = decision_matrix(policy_set, callers, coordinates, _api_schema(info.context))
        return DecisionMatrix(
            policy_version=policy_set.version,
            coordinates=chosen,
            rows=[
                DecisionRow(
                    principal=PrincipalInfo.from_principal(caller),
                    cells=[DecisionCell.from_cell(cell) for cell in cells],
                )
                for caller, cells in zip(callers, rows, strict=True)
            ],
        )

    @strawberry.field(description="The response `principal` would get for a query.")
    async def preview(
        self,
        info: Info,
        principal: PrincipalInput,
        query: str,
        variables: JSON | None = None,
        operation_name: str | None = None,
    ) -> PreviewResult:
        caller = principal.to_principal()
        version = info.context.watcher.current.version
        response = await preview(info.context.gateway, caller, query, variables, operation_name)
        return PreviewResult(
            policy_version=version,
            principal=PrincipalInfo.from_principal(caller),
            response=JSON(response),
        )

    @strawberry.field(
        description="The supergraph served and how its live reloads went "
        "(NOT_CONFIGURED when the gateway serves a fixed supergraph)."
    )
    def schema_status(self, info: Info) -> SchemaStatus:
        return SchemaStatus.of(_schema_control(info.context).status)


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Re-fetch the subgraphs' SDLs and recompose now; swap when the result "
        "differs. A failed reload changes nothing (see status.lastReloadError)."
    )
    async def reload_schema(self, info: Info) -> ReloadResult:
        control = _schema_control(info.context)
        changed = await control.reload()
        return ReloadResult(changed=changed, status=SchemaStatus.of(control.status))

    @strawberry.mutation(description="Add a rule (CONFLICT if its id is taken).")
    async def create_rule(
        self, info: Info, rule: RuleInput, reason: str, expected_version: int
    ) -> PolicySetInfo:
        (new_rule,) = read_rules([rule], _api_schema(info.context))
        context = info.context
        return await _committed(
            context,
            context.store.create_rule(
                new_rule, actor=context.principal, reason=reason, expected_version=expected_version
            ),
        )

    @strawberry.mutation(description="Replace the rule with the same id.")
    async def update_rule(
        self, info: Info, rule: RuleInput, reason: str, expected_version: int
    ) -> PolicySetInfo:
        (new_rule,) = read_rules([rule], _api_schema(info.context))
        context = info.context
        return await _committed(
            context,
            context.store.update_rule(
                new_rule, actor=context.principal, reason=reason, expected_version=expected_version
            ),
        )

    @strawberry.mutation(description="Remove a rule.")
    async def delete_rule(
        self, info: Info, id: str, reason: str, expected_version: int
    ) -> PolicySetInfo:
        context = info.context
        return await _committed(
            context,
            context.store.delete_rule(
                id, actor=context.principal, reason=reason, expected_version=expected_version
            ),
        )

    @strawberry.mutation(description="Restore a stored version's rules as a new version.")
    async def rollback(
        self, info: Info, to_version: int, reason: str, expected_version: int
    ) -> PolicySetInfo:
        context = info.context
        return await _committed(
            context,
            context.store.rollback(
                to_version,
                actor=context.principal,
                reason=reason,
                expected_version=expected_version,
            ),
        )

    @strawberry.mutation(description="Replace every rule at once: all or nothing.")
    async def import_rules(
        self, info: Info, rules: list[RuleInput], reason: str, expected_version: int
    ) -> PolicySetInfo:
        new_rules: list[Rule] = read_rules(rules, _api_schema(info.context))
        context = info.context
        return await _committed(
            context,
            context.store.replace_all(
                new_rules, actor=context.principal, reason=reason, expected_version=expected_version
            ),
        )


class AdminSchema(strawberry.Schema):
    """Logs only unexpected errors: a refused edit is an answer, not a fault."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [error for error in errors if is_unexpected(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_admin_schema() -> strawberry.Schema:
    """The admin schema; execute it with an `AdminContext` as the context."""
    return AdminSchema(
        query=Query, mutation=Mutation, extensions=[RequireAdmin, RequireOperationName, AdminErrors]
    )
