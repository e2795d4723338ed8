"""The API schema: what clients see. The supergraph minus the link/join machinery, every
linked spec's elements and everything marked `@inaccessible`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
)

from gateway.supergraph.errors import SupergraphError
from gateway.supergraph.link import Links


def build_api_schema(document: DocumentNode, links: Links) -> GraphQLSchema:
    """Strip the supergraph down to the client-facing schema and build it."""
    stripper = _Stripper(links, document)
    definitions = [
        stripped
        for definition in document.definitions
        if (stripped := stripper.definition(definition)) is not None
    ]
    try:
        return build_ast_schema(DocumentNode(definitions=tuple(definitions)))
    except (GraphQLError, TypeError) as exc:
        message = f"the API schema derived from the supergraph is invalid: {exc}"
        raise SupergraphError(message) from exc


class _Stripper:
    def __init__(self, links: Links, document: DocumentNode) -> None:
        self.links = links
        self.inaccessible = links.inaccessible_directive
        self.hidden_types = {
            d.name.value
            for d in document.definitions
            if isinstance(d, TypeDefinitionNode) and self.hidden(d)
        }

    def definition(self, node: DefinitionNode) -> DefinitionNode | None:
        if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            return replace(node, directives=self.directives(node.directives))
        if isinstance(node, DirectiveDefinitionNode):
            return None if self.links.owns(node.name.value, directive=True) else node
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            name = node.name.value
            if self.links.owns(name, directive=False) or self.hidden(node):
                return None
            return self.type_definition(node)
        return node

    def type_definition(self, node: Any) -> DefinitionNode:
        changes: dict[str, Any] = {"directives": self.directives(node.directives)}
        if isinstance(node, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            changes["fields"] = tuple(
                replace(
                    f,
                    directives=self.directives(f.directives),
                    arguments=tuple(
                        replace(a, directives=self.directives(a.directives))
                        for a in f.arguments or ()
                        if not self.hidden(a)
                    ),
                )
                for f in node.fields or ()
                if not self.hidden(f)
            )
            changes["interfaces"] = tuple(
                i for i in node.interfaces or () if not self.hidden_type_ref(i)
            )
        elif isinstance(node, InputObjectTypeDefinitionNode):
            changes["fields"] = tuple(
                replace(f, directives=self.directives(f.directives))
                for f in node.fields or ()
                if not self.hidden(f)
            )
        elif isinstance(node, EnumTypeDefinitionNode):
            changes["values"] = tuple(
                replace(v, directives=self.directives(v.directives))
                for v in node.values or ()
                if not self.hidden(v)
            )
        elif isinstance(node, UnionTypeDefinitionNode):
            changes["types"] = tuple(t for t in node.types or () if not self.hidden_type_ref(t))
        return replace(node, **changes)

    def directives(
        self, directives: tuple[ConstDirectiveNode, ...] | None
    ) -> tuple[ConstDirectiveNode, ...]:
        return tuple(
            d for d in directives or () if not self.links.owns(d.name.value, directive=True)
        )

    def hidden(self, node: Any) -> bool:
        return self.inaccessible is not None and any(
            d.name.value == self.inaccessible for d in node.directives or ()
        )

    def hidden_type_ref(self, node: NamedTypeNode) -> bool:
        return node.name.value in self.hidden_types
