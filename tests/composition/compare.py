"""Compare two supergraphs the way the differential test needs: the API schema printed
lexicographically sorted, and the join metadata as sets of applications per element.

Normalization (where two correct composers legitimately differ):
- a field with no `@join__field` means "in every subgraph of its type"; it is expanded to one
  plain application per such subgraph, so omitting a redundant `@join__field` and printing it
  compare equal;
- the order of types, fields, directives and subgraphs is ignored (sets);
- field sets (`key`, `requires`, `provides`) are compared parsed, not as text: the npm tool
  prints them minified;
- descriptions are part of the API schema comparison (they are client-visible).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueNode,
    FieldDefinitionNode,
    InputValueDefinitionNode,
    TypeDefinitionNode,
    lexicographic_sort_schema,
    parse,
    print_ast,
    print_schema,
    value_from_ast_untyped,
)

from gateway.supergraph import Supergraph

Applications = frozenset[tuple[tuple[str, Any], ...]]


def sorted_api(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(Supergraph.from_sdl(sdl).api_schema))


def join_metadata(sdl: str) -> dict[str, Applications]:
    """Element coordinate ("Type", "Type.field", "Enum.VALUE", "@graphs") -> its join
    applications, each as sorted (argument, value) pairs with the directive name first."""
    document: DocumentNode = parse(sdl)
    graphs: dict[str, str] = {}
    result: dict[str, Applications] = {}
    for definition in document.definitions:
        if (
            isinstance(definition, EnumTypeDefinitionNode)
            and definition.name.value == "join__Graph"
        ):
            for value in definition.values or ():
                args = _args((value.directives or ())[0])
                graphs[value.name.value] = args["name"]
            result["@graphs"] = frozenset(
                (("name", a["name"]), ("url", a["url"]))
                for a in (_args((v.directives or ())[0]) for v in definition.values or ())
            )
    for definition in document.definitions:
        if not isinstance(definition, TypeDefinitionNode):
            continue
        name = definition.name.value
        if name.startswith(("join__", "link__")):
            continue
        type_apps = _apps(
            definition, graphs, ("join__type", "join__implements", "join__unionMember")
        )
        result[name] = type_apps
        type_graphs = {dict(a)["graph"] for a in type_apps if dict(a)["@"] == "join__type"}
        for child in (
            getattr(definition, "fields", None) or getattr(definition, "values", None) or ()
        ):
            coordinate = f"{name}.{child.name.value}"
            names = (
                ("join__field",)
                if not isinstance(definition, EnumTypeDefinitionNode)
                else ("join__enumValue",)
            )
            apps = _apps(child, graphs, names)
            if not apps and isinstance(child, FieldDefinitionNode | InputValueDefinitionNode):
                apps = frozenset((("@", "join__field"), ("graph", g)) for g in type_graphs)
            result[coordinate] = apps
    return result


def _apps(node: Any, graphs: dict[str, str], names: tuple[str, ...]) -> Applications:
    found = []
    for directive in node.directives or ():
        if directive.name.value in names:
            args = _args(directive)
            if "graph" in args:
                args["graph"] = graphs.get(args["graph"], args["graph"])
            for set_name in ("key", "requires", "provides"):
                if isinstance(args.get(set_name), str):
                    args[set_name] = _field_set(args[set_name])
            for flag in ("resolvable",):
                if args.get(flag) is True:
                    del args[flag]
            for flag in ("extension", "isInterfaceObject", "external", "usedOverridden"):
                if args.get(flag) is False:
                    del args[flag]
            found.append(tuple(sorted({"@": directive.name.value, **args}.items())))
    return frozenset(found)


def _field_set(text: str) -> str:
    """The npm tool minifies field sets ("dims{w h}"); compare them by their parsed form."""
    return print_ast(parse("{" + text + "}", no_location=True))


def _args(directive: DirectiveNode) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for argument in directive.arguments or ():
        if isinstance(argument.value, EnumValueNode):
            args[argument.name.value] = argument.value.value
        else:
            args[argument.name.value] = value_from_ast_untyped(argument.value)
    return args


def differences(ours: str, theirs: str) -> list[str]:
    """Human-readable differences; empty when the supergraphs are equivalent."""
    problems: list[str] = []
    if sorted_api(ours) != sorted_api(theirs):
        import difflib

        diff = difflib.unified_diff(
            sorted_api(theirs).splitlines(),
            sorted_api(ours).splitlines(),
            "npm",
            "ours",
            lineterm="",
        )
        problems.append("API schema differs:\n" + "\n".join(diff))
    a, b = join_metadata(ours), join_metadata(theirs)
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            problems.append(f"{key}: ours {sorted(a.get(key, ()))} != npm {sorted(b.get(key, ()))}")
    return problems
