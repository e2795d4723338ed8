"""The result pass: the executor's response, seen through the caller's view.

`finish_response` walks the client's *original* operation over the data the filtered
operation produced (PLANNER.md §6: shape with the original), object by object:

- a record whose type condition fails (or whose type is hidden) does not exist for the
  caller: it is dropped from lists and is `null` elsewhere, exactly as a missing record
  (a non-null position then gets the executor's usual "Cannot return null" error);
- a field hidden for the object's concrete type, failing its condition, or removed by the
  filter is `null` with a FORBIDDEN error at its path; masked fields get the mask value;
- a `null` in a non-null position nulls the nearest nullable parent, as the spec says;
- reserved aliases are never copied out; root `__schema`/`__type` are answered from the
  caller's own schema;
- the executor's errors are moved to the paths the caller sees (list indices shift when
  records are dropped); an error below a dropped record, a hidden field or a reserved alias
  is dropped, and a subgraph error with no path keeps its code but not its message;
- for a restricted view, every subgraph error is masked (`subgraph_errors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)

from gateway.enforcement.errors import forbidden_error
from gateway.enforcement.operation import EnforcedOperation, is_hidden
from gateway.enforcement.subgraph_errors import mask_all, masked, masks_subgraph_errors
from gateway.enforcement.view_schema import view_schema
from gateway.executor.errors import ErrorCode, SubgraphError, gateway_error
from gateway.executor.introspection import answer_introspection
from policies.conditions import evaluate
from policies.view import Access, PolicyView

Path = tuple[str | int, ...]
_GATEWAY_CODES = frozenset(str(code) for code in ErrorCode)
SUBGRAPH_ERROR_MESSAGE = "A subgraph reported an error."


class _Missing:
    """A record the caller may not see: dropped from lists, null elsewhere."""


_MISSING = _Missing()


def finish_response(
    prepared: EnforcedOperation,
    view: PolicyView,
    response: Mapping[str, Any],
    variables: Mapping[str, Any] | None,
    *,
    subgraph_errors: str = "mask",
) -> dict[str, Any]:
    """The response the caller may see (`data`, `errors`, other entries kept).
    `subgraph_errors` is the gateway's setting (`GatewayConfig.subgraph_errors`)."""
    masking = masks_subgraph_errors(view, subgraph_errors)
    if prepared.passthrough:
        same = dict(response)
        if masking and response.get("errors"):
            same["errors"] = mask_all(response["errors"], view)
        return same
    walk = _ResultPass(prepared, view, variables or {}, mask_subgraph_errors=masking)
    data = response.get("data")
    out: dict[str, Any] = {k: v for k, v in response.items() if k not in ("data", "errors")}
    if isinstance(data, Mapping):
        out["data"] = walk.root(data)
    elif "data" in response:
        out["data"] = None
        walk.null_root()
    errors = walk.errors + walk.moved(response.get("errors") or ())
    if errors:
        out["errors"] = errors
    return out


def record_visible(
    prepared: EnforcedOperation, view: PolicyView, response: Mapping[str, Any]
) -> bool:
    """For a single-entity payload (a subscription event): False when any root object in
    `response["data"]` is a record the caller may not see (its condition fails). A root
    record that is null (deleted, or its enrichment failed) cannot be checked: it counts as
    visible only where the view shows every record of its type (fail closed: that an event
    happened to a record is itself something the caller may not see)."""
    data = response.get("data")
    values = data if isinstance(data, Mapping) else {}
    walk = _ResultPass(prepared, view, {})
    root = prepared.api_schema.get_root_type(prepared.operation.operation)
    assert root is not None
    for key, nodes in walk.collect(root, [prepared.operation.selection_set]).items():
        name = nodes[0].name.value
        if name.startswith("__"):
            continue
        named = _unwrap(root.fields[name].type)
        value = values.get(key)
        if isinstance(value, Mapping):
            if walk.concrete(named, value) is None:
                return False
        elif not _every_record_visible(prepared.api_schema, view, named):
            return False
    return True


