"""Shape the merged fetch results to the client's operation, in one pass.

The merged data holds what the subgraphs returned, keyed by response key, plus whatever the
planner added (keys, `__typename`, `@requires` inputs, internal aliases). Shaping walks the
client's operation over it with the API schema's types: fragments apply by runtime type,
fields come out under their response keys in query order, `@skip`/`@include` are honoured,
`__typename` is the concrete type, enum values are checked, missing fields become null, and
a null in a non-null position nulls the nearest nullable ancestor, with one error per such
path unless an earlier error already explains it. Anything the operation did not select
is left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)

from gateway.executor.errors import ErrorCode, GraphQLErrorDict, Path, gateway_error
from gateway.executor.schema_index import SchemaIndex

# How a collected field is completed; scalars (the most common) take the shortest path.
_SCALAR, _NON_NULL_SCALAR, _FIELD, _TYPENAME, _LOCAL = 0, 1, 2, 3, 4
_LOCAL_ROOT_FIELDS = frozenset({"__schema", "__type"})
_BUILT_IN_SCALARS: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "ID": (str, int),
    "Int": (int,),
    "Float": (float, int),
    "Boolean": (bool,),
}
"""The JSON types a built-in scalar accepts; custom scalars accept anything."""


class CollectedField(NamedTuple):
    """One response key of an object: the merged field nodes under it and their type."""

    key: str
    kind: int  # _SCALAR, _NON_NULL_SCALAR, _FIELD, _TYPENAME or _LOCAL (introspection)
    name: str
    field_type: GraphQLOutputType | None
    nodes: tuple[FieldNode, ...]
    subselections: tuple[SelectionSetNode, ...]
    accepts: tuple[type, ...] | None = None  # for a scalar: the JSON types it accepts


CollectedFields = tuple[CollectedField, ...]
FieldMemo = dict[tuple[str, tuple[int, ...]], CollectedFields]
"""Collected fields per (runtime type, selection sets by id). Valid for one document and one
set of `@skip`/`@include` variable values; the caller may keep it across requests."""


class Shaping:
    """One request's shaping: its variables, the errors so far, and where they point."""

    def __init__(
        self,
        index: SchemaIndex,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        errors: list[GraphQLErrorDict],
        covered: set[Path],
        memo: FieldMemo | None = None,
        local: Mapping[str, Any] | None = None,
    ) -> None:
        """`covered` holds the paths already explained by an error: a null at or below one
        of them adds no error of its own. `local` holds the root fields answered locally
        (introspection), by response key."""
        self._index = index
        self._fragments = fragments
        self._variables = variables
        self._errors = errors
        self._covered = covered
        self._memo: FieldMemo = {} if memo is None else memo
        self._local = local or {}

    def shape_root(
        self, root_type: GraphQLObjectType, selection_set: SelectionSetNode, data: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The `data` of the response; None when a null bubbled up to the root."""
        return self._object(root_type, (selection_set,), data, ())

    # --- values ----------------------------------------------------------------------------

    def _object(
        self,
        type_: GraphQLObjectType | GraphQLInterfaceType,
        selection_sets: tuple[SelectionSetNode, ...],
        value: dict[str, Any],
        path: Path,
    ) -> dict[str, Any] | None:
        out: dict[str, Any] = {}
        for field in self._collect(type_, selection_sets):
            kind = field.kind
            if kind == _SCALAR:
                item = value.get(field.key)
                if item is not None and field.accepts and not isinstance(item, field.accepts):
                    self._bad_scalar(field, item, (*path, field.key))
                    item = None
                out[field.key] = item
                continue
            if kind == _NON_NULL_SCALAR:
                item = value.get(field.key)
                if item is not None and field.accepts and not isinstance(item, field.accepts):
                    self._bad_scalar(field, item, (*path, field.key))
                    return None
                if item is None:
                    self._report(
                        (*path, field.key),
                        f"Cannot return null for non-nullable field {type_.name}.{field.name}.",
                    )
                    return None
                out[field.key] = item
                continue
            if kind == _TYPENAME:
                if not isinstance(type_, GraphQLObjectType):
                    self._report(
                        (*path, field.key),
                        f"The concrete type of this {type_.name} is unknown: its subgraph "
                        "only knows the interface.",
                    )
                    return None
                out[field.key] = type_.name
                continue
            if kind == _LOCAL:
                out[field.key] = self._local.get(field.key)
                continue
            field_type = field.field_type
            item = value.get(field.key)
            if isinstance(field_type, GraphQLNonNull):
                if item is None:
                    self._report(
                        (*path, field.key),
                        f"Cannot return null for non-nullable field {type_.name}.{field.name}.",
                    )
                    return None
                completed = self._value(field_type.of_type, field, item, (*path, field.key))
                if completed is None:
                    return None
            elif item is None:
                completed = None
            else:
                completed = self._value(field_type, field, item, (*path, field.key))  # type: ignore[arg-type]
            out[field.key] = completed
        return out

    def _value(
        self, type_: GraphQLOutputType, field: CollectedField, value: Any, path: Path
    ) -> Any:
        """Complete a non-null `value` of nullable `type_`; None means "null here" (an error
        has been recorded for it or below it)."""
        if isinstance(type_, GraphQLScalarType):
            accepts = _BUILT_IN_SCALARS.get(type_.name)
            if accepts is None or isinstance(value, accepts):
                return value  # passed through as the subgraph serialized it
            self._report(path, f"{type_.name} cannot represent value: {value!r}.")
            return None
        if isinstance(type_, GraphQLList):
            return self._list(type_, field, value, path)
        if isinstance(type_, GraphQLEnumType):
            if isinstance(value, str) and value in type_.values:
                return value
            self._report(path, f"Enum '{type_.name}' cannot represent value: {value!r}.")
            return None
        if not isinstance(value, dict):
            self._report(path, f"Expected an object for '{field.name}', got {value!r}.")
            return None
        if isinstance(type_, GraphQLObjectType):
            runtime: GraphQLObjectType | GraphQLInterfaceType = type_
        else:
            typename = value.get("__typename")
            found = self._index.runtime_type(type_.name, typename)  # type: ignore[union-attr]
            if found is None and isinstance(type_, GraphQLInterfaceType):
                if typename is None or typename == type_.name:
                    # An interface object's subgraph knows only the interface: shape the
                    # interface's own fields; a concrete `__typename` cannot be given.
                    return self._object(type_, field.subselections, value, path)
            if found is None:
                self._report(
                    path,
                    f"Could not determine the concrete type of '{field.name}' "
                    f"(abstract type {type_.name}, __typename {value.get('__typename')!r}).",  # type: ignore[union-attr]
                )
                return None
            runtime = found
        return self._object(runtime, field.subselections, value, path)

    def _list(self, type_: GraphQLList[Any], field: CollectedField, value: Any, path: Path) -> Any:
        if not isinstance(value, list):
            self._report(path, f"Expected a list for '{field.name}', got {value!r}.")
            return None
        item_type = type_.of_type
        non_null = isinstance(item_type, GraphQLNonNull)
        if non_null:
            item_type = item_type.of_type
        out: list[Any] = []
        for i, item in enumerate(value):
            if item is None:
                if non_null:
                    self._report(
                        (*path, i),
                        f"Cannot return null for non-nullable list item of '{field.name}'.",
                    )
                    return None
                out.append(None)
                continue
            completed = self._value(item_type, field, item, (*path, i))
            if completed is None and non_null:
                return None
            out.append(completed)
        return out

    # --- errors ------------------------------------------------------------------------------

    def _is_covered(self, path: Path) -> bool:
        covered = self._covered
        return any(path[:i] in covered for i in range(1, len(path) + 1))

    def _bad_scalar(self, field: CollectedField, value: Any, path: Path) -> None:
        named = field.field_type
        if isinstance(named, GraphQLNonNull):
            named = named.of_type
        self._report(path, f"{named} cannot represent value: {value!r}.")

    def _report(self, path: Path, message: str) -> None:
        """Record why `path` is null, unless an error at or above it already explains it."""
        if self._is_covered(path):
            return
        self._errors.append(gateway_error(ErrorCode.RESPONSE_VALIDATION_FAILED, message, path))
        self._covered.add(path)

    # --- field collection ----------------------------------------------------------------

    def _collect(
        self,
        type_: GraphQLObjectType | GraphQLInterfaceType,
        selection_sets: tuple[SelectionSetNode, ...],
    ) -> CollectedFields:
        memo_key = (type_.name, tuple(map(id, selection_sets)))
        collected = self._memo.get(memo_key)
        if collected is None:
            grouped: dict[str, list[FieldNode]] = {}
            for selection_set in selection_sets:
                self._collect_into(type_, selection_set, grouped)
            collected = tuple(self._describe(type_, key, nodes) for key, nodes in grouped.items())
            self._memo[memo_key] = collected
        return collected

    def _describe(
        self, type_: GraphQLObjectType | GraphQLInterfaceType, key: str, nodes: list[FieldNode]
    ) -> CollectedField:
        name = nodes[0].name.value
        subselections = tuple(n.selection_set for n in nodes if n.selection_set is not None)
        if name == "__typename":
            kind, field_type = _TYPENAME, None
        elif name in _LOCAL_ROOT_FIELDS and type_ is self._index.schema.query_type:
            kind, field_type = _LOCAL, None
        else:
            field_type = type_.fields[name].type
            if isinstance(field_type, GraphQLScalarType):
                kind = _SCALAR
            elif isinstance(field_type, GraphQLNonNull) and isinstance(
                field_type.of_type, GraphQLScalarType
            ):
                kind = _NON_NULL_SCALAR
            else:
                kind = _FIELD
        accepts = None
        if kind in (_SCALAR, _NON_NULL_SCALAR):
            named = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
            accepts = _BUILT_IN_SCALARS.get(named.name)  # type: ignore[union-attr]
        return CollectedField(key, kind, name, field_type, tuple(nodes), subselections, accepts)

    def _collect_into(
        self,
        type_: GraphQLObjectType | GraphQLInterfaceType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
    ) -> None:
        for selection in selection_set.selections:
            if selection.directives and not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._index.matches(condition.name.value, type_.name):
                    self._collect_into(type_, selection.selection_set, grouped)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragments[selection.name.value]
                if self._index.matches(fragment.type_condition.name.value, type_.name):
                    self._collect_into(type_, fragment.selection_set, grouped)

    def _included(self, selection: SelectionNode) -> bool:
        for directive in selection.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            arguments = directive.arguments or ()
            condition = next((a.value for a in arguments if a.name.value == "if"), None)
            if isinstance(condition, VariableNode):
                flag = self._variables.get(condition.name.value) is True
            else:
                flag = isinstance(condition, BooleanValueNode) and condition.value
            if flag == (name == "skip"):
                return False
        return True


def condition_variables(
    selection_sets: list[SelectionSetNode],
) -> tuple[str, ...]:
    """The variables that `@skip`/`@include` read anywhere under `selection_sets`: field
    collection depends on nothing else, so their values key the cross-request `FieldMemo`."""
    names: set[str] = set()
    stack = list(selection_sets)
    while stack:
        for selection in stack.pop().selections:
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    names.update(
                        a.value.name.value
                        for a in directive.arguments or ()
                        if isinstance(a.value, VariableNode)
                    )
            child = getattr(selection, "selection_set", None)
            if child is not None:
                stack.append(child)
    return tuple(sorted(names))
