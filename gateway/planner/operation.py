"""Normalize a client operation into the planner's selection IR.

Named fragments are inlined; literal `@skip`/`@include` are evaluated; variable ones become
`conditions` on the fields they guard (a fragment's conditions are pushed into its fields);
fragments on the parent type are flattened, impossible ones dropped; fields with the same
response key and conditions are merged. `@defer` is ignored (planned as if absent).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLCompositeType,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    print_ast,
)
from graphql.language import Visitor, visit

from gateway.planner.errors import PlanningError


@dataclass(frozen=True, slots=True, order=True)
class Cond:
    """A variable condition: the guarded selection applies when `$variable == passes_if`
    (`@include(if: $v)` is `Cond("v", True)`, `@skip(if: $v)` is `Cond("v", False)`)."""

    variable: str
    passes_if: bool

    def __str__(self) -> str:
        directive = "include" if self.passes_if else "skip"
        return f"@{directive}(if: ${self.variable})"


Conds = tuple[Cond, ...]


def never(conditions: Conds) -> bool:
    """Whether the conditions can never all hold (`@skip(if: $v)` under `@include(if: $v)`)."""
    return len({c.variable for c in conditions}) < len(conditions)


@dataclass(frozen=True, slots=True)
class OpField:
    """A selected field. `arguments` is the printed argument list ("(id: $id)" or "")."""

    response_key: str
    name: str
    arguments: str = ""
    conditions: Conds = ()
    selections: tuple[OpSelection, ...] = ()
    variables: tuple[str, ...] = ()

    def with_conditions(self, extra: Conds) -> OpField:
        return OpField(
            self.response_key,
            self.name,
            self.arguments,
            _union(self.conditions, extra),
            self.selections,
            self.variables,
        )

    def __str__(self) -> str:
        head = self.name if self.response_key == self.name else f"{self.response_key}: {self.name}"
        conds = "".join(f" {c}" for c in self.conditions)
        body = f" {print_op(self.selections)}" if self.selections else ""
        return f"{head}{self.arguments}{conds}{body}"


@dataclass(frozen=True, slots=True)
class OpFragment:
    """An inline fragment on a type other than its parent (abstract parents only)."""

    type_condition: str
    selections: tuple[OpSelection, ...]

    def with_conditions(self, extra: Conds) -> OpFragment:
        return OpFragment(
            self.type_condition, tuple(s.with_conditions(extra) for s in self.selections)
        )

    def __str__(self) -> str:
        return f"... on {self.type_condition} {print_op(self.selections)}"


OpSelection = OpField | OpFragment


def print_op(selections: tuple[OpSelection, ...]) -> str:
    return "{ " + " ".join(str(s) for s in selections) + " }"


@dataclass(frozen=True, slots=True)
class NormalizedOperation:
    kind: str  # "query" | "mutation" | "subscription"
    name: str | None
    root_type: str
    selections: tuple[OpSelection, ...]
    variable_definitions: dict[str, str]  # name -> printed definition "$id: ID! = 1"

    def __str__(self) -> str:
        return f"{self.kind} {self.name or ''} {print_op(self.selections)}".replace("  ", " ")


def normalize(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> NormalizedOperation:
    """Normalize the operation `operation_name` of a document validated against `schema`."""
    operation = _select_operation(document, operation_name)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    if root is None:
        raise PlanningError(f"the schema has no {operation.operation.value} type")
    normalizer = _Normalizer(schema, fragments)
    selections = normalizer.selection_set(root, operation.selection_set, ())
    definitions = {
        v.variable.name.value: _print_variable(v) for v in operation.variable_definitions or ()
    }
    return NormalizedOperation(
        kind=operation.operation.value,
        name=operation.name.value if operation.name else None,
        root_type=root.name,
        selections=selections,
        variable_definitions=definitions,
    )


def _select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        if len(operations) != 1:
            raise PlanningError(
                "the document has several operations: give an operation name",
                code="GRAPHQL_VALIDATION_FAILED",
            )
        return operations[0]
    for operation in operations:
        if operation.name is not None and operation.name.value == name:
            return operation
    raise PlanningError(f"unknown operation named {name!r}", code="GRAPHQL_VALIDATION_FAILED")


def _print_variable(definition: VariableDefinitionNode) -> str:
    text = f"${definition.variable.name.value}: {print_ast(definition.type)}"
    if definition.default_value is not None:
        text += f" = {print_ast(definition.default_value)}"
    return text


class _Normalizer:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments

    def selection_set(
        self, parent: GraphQLCompositeType, node: SelectionSetNode, spreads: tuple[str, ...]
    ) -> tuple[OpSelection, ...]:
        out: list[OpSelection] = []
        for selection in node.selections:
            conditions = _conditions(selection.directives)
            if conditions is None:
                continue
            if isinstance(selection, FieldNode):
                out.append(self.field(parent, selection, conditions, spreads))
                continue
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in spreads:
                    raise _invalid(f"fragment {name} spreads itself")
                fragment = self.fragments.get(name)
                if fragment is None:
                    raise _invalid(f"unknown fragment {name}")
                type_name: str | None = fragment.type_condition.name.value
                body, inner_spreads = fragment.selection_set, (*spreads, name)
            else:
                assert isinstance(selection, InlineFragmentNode)
                type_name = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                body, inner_spreads = selection.selection_set, spreads
            out.extend(self.fragment(parent, type_name, body, conditions, inner_spreads))
        return merge_selections(out)

    def field(
        self,
        parent: GraphQLCompositeType,
        node: FieldNode,
        conditions: Conds,
        spreads: tuple[str, ...],
    ) -> OpField:
        name = node.name.value
        arguments = ""
        variables: tuple[str, ...] = ()
        if node.arguments:
            arguments = "(" + ", ".join(print_ast(a) for a in node.arguments) + ")"
            variables = _variables(node)
        selections: tuple[OpSelection, ...] = ()
        if not name.startswith("__"):
            # The document should be validated already; refuse clearly if it is not.
            field_def = getattr(parent, "fields", {}).get(name)
            if field_def is None:
                raise _invalid(f"{parent.name} has no field {name!r}")
            child = get_named_type(field_def.type)
            if is_composite_type(child) != (node.selection_set is not None):
                raise _invalid(f"{parent.name}.{name}: selection set does not match its type")
            if node.selection_set is not None:
                selections = self.selection_set(child, node.selection_set, spreads)
        # Introspection (__schema/__type) is answered by the executor: no selections kept.
        return OpField(
            response_key=node.alias.value if node.alias else name,
            name=name,
            arguments=arguments,
            conditions=conditions,
            selections=selections,
            variables=variables,
        )

    def fragment(
        self,
        parent: GraphQLCompositeType,
        type_name: str | None,
        body: SelectionSetNode,
        conditions: Conds,
        spreads: tuple[str, ...],
    ) -> list[OpSelection]:
        target: GraphQLNamedType = parent
        if type_name is not None:
            found = self.schema.get_type(type_name)
            if found is None:
                raise _invalid(f"unknown type {type_name} in a fragment")
            target = found
        if not self._overlaps(parent, target):
            return []
        # A fragment whose condition the parent always satisfies adds nothing: flatten it.
        if target is parent or not is_abstract_type(parent):
            children = self.selection_set(parent, body, spreads)
            return [c.with_conditions(conditions) for c in children]
        children = self.selection_set(target, body, spreads)  # type: ignore[arg-type]
        return [OpFragment(target.name, tuple(c.with_conditions(conditions) for c in children))]

    def _possible(self, type_: GraphQLNamedType) -> set[str]:
        if isinstance(type_, GraphQLAbstractType):
            return {t.name for t in self.schema.get_possible_types(type_)}
        return {type_.name}

    def _overlaps(self, a: GraphQLNamedType, b: GraphQLNamedType) -> bool:
        return bool(self._possible(a) & self._possible(b))


def _invalid(message: str) -> PlanningError:
    return PlanningError(
        f"the operation is not valid for the schema ({message}): validate it before planning",
        code="GRAPHQL_VALIDATION_FAILED",
    )


def _conditions(directives: tuple[DirectiveNode, ...] | None) -> Conds | None:
    """The variable conditions of a selection, or None when a literal excludes it."""
    found: list[Cond] = []
    for directive in directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        passes_if = name == "include"
        for argument in directive.arguments or ():
            if argument.name.value != "if":
                continue
            value = argument.value
            if isinstance(value, BooleanValueNode):
                if value.value != passes_if:
                    return None
            elif isinstance(value, VariableNode):
                found.append(Cond(value.name.value, passes_if))
    return tuple(sorted(set(found)))


def _variables(node: FieldNode) -> tuple[str, ...]:
    names: list[str] = []

    class Collect(Visitor):
        def enter_variable(self, variable: VariableNode, *_: object) -> None:
            if variable.name.value not in names:
                names.append(variable.name.value)

    for argument in node.arguments or ():
        visit(argument, Collect())
    return tuple(names)


def _union(a: Conds, b: Conds) -> Conds:
    if not b:
        return a
    return tuple(sorted(set(a) | set(b)))


def merge_selections(selections: list[OpSelection]) -> tuple[OpSelection, ...]:
    """Merge fields with the same response key and conditions, and fragments on the same
    type, keeping first-seen order."""
    merged: dict[tuple[object, ...], OpSelection] = {}
    for selection in selections:
        if isinstance(selection, OpField):
            key: tuple[object, ...] = ("f", selection.response_key, selection.conditions)
            existing = merged.get(key)
            if isinstance(existing, OpField):
                selection = OpField(
                    existing.response_key,
                    existing.name,
                    existing.arguments,
                    existing.conditions,
                    merge_selections([*existing.selections, *selection.selections]),
                    existing.variables,
                )
        else:
            key = ("t", selection.type_condition)
            existing = merged.get(key)
            if isinstance(existing, OpFragment):
                selection = OpFragment(
                    existing.type_condition,
                    merge_selections([*existing.selections, *selection.selections]),
                )
        merged[key] = selection
    return tuple(merged.values())