def _every_record_visible(schema: GraphQLSchema, view: PolicyView, named: Any) -> bool:
    if isinstance(named, GraphQLObjectType):
        types: Sequence[GraphQLObjectType] = [named]
    elif isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        types = schema.get_possible_types(named)
    else:
        return True  # a scalar or enum: no records
    return all(view.type(t.name).visible and view.type(t.name).condition is None for t in types)


def _unwrap(type_: GraphQLOutputType) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


class _ResultPass:
    def __init__(
        self,
        prepared: EnforcedOperation,
        view: PolicyView,
        variables: Mapping[str, Any],
        *,
        mask_subgraph_errors: bool = True,
    ) -> None:
        self.prepared = prepared
        self.mask_subgraph_errors = mask_subgraph_errors
        self.view = view
        self.schema = prepared.api_schema
        self.variables = variables
        self.errors: list[dict[str, Any]] = []
        self.moves: dict[Path, Path] = {}
        """Source path (in the executor's data) -> the caller's path, for visited positions."""
        self.gone: set[Path] = set()
        """Source paths whose value the caller must not see (dropped records, hidden fields)."""

    # --- data ------------------------------------------------------------------------------

    def root(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        operation = self.prepared.operation
        root_type = self.schema.get_root_type(operation.operation)
        assert root_type is not None
        local: dict[str, Any] = {}
        if self.prepared.introspection:
            local, errors = answer_introspection(
                view_schema(self.view, self.schema),
                operation,
                list(self.prepared.introspection),
                self.prepared.fragments,
                self.variables,
            )
            self.errors.extend(errors)
        return self.object(root_type, [operation.selection_set], data, (), (), local=local)

    def null_root(self) -> None:
        """The executor's data is null: errors may still point at the root fields the
        filtered operation kept (those the caller may see)."""
        operation = self.prepared.operation
        root_type = self.schema.get_root_type(operation.operation)
        assert root_type is not None
        for key, nodes in self.collect(root_type, [operation.selection_set]).items():
            name = nodes[0].name.value
            if not name.startswith("__") and not is_hidden(self.view, self.schema, root_type, name):
                self.moves[(key,)] = (key,)

    def object(
        self,
        type_: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        source: Mapping[str, Any],
        source_path: Path,
        path: Path,
        *,
        local: Mapping[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """The caller's object, or None when a non-null field of it is null (bubbling)."""
        record = self.record(source)
        out: dict[str, Any] = {}
        for key, nodes in self.collect(type_, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                out[key] = type_.name
                continue
            if local is not None and name in ("__schema", "__type"):
                out[key] = local.get(key)
                continue
            field_type = type_.fields[name].type
            decision = self.view.field(type_.name, name)
            shows = not decision.is_hidden and (
                decision.condition is None or evaluate(decision.condition, record, {})
            )
            value: Any
            if not shows or key not in source:
                self.errors.append(forbidden_error((*path, key)))
                self.gone.add((*source_path, key))
                value = None
            elif decision.access is Access.MASKED:
                value = decision.mask
                self.gone.add((*source_path, key))
            else:
                value = self.value(
                    field_type,
                    nodes,
                    source[key],
                    (*source_path, key),
                    (*path, key),
                    f"{type_.name}.{name}",
                )
            if value is _MISSING:
                value = None  # exactly what a record that does not exist gives
                if isinstance(field_type, GraphQLNonNull):
                    self.errors.append(missing_non_null((*path, key), f"{type_.name}.{name}"))
            if value is None and isinstance(field_type, GraphQLNonNull):
                return None
            out[key] = value
        return out

    def value(
        self,
        type_: GraphQLOutputType,
        nodes: list[FieldNode],
        value: Any,
        source_path: Path,
        path: Path,
        coordinate: str,
    ) -> Any:
        """The completed value; None for null (the caller checks non-null positions)."""
        self.moves[source_path] = path
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return self.list_value(type_, nodes, value, source_path, path, coordinate)
        named = _unwrap(type_)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return value
        if not isinstance(value, Mapping):
            return None
        concrete = self.concrete(named, value)
        if concrete is None:
            self.gone.add(source_path)
            return _MISSING
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        return self.object(concrete, sets, value, source_path, path)

    def list_value(
        self,
        type_: GraphQLList[Any],
        nodes: list[FieldNode],
        value: Any,
        source_path: Path,
        path: Path,
        coordinate: str,
    ) -> list[Any] | None:
        if not isinstance(value, list):
            return None
        item_type = type_.of_type
        out: list[Any] = []
        for i, item in enumerate(value):
            completed = self.value(
                item_type, nodes, item, (*source_path, i), (*path, len(out)), coordinate
            )
            if completed is _MISSING:
                continue  # a record the caller may not see is not in its lists
            if completed is None and isinstance(item_type, GraphQLNonNull):
                return None
            out.append(completed)
        return out

    def concrete(self, named: Any, value: Mapping[str, Any]) -> GraphQLObjectType | None:
        """The object's concrete type if the caller may see this record, else None."""
        if isinstance(named, GraphQLObjectType):
            concrete: Any = named
        else:
            typename = value.get(self.prepared.typename_key) or value.get("__typename")
            concrete = self.schema.get_type(typename) if isinstance(typename, str) else None
            if not isinstance(concrete, GraphQLObjectType):
                return None
        if not self.view.allows_record(concrete.name, self.record(value)):
            return None
        return concrete

    def record(self, source: Mapping[str, Any]) -> dict[str, Any]:
        """The fields conditions read, by schema name (from the reserved aliases)."""
        prefix = self.prepared.condition_key("")
        return {k[len(prefix) :]: v for k, v in source.items() if k.startswith(prefix)}

    # --- field collection ------------------------------------------------------------------

    def collect(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(type_, selection_set, fields, set())
        return fields

    def _collect(
        self,
        type_: GraphQLObjectType,
        selection_set: SelectionSetNode,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        fragments = self.prepared.fragments
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, type_):
                    self._collect(type_, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect(type_, fragment.selection_set, fields, visited)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        if condition == type_.name:
            return True
        named = self.schema.get_type(condition)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            return self.schema.is_sub_type(named, type_)
        return False

    def _included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            value: Any = None
            for argument in directive.arguments or ():
                if argument.name.value == "if":
                    node = argument.value
                    if isinstance(node, BooleanValueNode):
                        value = node.value
                    elif isinstance(node, VariableNode):
                        value = self.variables.get(node.name.value)
            if (name == "skip" and value is True) or (name == "include" and value is not True):
                return False
        return True

    # --- errors ----------------------------------------------------------------------------

    def moved(self, errors: Any) -> list[dict[str, Any]]:
        """The executor's errors at the caller's paths; see the module docstring."""
        out: list[dict[str, Any]] = []
        for error in errors:
            if not isinstance(error, Mapping):
                continue
            path = error.get("path")
            if not path:
                out.append(self._without_path(error))
                continue
            moved = self._move(tuple(path))
            if moved is None:
                continue
            if self.mask_subgraph_errors and isinstance(error, SubgraphError):
                out.append(masked(error, self.view, moved))
                continue
            copy = dict(error)
            copy["path"] = list(moved)
            out.append(copy)
        return out

    def _without_path(self, error: Mapping[str, Any]) -> dict[str, Any]:
        if self.mask_subgraph_errors and isinstance(error, SubgraphError):
            return masked(error, self.view)
        code = (error.get("extensions") or {}).get("code")
        if code in _GATEWAY_CODES:
            return dict(error)
        generic: dict[str, Any] = {"message": SUBGRAPH_ERROR_MESSAGE}
        if isinstance(code, str):
            generic["extensions"] = {"code": code}
        return generic

    def _move(self, path: Path) -> Path | None:
        prefix = self.prepared.prefix
        if any(isinstance(s, str) and s.startswith(prefix) for s in path):
            return None
        for end in range(1, len(path) + 1):
            if path[:end] in self.gone:
                return None
        for end in range(len(path), 0, -1):
            target = self.moves.get(path[:end])
            if target is not None:
                rest = path[end:]
                return (*target, *rest) if not any(isinstance(s, int) for s in rest) else target
        return None


def missing_non_null(path: Path, coordinate: str) -> dict[str, Any]:
    return gateway_error(
        ErrorCode.RESPONSE_VALIDATION_FAILED,
        f"Cannot return null for non-nullable field {coordinate}.",
        path,
    )
