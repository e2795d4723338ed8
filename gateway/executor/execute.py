"""Run a query plan against the subgraphs and answer with a shaped GraphQL response.

One mutable `data` dict is filled step by step: `Sequence` awaits its nodes in order,
`Parallel` runs them concurrently (their branches write disjoint fields), `Condition` reads
a boolean variable, `Flatten` runs its fetch at every object under a path. A fetch that
fails leaves its fields missing; fetches that need those fields find nothing to represent
and are skipped, so a failing or slow subgraph yields partial data and errors, never an
exception.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
)

from gateway.executor.errors import (
    ErrorCode,
    GraphQLErrorDict,
    Path,
    cut_before_list,
    gateway_error,
    passthrough,
    subgraph_path,
    trim_path,
)
from gateway.executor.fetch import SubgraphClient, SubgraphResponse
from gateway.executor.http import encode_headers
from gateway.executor.introspection import answer_introspection, introspection_fields
from gateway.executor.merge import deep_merge
from gateway.executor.representations import (
    Position,
    Projection,
    build_entities,
    compile_requires,
    objects_at,
    path_of,
)
from gateway.executor.rewrites import apply_rewrites
from gateway.executor.schema_index import EntityKeys, SchemaIndex, entity_keys
from gateway.executor.shape import FieldMemo, Shaping, condition_variables
from gateway.planner.plan import Condition, Fetch, Flatten, Parallel, PlanNode, QueryPlan, Sequence
from policies.principal import ANONYMOUS, Principal

if TYPE_CHECKING:
    from gateway.supergraph import Supergraph

_MAX_CACHED_DOCUMENTS = 1000
_MAX_CACHED_PROJECTIONS = 10_000


class Executor:
    """Runs query plans for one API schema and one set of subgraphs.

    `passthrough` turns a subgraph error into the client's error, marked as the subgraph's
    (`errors.SubgraphError`): one run may serve several views (subscriptions share it), so
    masking per caller happens after the run, in `gateway.enforcement`.
    """

    def __init__(
        self,
        api_schema: GraphQLSchema,
        subgraph_urls: Mapping[str, str],
        *,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        entity_keys: EntityKeys | None = None,
        signing_secret: bytes | None = None,
    ) -> None:
        """`entity_keys` (see `for_supergraph`) lets the executor skip entities whose key
        field is null; without it only missing fields and nulls the API schema forbids
        make an entity unrepresentable. With `signing_secret`, every subgraph call is
        signed for the request's principal."""
        self.api_schema = api_schema
        self.index = SchemaIndex(api_schema, entity_keys)
        self.timeout = timeout
        self.passthrough = passthrough
        self._clients = {
            name: SubgraphClient(
                name, url, timeout=timeout, headers=headers, signing_secret=signing_secret
            )
            for name, url in subgraph_urls.items()
        }
        self._documents: dict[int, _DocumentInfo] = {}
        self._projections: dict[int, tuple[Fetch, Projection]] = {}

    @classmethod
    def for_supergraph(
        cls,
        supergraph: Supergraph,
        *,
        timeout: float = 10.0,
        headers: Mapping[str, str] | None = None,
        subgraph_urls: Mapping[str, str] | None = None,
        signing_secret: bytes | None = None,
        api_schema: GraphQLSchema | None = None,
    ) -> Executor:
        """An executor for a loaded supergraph: its API schema (or `api_schema`), subgraph
        URLs (each one replaceable through `subgraph_urls`) and keys."""
        return cls(
            api_schema or supergraph.api_schema,
            {**supergraph.subgraph_urls, **(subgraph_urls or {})},
            timeout=timeout,
            headers=headers,
            entity_keys=entity_keys(supergraph.join),
            signing_secret=signing_secret,
        )

    async def execute(
        self,
        plan: QueryPlan,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        principal: Principal = ANONYMOUS,
    ) -> dict[str, Any]:
        """Run `plan` for the (validated) operation and return `{"data": ...}`, with
        `"errors"` only when there are some. `headers` are added to this request's subgraph
        calls; a name or value that could split an HTTP request raises `ValueError` before
        anything is sent. Subgraph calls are signed for `principal` (see `signing_secret`)."""
        header_lines = encode_headers(headers) if headers else b""
        info = self._document_info(document)
        operation = info.operation(operation_name)
        root_type = (
            None if operation is None else self.api_schema.get_root_type(operation.operation)
        )
        if operation is None or root_type is None:
            message = (
                f"The document has no operation named {operation_name!r}."
                if operation is None
                else f"This graph does not support {operation.operation.value} operations."
            )
            return {"errors": [gateway_error(ErrorCode.UNKNOWN_OPERATION, message)]}
        run = _PlanRun(self, operation, info.fragments, variables, header_lines, principal)
        if plan.node is not None:
            await run.node(plan.node)
        local: dict[str, Any] = {}
        introspection = info.introspection(operation)
        if introspection:
            local, local_errors = answer_introspection(
                self.api_schema, operation, introspection, info.fragments, variables
            )
            run.errors.extend(local_errors)
        shaping = Shaping(
            self.index,
            info.fragments,
            variables,
            run.errors,
            run.covered,
            memo=info.memo(operation, variables),
            local=local,
        )
        data = shaping.shape_root(root_type, operation.selection_set, run.data)
        response: dict[str, Any] = {"data": data}
        if run.errors:
            response["errors"] = run.errors
        return response

    def client(self, service: str) -> SubgraphClient | None:
        return self._clients.get(service)

    def projection(self, fetch: Fetch) -> Projection:
        """The fetch's `requires`, compiled once per plan fetch (plans are cached)."""
        cached = self._projections.get(id(fetch))
        if cached is not None and cached[0] is fetch:
            return cached[1]
        if len(self._projections) >= _MAX_CACHED_PROJECTIONS:
            self._projections.clear()
        projection = compile_requires(fetch.requires, self.index, fetch.service)
        self._projections[id(fetch)] = (fetch, projection)
        return projection

    async def aclose(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients.values()))

    def _document_info(self, document: DocumentNode) -> _DocumentInfo:
        info = self._documents.get(id(document))
        if info is None or info.ref() is not document:
            if len(self._documents) >= _MAX_CACHED_DOCUMENTS:
                self._documents.clear()
            info = _DocumentInfo.of(document)
            self._documents[id(document)] = info
        return info


