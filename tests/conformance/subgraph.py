"""A strict fixture subgraph: executes requests against an SDL and fixture data.

It answers like any Fed 2 subgraph (`_service`, `_entities`), and it checks the gateway:

- a representation without `__typename`, for a type that is no entity here, or lacking
  every resolvable key -> `STRICT_BAD_REPRESENTATION` / `STRICT_MISSING_KEY` /
  `STRICT_NOT_RESOLVABLE`;
- a `@requires` field whose representation lacks a required field, or that is asked for
  outside `_entities` -> `STRICT_MISSING_REQUIRES`;
- an `@external` field that no `@provides` above it provides -> `STRICT_EXTERNAL_REQUESTED`.

Every violation is also kept in the recorder, so a test fails even if a gateway swallowed
the error. Every request is recorded (query, variables, representations), and mutation
root fields are recorded in call order.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
    execute_sync,
    get_named_type,
    get_operation_ast,
    parse,
    validate,
)

from .fixture import evaluate, same_value
from .subgraph_schema import FieldTree, Key, SubgraphSchema, missing_fields, tree_lookup

STRICT_CODES = (
    "STRICT_BAD_REPRESENTATION",
    "STRICT_MISSING_KEY",
    "STRICT_NOT_RESOLVABLE",
    "STRICT_MISSING_REQUIRES",
    "STRICT_EXTERNAL_REQUESTED",
    "STRICT_FIXTURE",
)


def strict_error(code: str, message: str) -> GraphQLError:
    assert code in STRICT_CODES, code
    return GraphQLError(message, extensions={"code": code})


@dataclass(slots=True)
class RequestRecord:
    seq: int
    service: str
    query: str
    variables: dict[str, Any]
    operation_name: str | None
    representations: list[Any] | None = None


@dataclass(slots=True)
class Recorder:
    """What the subgraphs of one corpus server saw, in arrival order across subgraphs."""

    requests: list[RequestRecord] = field(default_factory=list)
    mutation_calls: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    _counter: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, service: str, body: Mapping[str, Any]) -> RequestRecord:
        with self._lock:
            record = RequestRecord(
                seq=next(self._counter),
                service=service,
                query=str(body.get("query", "")),
                variables=dict(body.get("variables") or {}),
                operation_name=body.get("operationName"),
            )
            self.requests.append(record)
            return record

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()
            self.mutation_calls.clear()
            self.violations.clear()

    def entity_calls(self, service: str) -> int:
        return sum(
            1 for r in self.requests if r.service == service and r.representations is not None
        )

    def representation_count(self, service: str) -> int:
        return sum(len(r.representations or []) for r in self.requests if r.service == service)


class StrictSubgraph:
    """One subgraph: schema + fixture + the recorder it reports to."""

    def __init__(self, schema: SubgraphSchema, fixture: Mapping[str, Any], recorder: Recorder):
        self.name = schema.name
        self.subgraph = schema
        self.schema = schema.schema
        self.federation = schema.federation
        self.fixture = fixture
        self.entities: Mapping[str, list[Mapping[str, Any]]] = fixture.get("entities") or {}
        self.recorder = recorder
        self._current: RequestRecord | None = None

    # --- request ---------------------------------------------------------------------------

    def execute(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Run one GraphQL request (a JSON body) and return the JSON response body."""
        record = self.recorder.request(self.name, body)
        try:
            document = parse(str(body.get("query", "")))
        except GraphQLError as exc:
            return {"errors": [exc.formatted]}
        errors = validate(self.schema, document)
        if not errors:
            errors = self._check_externals(document, body.get("operationName"))
        if errors:
            return {"errors": [e.formatted for e in errors]}
        self._current = record
        try:
            result = execute_sync(
                self.schema,
                document,
                root_value={},
                variable_values=body.get("variables") or {},
                operation_name=body.get("operationName"),
                field_resolver=self._resolve,
                type_resolver=self._resolve_type,
            )
        finally:
            self._current = None
        for error in result.errors or ():
            code = (error.extensions or {}).get("code")
            if code in STRICT_CODES:
                self.recorder.violations.append(f"{self.name}: {error.message}")
        response: dict[str, Any] = {"data": result.data}
        if result.errors:
            response["errors"] = [e.formatted for e in result.errors]
        return response

    # --- the @external check ---------------------------------------------------------------

    def _check_externals(
        self, document: DocumentNode, operation_name: str | None
    ) -> list[GraphQLError]:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return []
        root = self.schema.get_root_type(operation.operation)
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        errors: list[GraphQLError] = []
        if root is not None:
            self._walk(operation.selection_set, root, None, fragments, errors)
        for error in errors:
            self.recorder.violations.append(f"{self.name}: {error.message}")
        return errors

    def _walk(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        provided: FieldTree | None,
        fragments: Mapping[str, FragmentDefinitionNode],
        errors: list[GraphQLError],
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._walk_field(selection, parent, provided, fragments, errors)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self._walk(selection.selection_set, target, provided, fragments, errors)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    self._walk(fragment.selection_set, target, provided, fragments, errors)

    def _walk_field(
        self,
        node: FieldNode,
        parent: GraphQLNamedType | None,
        provided: FieldTree | None,
        fragments: Mapping[str, FragmentDefinitionNode],
        errors: list[GraphQLError],
    ) -> None:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return
        field_def = parent.fields.get(name)
        if field_def is None:
            return
        coordinate = (parent.name, name)
        sub_provided = tree_lookup(provided, name) if provided is not None else None
        if (
            coordinate in self.federation.external
            and sub_provided is None
            and name not in self.federation.key_field_names(parent.name)
        ):
            errors.append(
                strict_error(
                    "STRICT_EXTERNAL_REQUESTED",
                    f"{parent.name}.{name} is @external in subgraph {self.name} and no "
                    "@provides above it provides it: the gateway must not request it here",
                )
            )
        if coordinate in self.federation.provides:
            sub_provided = {**(sub_provided or {}), **self.federation.provides[coordinate]}
        if node.selection_set is not None:
            target = get_named_type(field_def.type)
            self._walk(node.selection_set, target, sub_provided, fragments, errors)

    # --- resolution ------------------------------------------------------------------------

    def _resolve(self, source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        parent = info.parent_type
        name = info.field_name
        if parent is self.schema.query_type or parent is self.schema.mutation_type:
            return self._resolve_root(parent.name, name, args)
        if not isinstance(source, Mapping):
            raise strict_error(
                "STRICT_FIXTURE", f"fixture value for {parent.name} must be an object"
            )
        representation = source.get("__rep")
        required = self.federation.requires.get((parent.name, name))
        if required is not None:
            self._check_requires(parent.name, name, required, representation)
        if name in source:
            value = source[name]
        else:
            record = self._find_record([parent.name], source, resolvable_only=False)
            value = record.get(name) if record is not None else None
        return evaluate(value, args, representation or source)

    def _resolve_root(self, type_name: str, name: str, args: Mapping[str, Any]) -> Any:
        if name == "_service":
            return {"sdl": self.subgraph.sdl}
        if name == "_entities":
            return self._resolve_entities(args["representations"])
        mutation = self.schema.mutation_type
        if mutation is not None and type_name == mutation.name:
            self.recorder.mutation_calls.append(f"{self.name}.{name}")
        root = self.fixture.get(type_name) or {}
        return evaluate(root.get(name), args, {})

    def _check_requires(
        self, type_name: str, name: str, required: FieldTree, representation: Any
    ) -> None:
        if representation is None:
            raise strict_error(
                "STRICT_MISSING_REQUIRES",
                f"{type_name}.{name} has @requires: it can only be resolved through _entities "
                "with the required fields in the representation",
            )
        missing = missing_fields(representation, required)
        if missing:
            raise strict_error(
                "STRICT_MISSING_REQUIRES",
                f"{type_name}.{name} @requires {', '.join(missing)}, absent from the "
                "representation",
            )

    def _resolve_type(
        self, value: Any, info: GraphQLResolveInfo, abstract_type: GraphQLAbstractType
    ) -> str:
        if isinstance(value, Mapping) and isinstance(value.get("__typename"), str):
            return str(value["__typename"])
        possible = self.schema.get_possible_types(abstract_type)
        if len(possible) == 1:
            return possible[0].name
        raise strict_error(
            "STRICT_FIXTURE",
            f"a fixture object of abstract type {abstract_type.name} needs __typename",
        )

    # --- _entities -------------------------------------------------------------------------

    def _resolve_entities(self, representations: list[Any]) -> list[Any]:
        if self._current is not None:
            self._current.representations = list(representations)
        results: list[Any] = []
        for representation in representations:
            try:
                results.append(self._resolve_entity(representation))
            except GraphQLError as error:
                results.append(error)
        return results

    def _resolve_entity(self, representation: Any) -> dict[str, Any] | None:
        if not isinstance(representation, Mapping) or not isinstance(
            representation.get("__typename"), str
        ):
            raise strict_error("STRICT_BAD_REPRESENTATION", "a representation needs __typename")
        typename = str(representation["__typename"])
        keys = self.federation.keys.get(typename)
        if not keys:
            raise strict_error(
                "STRICT_BAD_REPRESENTATION", f"{typename} is not an entity in subgraph {self.name}"
            )
        present = [k for k in keys if not missing_fields(representation, k.tree)]
        if not present:
            wanted = " | ".join(k.fields for k in keys)
            raise strict_error(
                "STRICT_MISSING_KEY",
                f"representation of {typename} lacks its key fields ({wanted}) in {self.name}",
            )
        if not any(k.resolvable for k in present):
            raise strict_error(
                "STRICT_NOT_RESOLVABLE",
                f"{typename} is not resolvable in {self.name} (@key resolvable: false)",
            )
        schema_type = self.schema.get_type(typename)
        candidates = (
            [t.name for t in self.schema.get_possible_types(schema_type)]
            if isinstance(schema_type, GraphQLInterfaceType)
            else [typename]
        )
        record = self._find_record(candidates, representation, resolvable_only=True, keys=present)
        if record is None:
            return None
        return {**record, "__rep": dict(representation)}

    def _find_record(
        self,
        type_names: list[str],
        value: Mapping[str, Any],
        *,
        resolvable_only: bool,
        keys: list[Key] | None = None,
    ) -> dict[str, Any] | None:
        """The first record of one of `type_names` whose key values equal `value`'s."""
        for type_name in type_names:
            type_keys = keys if keys is not None else self.federation.keys.get(type_name, [])
            usable = [k for k in type_keys if k.resolvable or not resolvable_only]
            for record in self.entities.get(type_name, []):
                if any(_key_equal(record, value, k.tree) for k in usable):
                    return {"__typename": type_name, **record}
        return None


def _key_equal(record: Mapping[str, Any], value: Mapping[str, Any], tree: FieldTree) -> bool:
    """True when `value` has every key field of `tree`, non-null and equal to the record's."""
    for name, subtree in tree.items():
        if name not in value or name not in record or value[name] is None:
            return False
        if subtree:
            inner, wanted = value[name], record[name]
            if not isinstance(inner, Mapping) or not isinstance(wanted, Mapping):
                return False
            if not _key_equal(wanted, inner, subtree):
                return False
        elif not same_value(record[name], value[name]):
            return False
    return True
