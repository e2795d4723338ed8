"""The operation filter: what the caller's view hides is never requested from a subgraph.

`prepare_operation` turns the client's (validated) document into the document the planner
plans and the executor runs:

- a field hidden for its parent type is removed (selected on an interface, it is removed
  when any visible implementation hides it); so are fragments on types the caller cannot
  see, and a field whose selection set is left empty; the root introspection fields are
  removed too (they are answered from the caller's own schema, see `result`);
- wherever an object of a type with conditions can appear, the fields the conditions read
  are added under reserved aliases (`__pg_c_partner: partner { id }`), and on abstract
  types `__pg_t: __typename`, so conditions can be evaluated per object after execution
  (the planner fetches them like any field, through entity jumps when needed);
- the reserved prefix is chosen per document so it never clashes with a client's keys.

Nothing about removed paths is stored: `result` walks the client's original operation with
the same view and finds them again, with concrete list indices. Prepared operations are
cached per (document, operation name, `view.plan_key`), as plans are.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    parse,
    print_ast,
)

from policies.view import Access, PolicyView

INTROSPECTION_ROOT_FIELDS = frozenset({"__schema", "__type"})
_CACHE_SIZE = 2048

Composite = GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType


@dataclass(frozen=True, eq=False)
class EnforcedOperation:
    """A client operation prepared for one view (shared by every caller with that view).

    `document` is what to plan and execute; `empty` means nothing in it needs a subgraph
    (everything selected is hidden, or only introspection is): do not execute, just call
    `finish_response` with `{"data": {}}`. `passthrough` means the view changes nothing for
    this operation, so the executor's response can be returned as is.
    """

    original: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    document: DocumentNode
    operation_name: str | None
    api_schema: GraphQLSchema
    prefix: str
    empty: bool
    passthrough: bool
    introspection: tuple[FieldNode, ...]

    @property
    def typename_key(self) -> str:
        return f"{self.prefix}t"

    def condition_key(self, field_name: str) -> str:
        return f"{self.prefix}c_{field_name}"


class OperationNotFound(LookupError):
    """The document has no operation by that name (the pipeline checks this first)."""


def prepare_operation(
    document: DocumentNode,
    operation_name: str | None,
    view: PolicyView,
    api_schema: GraphQLSchema,
) -> EnforcedOperation:
    """The filtered operation for `view` (cached); `document` must be valid for `api_schema`."""
    return _cache.get(document, operation_name, view, api_schema)


def is_hidden(view: PolicyView, schema: GraphQLSchema, parent: Composite, field_name: str) -> bool:
    """Whether a field selected on `parent` is removed from the operation."""
    if field_name == "__typename":
        return False
    if not view.type(parent.name).visible or view.field(parent.name, field_name).is_hidden:
        return True
    if isinstance(parent, GraphQLInterfaceType):
        for implementation in schema.get_possible_types(parent):
            if (
                view.type(implementation.name).visible
                and view.field(implementation.name, field_name).is_hidden
            ):
                return True
    return False


def type_visible(view: PolicyView, schema: GraphQLSchema, named: GraphQLNamedType) -> bool:
    if isinstance(named, GraphQLObjectType):
        return view.type(named.name).visible
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        return any(view.type(t.name).visible for t in schema.get_possible_types(named))
    return True


def choose_prefix(document: DocumentNode) -> str:
    """`__pg_`, or `__pg1_`, `__pg2_`... if a client key already starts with it."""
    keys: set[str] = set()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            _response_keys(definition.selection_set, keys)
    candidates = (f"__pg{n or ''}_" for n in range(len(keys) + 1))
    return next(p for p in candidates if not any(k.startswith(p) for k in keys))


def _response_keys(selection_set: SelectionSetNode, keys: set[str]) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            keys.add(selection.alias.value if selection.alias else selection.name.value)
        if getattr(selection, "selection_set", None) is not None:
            _response_keys(selection.selection_set, keys)  # type: ignore[attr-defined]


class _Filter:
    def __init__(
        self,
        view: PolicyView,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        prefix: str,
    ) -> None:
        self.view = view
        self.schema = schema
        self.fragments = fragments
        self.prefix = prefix
        self.changed = False
        self.filtered_fragments: dict[str, FragmentDefinitionNode | None] = {}

    def selection_set(
        self, parent: Composite, selection_set: SelectionSetNode, *, root: bool = False
    ) -> SelectionSetNode | None:
        """The filtered selection set, or None when nothing the client selected is left."""
        kept: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = self.field(parent, selection, root=root)
                if field is not None:
                    kept.append(field)
            elif isinstance(selection, InlineFragmentNode):
                fragment = self.inline_fragment(parent, selection)
                if fragment is not None:
                    kept.append(fragment)
            elif isinstance(selection, FragmentSpreadNode):
                if self.fragment(selection.name.value) is not None:
                    kept.append(selection)
                else:
                    self.changed = True
        if not kept:
            return None
        kept.extend(self.reserved(parent))
        return SelectionSetNode(selections=tuple(kept))

    def field(self, parent: Composite, node: FieldNode, *, root: bool) -> FieldNode | None:
        name = node.name.value
        if name == "__typename":
            return node
        if root and name in INTROSPECTION_ROOT_FIELDS:
            self.changed = True
            return None
        if isinstance(parent, GraphQLUnionType) or is_hidden(self.view, self.schema, parent, name):
            self.changed = True
            return None
        decision = self.view.field(parent.name, name)
        if decision.access is not Access.VISIBLE:
            self.changed = True  # masked or conditional: the result pass must look
        if node.selection_set is None:
            return node
        returns = get_named_type(parent.fields[name].type)
        assert isinstance(returns, Composite)
        selection_set = self.selection_set(returns, node.selection_set)
        if selection_set is None:
            self.changed = True
            return None
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=node.arguments or (),
            directives=node.directives or (),
            selection_set=selection_set,
        )

    def inline_fragment(
        self, parent: Composite, node: InlineFragmentNode
    ) -> InlineFragmentNode | None:
        target: GraphQLNamedType = parent
        if node.type_condition is not None:
            named = self.schema.get_type(node.type_condition.name.value)
            assert named is not None
            target = named
        if not type_visible(self.view, self.schema, target):
            self.changed = True
            return None
        assert isinstance(target, Composite)
        selection_set = self.selection_set(target, node.selection_set)
        if selection_set is None:
            self.changed = True
            return None
        return InlineFragmentNode(
            type_condition=node.type_condition,
            directives=node.directives or (),
            selection_set=selection_set,
        )

    def fragment(self, name: str) -> FragmentDefinitionNode | None:
        if name in self.filtered_fragments:
            return self.filtered_fragments[name]
        self.filtered_fragments[name] = None  # a cycle (invalid anyway) ends here
        definition = self.fragments[name]
        target = self.schema.get_type(definition.type_condition.name.value)
        result: FragmentDefinitionNode | None = None
        if target is not None and type_visible(self.view, self.schema, target):
            assert isinstance(target, Composite)
            selection_set = self.selection_set(target, definition.selection_set)
            if selection_set is not None:
                result = FragmentDefinitionNode(
                    name=definition.name,
                    type_condition=definition.type_condition,
                    variable_definitions=definition.variable_definitions,
                    directives=definition.directives or (),
                    selection_set=selection_set,
                )
        self.filtered_fragments[name] = result
        return result

    def reserved(self, parent: Composite) -> list[SelectionNode]:
        """Condition inputs (and the concrete type on abstract types) under reserved aliases."""
        if isinstance(parent, GraphQLObjectType):
            return self.condition_fields(parent)
        added: list[SelectionNode] = [_field("__typename", alias=f"{self.prefix}t")]
        for possible in self.schema.get_possible_types(parent):
            if not self.view.type(possible.name).visible:
                continue
            fields = self.condition_fields(possible)
            if fields:
                added.append(
                    InlineFragmentNode(
                        type_condition=NamedTypeNode(name=NameNode(value=possible.name)),
                        directives=(),
                        selection_set=SelectionSetNode(selections=tuple(fields)),
                    )
                )
        self.changed = True
        return added

    def condition_fields(self, parent: GraphQLObjectType) -> list[SelectionNode]:
        paths = self.view.record_fields(parent.name)
        if not paths:
            return []
        self.changed = True
        tree: dict[str, Any] = {}
        for path in sorted(paths):
            node = tree
            for segment in path.split("."):
                node = node.setdefault(segment, {})
        out: list[SelectionNode] = []
        for name, subtree in tree.items():
            field = _plain_field(parent, name, subtree)
            if field is not None:
                out.append(
                    FieldNode(
                        alias=NameNode(value=f"{self.prefix}c_{name}"),
                        name=field.name,
                        arguments=(),
                        directives=(),
                        selection_set=field.selection_set,
                    )
                )
        return out


def _field(
    name: str, *, alias: str | None = None, selection_set: SelectionSetNode | None = None
) -> FieldNode:
    return FieldNode(
        alias=NameNode(value=alias) if alias else None,
        name=NameNode(value=name),
        arguments=(),
        directives=(),
        selection_set=selection_set,
    )


def _plain_field(parent: GraphQLNamedType, name: str, subtree: dict[str, Any]) -> FieldNode | None:
    """`name { subtree }` on `parent`, or None when the schema cannot select it that way
    (the condition then reads nothing there: unknown, so it fails closed)."""
    if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return None
    definition = parent.fields.get(name)
    if definition is None or any(
        isinstance(arg.type, GraphQLNonNull) and arg.default_value is None
        for arg in definition.args.values()
    ):
        return None
    returns = get_named_type(definition.type)
    if not isinstance(returns, Composite):
        return _field(name) if not subtree else None
    children = [
        child
        for child_name, child_tree in subtree.items()
        if (child := _plain_field(returns, child_name, child_tree)) is not None
    ]
    if not children:
        children = [_field("__typename")]
    return _field(name, selection_set=SelectionSetNode(selections=tuple(children)))


def build_operation(
    document: DocumentNode,
    operation_name: str | None,
    view: PolicyView,
    api_schema: GraphQLSchema,
) -> EnforcedOperation:
    """Filter without caching (see `prepare_operation`)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        raise OperationNotFound(operation_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = api_schema.get_root_type(operation.operation)
    assert root is not None
    prefix = choose_prefix(document)
    work = _Filter(view, api_schema, fragments, prefix)
    selection_set = work.selection_set(root, operation.selection_set, root=True)
    introspection = tuple(_root_introspection(operation.selection_set, fragments))
    empty = selection_set is None or all(
        isinstance(s, FieldNode) and s.name.value == "__typename" for s in selection_set.selections
    )
    if selection_set is None:
        selection_set = SelectionSetNode(selections=(_field("__typename", alias=f"{prefix}t"),))
    filtered = OperationDefinitionNode(
        operation=operation.operation,
        name=operation.name,
        variable_definitions=operation.variable_definitions or (),
        directives=operation.directives or (),
        selection_set=selection_set,
    )
    used = [f for f in work.filtered_fragments.values() if f is not None]
    passthrough = not work.changed and not introspection
    # Printed and parsed once, so the document carries its source text: the planner keys
    # its cache on that text (printing on every request would cost more than filtering).
    filtered_document = (
        document if passthrough else parse(print_ast(DocumentNode(definitions=(filtered, *used))))
    )
    return EnforcedOperation(
        original=document,
        operation=operation,
        fragments=fragments,
        document=filtered_document,
        operation_name=operation_name,
        api_schema=api_schema,
        prefix=prefix,
        empty=empty and not _selects_typename_only(operation, fragments),
        passthrough=passthrough,
        introspection=introspection,
    )


def _selects_typename_only(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    """`{ __typename }`: planned and answered by the executor, as without policies."""
    names: set[str] = set()
    _root_names(operation.selection_set, fragments, names)
    return names == {"__typename"}


def _root_names(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], out: set[str]
) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            out.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            _root_names(selection.selection_set, fragments, out)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            _root_names(fragments[selection.name.value].selection_set, fragments, out)


def _root_introspection(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    found: list[FieldNode] = []
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value in INTROSPECTION_ROOT_FIELDS:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _root_introspection(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            found += _root_introspection(fragments[selection.name.value].selection_set, fragments)
    return found


class _OperationCache:
    """LRU of prepared operations per (document identity, operation, plan key, schema)."""

    def __init__(self, maxsize: int = _CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[tuple[int, str | None, str, int], _Entry] = OrderedDict()

    def get(
        self,
        document: DocumentNode,
        operation_name: str | None,
        view: PolicyView,
        api_schema: GraphQLSchema,
    ) -> EnforcedOperation:
        key = (id(document), operation_name, view.plan_key, id(api_schema))
        entry = self._entries.get(key)
        if entry is not None and entry.document() is document and entry.schema() is api_schema:
            self._entries.move_to_end(key)
            return entry.prepared
        prepared = build_operation(document, operation_name, view, api_schema)
        self._entries[key] = _Entry(weakref.ref(document), weakref.ref(api_schema), prepared)
        if len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)
        return prepared

    def clear(self) -> None:
        self._entries.clear()


@dataclass(frozen=True, slots=True)
class _Entry:
    document: weakref.ref[DocumentNode]
    schema: weakref.ref[GraphQLSchema]
    prepared: EnforcedOperation


_cache = _OperationCache()


def clear_prepared_operations() -> None:
    """Drop every cached prepared operation (after a policy or supergraph change)."""
    _cache.clear()