@dataclass(slots=True)
class _DocumentInfo:
    """What the executor derives from a document once and reuses across its requests."""

    ref: weakref.ref[DocumentNode]
    operations: dict[str | None, OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]
    conditions: tuple[str, ...]
    memos: dict[tuple[str | None, tuple[bool, ...]], FieldMemo] = field(default_factory=dict)
    introspections: dict[int, list[FieldNode]] = field(default_factory=dict)

    @classmethod
    def of(cls, document: DocumentNode) -> _DocumentInfo:
        operations: dict[str | None, OperationDefinitionNode] = {}
        fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                operations[definition.name.value if definition.name else None] = definition
            elif isinstance(definition, FragmentDefinitionNode):
                fragments[definition.name.value] = definition
        sets = [d.selection_set for d in (*operations.values(), *fragments.values())]
        return cls(weakref.ref(document), operations, fragments, condition_variables(sets))

    def operation(self, name: str | None) -> OperationDefinitionNode | None:
        if name is None and len(self.operations) == 1:
            return next(iter(self.operations.values()))
        return self.operations.get(name)

    def introspection(self, operation: OperationDefinitionNode) -> list[FieldNode]:
        """The operation's root `__schema`/`__type` fields (usually none)."""
        found = self.introspections.get(id(operation))
        if found is None:
            found = introspection_fields(operation, self.fragments)
            self.introspections[id(operation)] = found
        return found

    def memo(self, operation: OperationDefinitionNode, variables: Mapping[str, Any]) -> FieldMemo:
        name = operation.name.value if operation.name else None
        key = (name, tuple(variables.get(v) is True for v in self.conditions))
        return self.memos.setdefault(key, {})


