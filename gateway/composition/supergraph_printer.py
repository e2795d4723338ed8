"""Print a merged supergraph as a standard supergraph SDL (link v1.0 + join v0.5).

The text is assembled element by element, then parsed and printed again by graphql-core, so
the layout (block descriptions, indentation) is graphql-core's and the output is known to
parse. A field gets `@join__field` only where the planner needs it: when it is not in every
subgraph of its type, or one of its subgraphs adds something (external, requires, provides,
override, a different type).
"""

from __future__ import annotations

import re

from graphql import parse, print_ast
from graphql.language.print_string import print_string

from gateway.composition.merge import MergedField, MergedSupergraph, MergedType
from gateway.composition.subgraph import ROOT_KINDS, Argument, TypeDef

LINK = "https://specs.apollo.dev/link/v1.0"
JOIN = "https://specs.apollo.dev/join/v0.5"
TAG = "https://specs.apollo.dev/tag/v0.3"
INACCESSIBLE = "https://specs.apollo.dev/inaccessible/v0.2"

_JOIN_DEFINITIONS = '''
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__field(
  graph: join__Graph
  requires: join__FieldSet
  provides: join__FieldSet
  type: String
  external: Boolean
  override: String
  usedOverridden: Boolean
  overrideLabel: String
  contextArguments: [join__ContextArgument!]
) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}

directive @join__implements(
  graph: join__Graph!
  interface: String!
) repeatable on OBJECT | INTERFACE

directive @join__type(
  graph: join__Graph!
  key: join__FieldSet
  extension: Boolean! = false
  resolvable: Boolean! = true
  isInterfaceObject: Boolean! = false
) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet

scalar join__FieldValue

directive @link(
  url: String
  as: String
  for: link__Purpose
  import: [link__Import]
) repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  """`SECURITY` features provide metadata necessary to securely resolve fields."""
  SECURITY

  """`EXECUTION` features provide metadata necessary for operation execution."""
  EXECUTION
}
'''

_TAG_DEFINITION = (
    "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | "
    "UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | "
    "INPUT_FIELD_DEFINITION | SCHEMA"
)
_INACCESSIBLE_DEFINITION = (
    "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM | "
    "ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION"
)
_KEYWORDS = {
    "object": "type",
    "interface": "interface",
    "union": "union",
    "enum": "enum",
    "input": "input",
    "scalar": "scalar",
}


def graph_enum_names(subgraph_names: list[str]) -> dict[str, str]:
    """Subgraph name -> its `join__Graph` value (upper case, non-alphanumerics as `_`)."""
    result: dict[str, str] = {}
    for name in subgraph_names:
        value = re.sub(r"[^0-9A-Za-z_]", "_", name).upper()
        if value[0].isdigit():
            value = "_" + value
        base, n = value, 1
        while value in result.values():
            n += 1
            value = f"{base}_{n}"
        result[name] = value
    return result


def print_supergraph(merged: MergedSupergraph) -> str:
    return _Printer(merged).print()


