"""Merge normalized subgraphs into one supergraph model, with the Federation 2 merge rules.

- Output field types merge to the most general type (nullable if any subgraph says so; an
  interface over its implementation); argument and input field types to the most
  restrictive (non-null if any subgraph says so).
- Arguments and input object fields merge by intersection: one missing in some subgraph is
  dropped when optional, an error when required.
- Enums used only as output merge by union, only as input by intersection, as both must
  agree everywhere.
- Interfaces, union members, tags: union. `@inaccessible` anywhere wins.
- A field's type comes from the subgraphs that resolve it; `@external` copies must agree.
- `@override`: the overridden subgraph loses the field (kept as `usedOverridden` when its own
  keys or `@requires` use it); with a label both keep it, switched by the label. An override
  whose source does not resolve the field is ignored, with a hint.

Where the two npm composers differ, these rules follow Apollo's (@apollo/composition).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from graphql import (
    ConstDirectiveNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    TypeNode,
    parse_type,
    print_ast,
)

from gateway.composition.errors import CompositionError
from gateway.composition.subgraph import (
    Argument,
    ComposedDirective,
    EnumValue,
    Field,
    SubgraphSchema,
    TypeDef,
)

_T = TypeVar("_T")
_LABEL = re.compile(r"^([A-Za-z][A-Za-z0-9_\-:./]*|percent\((\d{1,2}(\.\d{1,8})?|100)\))$")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


@dataclass(slots=True)
class MergedField:
    name: str
    type: str
    description: str | None
    sources: dict[str, Field]  # graph -> the field as that subgraph defines it
    arguments: dict[str, Argument] = field(default_factory=dict)
    overridden: set[str] = field(default_factory=set)  # graphs the field moved away from
    used_overridden: set[str] = field(default_factory=set)  # ... still used by their keys
    labels: dict[str, str] = field(default_factory=dict)  # graph -> progressive override label
    interface_object_only: bool = False
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[str] = field(default_factory=list)  # printed passthrough directives
    types_differ: bool = False  # the resolving subgraphs disagree (nullability, subtypes)


@dataclass(slots=True)
class MergedInputField:
    argument: Argument
    sources: dict[str, Argument]

    @property
    def types_differ(self) -> bool:
        return len({a.type for a in self.sources.values()}) > 1


@dataclass(slots=True)
class MergedEnumValue:
    value: EnumValue
    graphs: list[str]


@dataclass(slots=True)
class MergedType:
    name: str
    kind: str
    description: str | None
    sources: dict[str, TypeDef]
    fields: dict[str, MergedField] = field(default_factory=dict)
    inputs: dict[str, MergedInputField] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, MergedEnumValue] = field(default_factory=dict)
    inaccessible: bool = False
    tags: list[str] = field(default_factory=list)
    directives: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MergedSupergraph:
    subgraphs: list[SubgraphSchema]
    types: dict[str, MergedType]
    composed: dict[str, ComposedDirective]
    hints: list[CompositionError] = field(default_factory=list)  # composed, but worth a look


def merge(subgraphs: Sequence[SubgraphSchema]) -> tuple[MergedSupergraph, list[CompositionError]]:
    merger = _Merger(list(subgraphs))
    return merger.run(), merger.errors


class _Merger:
    def __init__(self, subgraphs: list[SubgraphSchema]) -> None:
        self.subgraphs = subgraphs
        self.errors: list[CompositionError] = []
        self.hints: list[CompositionError] = []
        self.sources: dict[str, dict[str, TypeDef]] = {}
        for subgraph in subgraphs:
            for name, type_def in subgraph.types.items():
                self.sources.setdefault(name, {})[subgraph.name] = type_def
        self.supertypes = self._supertypes()
        self.repeatable = {
            name
            for subgraph in subgraphs
            for name, composed in subgraph.composed.items()
            if composed.definition.repeatable
        }

    def _directives(self, groups: Iterable[list[ConstDirectiveNode]]) -> list[str]:
        """Printed passthrough directives: a repeatable one from every subgraph, any other
        (`@deprecated`, ...) once, from the first subgraph that applies it."""
        printed: list[str] = []
        seen: set[str] = set()
        for group in groups:
            for directive in group:
                name = directive.name.value
                text = print_ast(directive)
                if text in printed or (name in seen and name not in self.repeatable):
                    continue
                seen.add(name)
                printed.append(text)
        return printed

    def hint(self, code: str, message: str, hint: str, type_name: str, field_name: str) -> None:
        self.hints.append(CompositionError(code, message, hint, None, type_name, field_name))

    def error(
        self,
        code: str,
        message: str,
        hint: str,
        type_name: str,
        field_name: str | None = None,
        subgraph: str | None = None,
    ) -> None:
        self.errors.append(CompositionError(code, message, hint, subgraph, type_name, field_name))

    def run(self) -> MergedSupergraph:
        usage = self._enum_usage()
        types: dict[str, MergedType] = {}
        for name, sources in self.sources.items():
            kinds = {_kind(t) for t in sources.values()}
            if len(kinds) > 1:
                detail = ", ".join(f"{_kind(t)} in {g!r}" for g, t in sources.items())
                self.error(
                    "TYPE_KIND_MISMATCH",
                    f"type {name} has different kinds across subgraphs ({detail})",
                    "use one kind (object, interface, ...) for a type in every subgraph",
                    name,
                )
                continue
            merged = MergedType(
                name=name,
                kind=kinds.pop(),
                description=_description([t.description for t in sources.values()]),
                sources=sources,
                inaccessible=any(t.inaccessible for t in sources.values()),
                tags=_union(t.tags for t in sources.values()),
                directives=self._directives(t.directives for t in sources.values()),
            )
            if merged.kind in ("object", "interface"):
                self._merge_fields(merged)
                merged.interfaces = _union(t.interfaces for t in sources.values())
            elif merged.kind == "input":
                self._merge_inputs(merged)
            elif merged.kind == "union":
                merged.members = _union(t.members for t in sources.values())
            elif merged.kind == "enum":
                self._merge_enum(merged, usage.get(name, set()))
            types[name] = merged
        self._add_interface_object_fields(types)
        composed: dict[str, ComposedDirective] = {}
        for subgraph in self.subgraphs:
            for name, directive in subgraph.composed.items():
                composed.setdefault(name, directive)
        return MergedSupergraph(self.subgraphs, types, composed, self.hints)

    def _supertypes(self) -> dict[str, set[str]]:
        """Named type -> the interfaces and unions it belongs to, in any subgraph."""
        result: dict[str, set[str]] = {}
        for sources in self.sources.values():
            for type_def in sources.values():
                for interface in type_def.interfaces:
                    result.setdefault(type_def.name, set()).add(interface)
                for member in type_def.members:
                    result.setdefault(member, set()).add(type_def.name)
        return result

    def _enum_usage(self) -> dict[str, set[str]]:
        usage: dict[str, set[str]] = {}
        for sources in self.sources.values():
            for type_def in sources.values():
                for field_def in type_def.fields.values():
                    usage.setdefault(_named(field_def.type), set()).add("output")
                    for argument in field_def.arguments.values():
                        usage.setdefault(_named(argument.type), set()).add("input")
                for argument in type_def.inputs.values():
                    usage.setdefault(_named(argument.type), set()).add("input")
        return usage

    def _merge_fields(self, merged: MergedType) -> None:
        names: list[str] = _union(list(t.fields) for t in merged.sources.values())
        for name in names:
            sources = {g: t.fields[name] for g, t in merged.sources.items() if name in t.fields}
            # The type comes from the subgraphs that resolve the field; `@external` copies
            # must then agree with it (checked below), as in Apollo's composer.
            typed = {g: f.type for g, f in sources.items() if not f.external}
            typed = typed or {g: f.type for g, f in sources.items()}
            field_type = self._merge_types(merged.name, name, typed, output=True)
            if field_type is None:
                continue
            merged_field = MergedField(
                name=name,
                type=field_type,
                description=_description([f.description for f in sources.values()]),
                sources=sources,
                inaccessible=any(f.inaccessible for f in sources.values()),
                tags=_union(f.tags for f in sources.values()),
                directives=self._directives(f.directives for f in sources.values()),
            )
            merged_field.types_differ = len(set(typed.values())) > 1
            merged_field.arguments = self._merge_arguments(
                merged.name, name, {g: f.arguments for g, f in sources.items()}
            )
            self._check_external_types(merged.name, merged_field)
            self._apply_override(merged, merged_field)
            merged.fields[name] = merged_field

    def _check_external_types(self, type_name: str, merged_field: MergedField) -> None:
        """An `@external` copy has the field's type, or a strict subtype of it when the
        resolving subgraphs themselves disagree."""
        merged_type = parse_type(merged_field.type)
        for graph, source in merged_field.sources.items():
            if not source.external or source.type == merged_field.type:
                continue
            general = _merge_type_nodes(merged_type, parse_type(source.type), True, self.supertypes)
            if (
                merged_field.types_differ
                and general is not None
                and print_ast(general) == merged_field.type
            ):
                continue
            self.error(
                "EXTERNAL_TYPE_MISMATCH",
                f"the @external copy in {graph!r} has type {source.type}, but the subgraphs "
                f"that resolve the field say {merged_field.type}",
                f"declare the @external field with type {merged_field.type}",
                type_name,
                merged_field.name,
                graph,
            )

    def _apply_override(self, merged: MergedType, merged_field: MergedField) -> None:
        """`@override(from:)`, as Apollo's composer applies it: ignored (a hint) when the
        source subgraph does not resolve the field; otherwise the source loses the field,
        unless its keys use it (`usedOverridden`) or a label makes the move progressive."""
        known = {s.name for s in self.subgraphs}
        for graph, source in list(merged_field.sources.items()):
            old = source.override
            if old is None or old == graph:
                continue
            label = source.override_label
            if label is not None and not _LABEL.match(label):
                self.error(
                    "OVERRIDE_LABEL_INVALID",
                    f"@override label {label!r} is invalid",
                    'use a name (letter first; letters, digits, _ - : . /) or "percent(x)" with '
                    "0 <= x <= 100",
                    merged.name,
                    merged_field.name,
                    graph,
                )
                continue
            previous = merged_field.sources.get(old)
            if old not in known or previous is None or previous.external:
                self.hint(
                    "OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                    f"{graph!r} overrides the field from {old!r}, which does not resolve it",
                    f"remove @override from {merged.name}.{merged_field.name} in {graph!r}",
                    merged.name,
                    merged_field.name,
                )
                continue
            if previous.override is not None:
                self.error(
                    "OVERRIDE_SOURCE_HAS_OVERRIDE",
                    f"{graph!r} overrides the field from {old!r}, which overrides it too",
                    "keep a single @override per field",
                    merged.name,
                    merged_field.name,
                    graph,
                )
                continue
            merged_field.overridden.add(old)
            if _uses_field(merged.sources[old], merged_field.name):
                merged_field.used_overridden.add(old)
            elif label is None:
                del merged_field.sources[old]
            if label is not None:
                merged_field.labels[graph] = label
                merged_field.labels[old] = label

    def _merge_arguments(
        self, type_name: str, field_name: str, per_graph: dict[str, dict[str, Argument]]
    ) -> dict[str, Argument]:
        result: dict[str, Argument] = {}
        for name in _union(list(a) for a in per_graph.values()):
            present = {g: args[name] for g, args in per_graph.items() if name in args}
            if len(present) < len(per_graph):
                if any(a.type.endswith("!") and a.default is None for a in present.values()):
                    missing = [g for g in per_graph if g not in present]
                    self.error(
                        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
                        f"argument {name!r} is required but missing in {', '.join(missing)}",
                        "add the argument in every subgraph that defines the field, or make it "
                        "optional",
                        type_name,
                        field_name,
                    )
                else:
                    self.hint(
                        "INCONSISTENT_ARGUMENT_PRESENCE",
                        f"optional argument {name!r} is left out of the supergraph: only "
                        f"{', '.join(present)} define it",
                        "add it to every subgraph that defines the field for clients to use it",
                        type_name,
                        field_name,
                    )
                continue
            merged = self._merge_input_value(type_name, field_name, name, present)
            if merged is not None:
                result[name] = merged
        return result

    def _merge_input_value(
        self, type_name: str, field_name: str, name: str, present: dict[str, Argument]
    ) -> Argument | None:
        where = f"{field_name}({name}:)" if field_name else name
        merged_type = self._merge_types(
            type_name, where, {g: a.type for g, a in present.items()}, output=False
        )
        if merged_type is None:
            return None
        defaults = {a.default for a in present.values() if a.default is not None}
        if len(defaults) > 1:
            self.error(
                "DEFAULT_VALUE_MISMATCH",
                f"{where} has different default values ({', '.join(sorted(defaults))})",
                "use the same default value in every subgraph",
                type_name,
                field_name or name,
            )
            return None
        first = next(iter(present.values()))
        return Argument(
            name=name,
            type=merged_type,
            description=_description([a.description for a in present.values()]),
            default=next(iter(defaults), None),
            inaccessible=any(a.inaccessible for a in present.values()),
            tags=_union(a.tags for a in present.values()),
            directives=first.directives,
        )

    def _merge_inputs(self, merged: MergedType) -> None:
        per_graph = {g: t.inputs for g, t in merged.sources.items()}
        for name in _union(list(f) for f in per_graph.values()):
            present = {g: inputs[name] for g, inputs in per_graph.items() if name in inputs}
            if len(present) < len(per_graph):
                if any(a.type.endswith("!") and a.default is None for a in present.values()):
                    missing = [g for g in per_graph if g not in present]
                    self.error(
                        "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH",
                        f"input field {name!r} is required but missing in {', '.join(missing)}",
                        "add the field to the input type in every subgraph, or make it optional",
                        merged.name,
                        name,
                    )
                else:
                    self.hint(
                        "INCONSISTENT_INPUT_OBJECT_FIELD",
                        f"optional input field {name!r} is left out of the supergraph: only "
                        f"{', '.join(present)} define it",
                        "add it to the input type in every subgraph for clients to use it",
                        merged.name,
                        name,
                    )
                continue
            argument = self._merge_input_value(merged.name, "", name, present)
            if argument is not None:
                merged.inputs[name] = MergedInputField(argument, present)
        if not merged.inputs and per_graph:
            self.error(
                "EMPTY_MERGED_INPUT_TYPE",
                f"input {merged.name} has no field common to every subgraph that defines it",
                "input types merge by intersection: share at least one field",
                merged.name,
            )

    def _merge_enum(self, merged: MergedType, usage: set[str]) -> None:
        graphs = list(merged.sources)
        names = _union(list(t.values) for t in merged.sources.values())
        for name in names:
            present = [g for g in graphs if name in merged.sources[g].values]
            if len(present) < len(graphs):
                if usage == {"input", "output"}:
                    missing = [g for g in graphs if g not in present]
                    self.error(
                        "ENUM_VALUE_MISMATCH",
                        f"enum value {name} is missing in {', '.join(missing)}, but the enum is "
                        "used both as an input and as an output",
                        "define the same values in every subgraph: a client could send or "
                        "receive a value a subgraph does not know",
                        merged.name,
                        name,
                    )
                    continue
                if usage == {"input"}:
                    self.hint(
                        "INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                        f"value {name} of input-only enum {merged.name} is left out of the "
                        f"supergraph: only {', '.join(present)} define it",
                        "add it in every subgraph that defines the enum for clients to send it",
                        merged.name,
                        name,
                    )
                    continue
            values = [merged.sources[g].values[name] for g in present]
            merged.values[name] = MergedEnumValue(
                EnumValue(
                    name=name,
                    description=_description([v.description for v in values]),
                    inaccessible=any(v.inaccessible for v in values),
                    tags=_union(v.tags for v in values),
                    directives=values[0].directives,
                ),
                present,
            )
        if not merged.values:
            self.error(
                "EMPTY_MERGED_ENUM_TYPE",
                f"enum {merged.name} has no value common to every subgraph that defines it",
                "an enum used as an input merges by intersection: share at least one value",
                merged.name,
            )

    def _add_interface_object_fields(self, types: dict[str, MergedType]) -> None:
        """Fields an `@interfaceObject` adds to an interface reach its implementations too."""
        for interface in types.values():
            object_graphs = [g for g, t in interface.sources.items() if t.interface_object]
            if interface.kind != "interface" or not object_graphs:
                continue
            for implementation in types.values():
                if interface.name not in implementation.interfaces:
                    continue
                for name, merged_field in interface.fields.items():
                    if name in implementation.fields:
                        continue
                    if not any(g in object_graphs for g in merged_field.sources):
                        continue
                    implementation.fields[name] = MergedField(
                        name=name,
                        type=merged_field.type,
                        description=merged_field.description,
                        sources={},
                        arguments=merged_field.arguments,
                        interface_object_only=True,
                        inaccessible=merged_field.inaccessible,
                        tags=list(merged_field.tags),
                        directives=list(merged_field.directives),
                    )

    def _merge_types(
        self, type_name: str, field_name: str, per_graph: dict[str, str], *, output: bool
    ) -> str | None:
        texts = list(per_graph.values())
        result: TypeNode | None = parse_type(texts[0])
        for text in texts[1:]:
            if result is None:
                break
            result = _merge_type_nodes(result, parse_type(text), output, self.supertypes)
        if result is None:
            detail = ", ".join(f"{t} in {g!r}" for g, t in per_graph.items())
            self.error(
                "FIELD_TYPE_MISMATCH",
                f"incompatible types ({detail})",
                "only nullability may differ (and, for output fields, an interface or union "
                "against one of its members); use the same type in every subgraph",
                type_name,
                field_name,
            )
            return None
        return print_ast(result)


def _merge_type_nodes(
    a: TypeNode, b: TypeNode, output: bool, supertypes: dict[str, set[str]]
) -> TypeNode | None:
    if isinstance(a, NonNullTypeNode) and isinstance(b, NonNullTypeNode):
        inner = _merge_type_nodes(a.type, b.type, output, supertypes)
        return _non_null(inner)
    if isinstance(a, NonNullTypeNode) or isinstance(b, NonNullTypeNode):
        stripped_a = a.type if isinstance(a, NonNullTypeNode) else a
        stripped_b = b.type if isinstance(b, NonNullTypeNode) else b
        inner = _merge_type_nodes(stripped_a, stripped_b, output, supertypes)
        if inner is None or output:
            return inner
        return _non_null(inner)
    if isinstance(a, ListTypeNode) and isinstance(b, ListTypeNode):
        inner = _merge_type_nodes(a.type, b.type, output, supertypes)
        return ListTypeNode(type=inner) if inner is not None else None
    if isinstance(a, NamedTypeNode) and isinstance(b, NamedTypeNode):
        if a.name.value == b.name.value:
            return a
        if output and a.name.value in supertypes.get(b.name.value, set()):
            return a
        if output and b.name.value in supertypes.get(a.name.value, set()):
            return b
    return None


def _non_null(inner: TypeNode | None) -> TypeNode | None:
    if inner is None or isinstance(inner, NonNullTypeNode):
        return inner
    assert isinstance(inner, NamedTypeNode | ListTypeNode)
    return NonNullTypeNode(type=inner)


def _kind(type_def: TypeDef) -> str:
    return "interface" if type_def.interface_object else type_def.kind


def _named(type_text: str) -> str:
    return type_text.strip("[]!")


def _uses_field(type_def: TypeDef, field_name: str) -> bool:
    """Whether the subgraph's keys or `@requires` on this type name the field."""
    texts = [k.fields for k in type_def.keys]
    texts += [f.requires for f in type_def.fields.values() if f.requires]
    return any(field_name in _NAME.findall(text) for text in texts)


def _description(candidates: list[str | None]) -> str | None:
    """The most common description; ties go to the first subgraph that has one."""
    found = [c for c in candidates if c]
    if not found:
        return None
    counts = Counter(found)
    best = max(counts.values())
    return next(c for c in found if counts[c] == best)


def _union(groups: Iterable[Iterable[_T]]) -> list[_T]:
    result: list[_T] = []
    for group in groups:
        for item in group:
            if item not in result:
                result.append(item)
    return result