class _PlanRun:
    """One execution of a plan: the response data being filled and the errors so far."""

    def __init__(
        self,
        executor: Executor,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        header_lines: bytes,
        principal: Principal = ANONYMOUS,
    ) -> None:
        self.executor = executor
        self.principal = principal
        self.index = executor.index
        self.operation = operation
        self.fragments = fragments
        self.variables = variables
        self.header_lines = header_lines
        self.data: dict[str, Any] = {}
        self.errors: list[GraphQLErrorDict] = []
        self.covered: set[Path] = set()
        """Paths an error explains; shaping adds no error for a null at or below them."""

    async def node(self, node: PlanNode) -> None:
        match node:
            case Sequence():
                for child in node.nodes:
                    await self.node(child)
            case Parallel():
                async with asyncio.TaskGroup() as group:
                    for child in node.nodes:
                        group.create_task(self.node(child))
            case Condition():
                branch = node.if_clause if self.variables.get(node.variable) else node.else_clause
                if branch is not None:
                    await self.node(branch)
            case Flatten():
                await self.fetch(node.node, node.path)
            case Fetch():
                await self.fetch(node, ())

    async def fetch(self, fetch: Fetch, path: tuple[str, ...]) -> None:
        positions: list[Position] = (
            objects_at(self.data, path, self.index) if path else [(self.data, ())]
        )
        if not positions:
            return  # everything under `path` is null or missing: nothing to fetch for
        if fetch.requires:
            await self._entity_fetch(fetch, path, positions)
        else:
            await self._root_fetch(fetch, path, positions)

    async def _root_fetch(
        self, fetch: Fetch, path: tuple[str, ...], positions: list[Position]
    ) -> None:
        prefix = path_of(positions[0][1]) if len(positions) == 1 else cut_before_list(path)
        response = await self._send(fetch, self._forwarded_variables(fetch))
        if response.failure is not None:
            self._fail(response.failure, ())
        for error in response.errors:
            error_path = subgraph_path(error)
            at = prefix if error_path is None or len(positions) > 1 else (*prefix, *error_path)
            self._add(self.executor.passthrough(error, fetch.service, at), at)
        if response.data is None:
            self.covered.update((*prefix, key) for key in _top_level_keys(fetch.operation))
            return
        if fetch.output_rewrites:
            apply_rewrites(response.data, fetch.output_rewrites, self.index)
        for target, _ in positions:
            deep_merge(target, response.data, self.index)

    async def _entity_fetch(
        self, fetch: Fetch, path: tuple[str, ...], positions: list[Position]
    ) -> None:
        projection = self.executor.projection(fetch)
        entities = build_entities(positions, projection, fetch.input_rewrites, self.index)
        if not entities.representations:
            return
        variables = self._forwarded_variables(fetch)
        variables["representations"] = entities.representations
        response = await self._send(fetch, variables)
        at_flatten = cut_before_list(path)
        if response.failure is not None:
            self._fail(response.failure, (at_flatten,))
            return
        for error in response.errors:
            error_path = subgraph_path(error)
            if (
                error_path is not None
                and len(error_path) >= 2
                and error_path[0] == "_entities"
                and isinstance(error_path[1], int)
                and 0 <= error_path[1] < len(entities.positions)
            ):
                for _, entity_at in entities.positions[error_path[1]]:
                    at = (*path_of(entity_at), *error_path[2:])
                    self._add(self.executor.passthrough(error, fetch.service, at), at)
            else:
                self._add(self.executor.passthrough(error, fetch.service, at_flatten), at_flatten)
        if response.data is None:
            return
        results = response.data.get("_entities")
        if not isinstance(results, list) or len(results) != len(entities.representations):
            count = len(results) if isinstance(results, list) else "no"
            failure = gateway_error(
                ErrorCode.SUBGRAPH_BAD_RESPONSE,
                f"Subgraph '{fetch.service}' returned {count} entities for "
                f"{len(entities.representations)} representations; its fields are null.",
                service=fetch.service,
            )
            self._fail(failure, (at_flatten,))
            return
        for i, result in enumerate(results):
            if not isinstance(result, dict):
                continue  # a null entity keeps what earlier fetches found
            if fetch.output_rewrites:
                typename = entities.representations[i].get("__typename")
                apply_rewrites(result, fetch.output_rewrites, self.index, typename)
            for target, _ in entities.positions[i]:
                deep_merge(target, result, self.index)

    async def _send(self, fetch: Fetch, variables: dict[str, Any]) -> SubgraphResponse:
        client = self.executor.client(fetch.service)
        if client is None:
            return SubgraphResponse(
                failure=gateway_error(
                    ErrorCode.SUBGRAPH_UNAVAILABLE,
                    f"No URL is configured for subgraph '{fetch.service}'; "
                    "its fields are null. Check the gateway's subgraph configuration.",
                    service=fetch.service,
                )
            )
        return await client.fetch(
            fetch.operation,
            variables,
            fetch.operation_name,
            self.header_lines,
            idempotent=fetch.operation_kind == "query",
            principal=self.principal,
        )

    def _forwarded_variables(self, fetch: Fetch) -> dict[str, Any]:
        variables = self.variables
        return {name: variables[name] for name in fetch.variable_usages if name in variables}

    def _add(self, error: GraphQLErrorDict, path: Path) -> None:
        """Record `error` at `path` trimmed to the operation; that path is now explained."""
        trimmed = trim_path(path, self.operation.selection_set, self.fragments)
        if trimmed:
            error["path"] = list(trimmed)
        else:
            error.pop("path", None)
        self.covered.add(trimmed)
        self.errors.append(error)

    def _fail(self, error: GraphQLErrorDict, covers: Iterable[Path]) -> None:
        """Record a fetch that failed as a whole. Like Apollo, its error has no path (it is
        about the fetch, not one field); the paths it leaves null are explained by it."""
        error.pop("path", None)
        self.covered.update(covers)
        self.errors.append(error)


@lru_cache(maxsize=1024)
def _top_level_keys(operation: str) -> tuple[str, ...]:
    """The root response keys a subgraph operation selects (what a failed fetch leaves null)."""
    document = parse(operation)
    keys: list[str] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.operation in (
            OperationType.QUERY,
            OperationType.MUTATION,
        ):
            for selection in definition.selection_set.selections:
                if isinstance(selection, FieldNode):
                    keys.append(selection.alias.value if selection.alias else selection.name.value)
    return tuple(keys)