class _Printer:
    def __init__(self, merged: MergedSupergraph) -> None:
        self.merged = merged
        self.enum = graph_enum_names(sorted(s.name for s in merged.subgraphs))
        self.uses_tag = False
        self.uses_inaccessible = False

    def print(self) -> str:
        types = [self.type(t) for t in self.merged.types.values()]
        graphs = "\n".join(
            f"  {self.enum[s.name]} @join__graph(name: {print_string(s.name)}, "
            f"url: {print_string(s.url)})"
            for s in sorted(self.merged.subgraphs, key=lambda s: self.enum[s.name])
        )
        parts = [self.schema(), _JOIN_DEFINITIONS]
        if self.uses_tag:
            parts.append(_TAG_DEFINITION)
        if self.uses_inaccessible:
            parts.append(_INACCESSIBLE_DEFINITION)
        parts.extend(print_ast(d.definition) for d in self.merged.composed.values())
        parts.append("enum join__Graph {\n" + graphs + "\n}")
        parts.extend(types)
        return print_ast(parse("\n\n".join(parts))) + "\n"

    def schema(self) -> str:
        links = [
            f"@link(url: {print_string(LINK)})",
            f"@link(url: {print_string(JOIN)}, for: EXECUTION)",
        ]
        if self.uses_tag:
            links.append(f"@link(url: {print_string(TAG)})")
        if self.uses_inaccessible:
            links.append(f"@link(url: {print_string(INACCESSIBLE)}, for: SECURITY)")
        by_url: dict[str, list[str]] = {}
        for directive in self.merged.composed.values():
            if directive.link_url:
                by_url.setdefault(directive.link_url, []).append("@" + directive.name)
        for url, imports in by_url.items():
            names = ", ".join(print_string(i) for i in imports)
            links.append(f"@link(url: {print_string(url)}, import: [{names}])")
        roots = "\n".join(
            f"  {kind}: {name}" for kind, name in ROOT_KINDS.items() if name in self.merged.types
        )
        return "schema " + " ".join(links) + " {\n" + roots + "\n}"

    def type(self, merged: MergedType) -> str:
        directives = self.join_types(merged) + self.common(merged.inaccessible, merged.tags)
        directives += merged.directives
        head = f"{_description(merged.description)}{_KEYWORDS[merged.kind]} {merged.name}"
        if merged.interfaces:
            head += " implements " + " & ".join(merged.interfaces)
        head += " " + " ".join(directives)
        if merged.kind in ("object", "interface"):
            body = [self.field(merged, f) for f in merged.fields.values()]
        elif merged.kind == "input":
            body = [
                self.input_value(f.argument, self.input_join(merged, f.sources, f.types_differ))
                for f in merged.inputs.values()
            ]
        elif merged.kind == "enum":
            body = [
                _description(v.value.description)
                + v.value.name
                + " "
                + " ".join(
                    [f"@join__enumValue(graph: {self.enum[g]})" for g in v.graphs]
                    + self.common(v.value.inaccessible, v.value.tags)
                    + [print_ast(d) for d in v.value.directives]
                )
                for v in merged.values.values()
            ]
        elif merged.kind == "union":
            return head + " = " + " | ".join(merged.members)
        else:
            return head
        return head + " {\n" + "\n".join("  " + line for line in body) + "\n}"

    def join_types(self, merged: MergedType) -> list[str]:
        result: list[str] = []
        for graph, source in self.sources(merged):
            flags = ""
            if source.interface_object:
                flags += ", isInterfaceObject: true"
            if source.extension:
                flags += ", extension: true"
            for key in source.keys:
                resolvable = "" if key.resolvable else ", resolvable: false"
                result.append(
                    f"@join__type(graph: {self.enum[graph]}, key: {print_string(key.fields)}"
                    f"{resolvable}{flags})"
                )
            if not source.keys:
                result.append(f"@join__type(graph: {self.enum[graph]}{flags})")
        for graph, source in self.sources(merged):
            for interface in source.interfaces:
                result.append(
                    f"@join__implements(graph: {self.enum[graph]}, "
                    f"interface: {print_string(interface)})"
                )
            for member in source.members:
                result.append(
                    f"@join__unionMember(graph: {self.enum[graph]}, member: {print_string(member)})"
                )
        return result

    def sources(self, merged: MergedType) -> list[tuple[str, TypeDef]]:
        """The type's subgraphs; `Query` is in every subgraph (each has `_entities`)."""
        result = list(merged.sources.items())
        if merged.name == "Query":
            for subgraph in self.merged.subgraphs:
                if subgraph.name not in merged.sources:
                    result.append((subgraph.name, TypeDef(name="Query", kind="object")))
        return sorted(result, key=lambda item: self.enum[item[0]])

    def field(self, merged: MergedType, merged_field: MergedField) -> str:
        joins = self.field_joins(merged, merged_field)
        arguments = ""
        if merged_field.arguments:
            arguments = (
                "("
                + ", ".join(self.input_value(a, []) for a in merged_field.arguments.values())
                + ")"
            )
        directives = joins + self.common(merged_field.inaccessible, merged_field.tags)
        directives += merged_field.directives
        return (
            f"{_description(merged_field.description)}{merged_field.name}{arguments}: "
            f"{merged_field.type} {' '.join(directives)}"
        ).rstrip()

    def field_joins(self, merged: MergedType, merged_field: MergedField) -> list[str]:
        if merged_field.interface_object_only:
            return ["@join__field"]
        type_graphs = {g for g, _ in self.sources(merged)}
        sources = merged_field.sources
        plain = (
            set(sources) == type_graphs
            and not merged_field.types_differ
            and not merged_field.used_overridden
            and not merged_field.labels
            and not any(f.external or f.requires or f.provides for f in sources.values())
        )
        if plain:
            return []
        result: list[str] = []
        for graph in sorted(sources, key=lambda g: self.enum[g]):
            source = sources[graph]
            args = [f"graph: {self.enum[graph]}"]
            if source.requires:
                args.append(f"requires: {print_string(source.requires)}")
            if source.provides:
                args.append(f"provides: {print_string(source.provides)}")
            if merged_field.types_differ:
                args.append(f"type: {print_string(source.type)}")
            if source.external:
                args.append("external: true")
            if source.override:
                args.append(f"override: {print_string(source.override)}")
            if graph in merged_field.used_overridden:
                args.append("usedOverridden: true")
            label = merged_field.labels.get(graph)
            if label is not None:
                args.append(f"overrideLabel: {print_string(label)}")
            result.append(f"@join__field({', '.join(args)})")
        return result

    def input_join(
        self, merged: MergedType, sources: dict[str, Argument], differ: bool
    ) -> list[str]:
        if not differ:
            return []
        return [
            f"@join__field(graph: {self.enum[g]}, type: {print_string(a.type)})"
            for g, a in sorted(sources.items(), key=lambda item: self.enum[item[0]])
        ]

    def input_value(self, argument: Argument, joins: list[str]) -> str:
        default = f" = {argument.default}" if argument.default is not None else ""
        directives = joins + self.common(argument.inaccessible, argument.tags)
        directives += [print_ast(d) for d in argument.directives]
        return (
            f"{_description(argument.description)}{argument.name}: {argument.type}{default} "
            f"{' '.join(directives)}"
        ).rstrip()

    def common(self, inaccessible: bool, tags: list[str]) -> list[str]:
        result: list[str] = []
        if inaccessible:
            self.uses_inaccessible = True
            result.append("@inaccessible")
        for tag in tags:
            self.uses_tag = True
            result.append(f"@tag(name: {print_string(tag)})")
        return result


def _description(text: str | None) -> str:
    return f"{print_string(text)} " if text else ""
