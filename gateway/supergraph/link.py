"""The `@link` layer of a supergraph: which specs it uses and under which names.

Specs can be renamed (`as:`) and their elements imported under other names, so every later
stage asks this module for the real name of, say, `join__type` instead of assuming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql import (
    ArgumentNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
    value_from_ast_untyped,
)

from gateway.supergraph.errors import SupergraphError

LINK_IDENTITY = "https://specs.apollo.dev/link"
JOIN_IDENTITY = "https://specs.apollo.dev/join"
INACCESSIBLE_IDENTITY = "https://specs.apollo.dev/inaccessible"

# Specs the gateway implements, by identity -> supported versions.
SUPPORTED: dict[str, frozenset[str]] = {
    LINK_IDENTITY: frozenset({"v1.0"}),
    JOIN_IDENTITY: frozenset({"v0.2", "v0.3", "v0.4", "v0.5"}),
    INACCESSIBLE_IDENTITY: frozenset({"v0.1", "v0.2"}),
    "https://specs.apollo.dev/tag": frozenset({"v0.1", "v0.2", "v0.3"}),
}

_URL = re.compile(r"^(?P<identity>.+)/(?P<name>[_A-Za-z][_0-9A-Za-z-]*)/(?P<version>v\d+\.\d+)/?$")


@dataclass(frozen=True, slots=True)
class Link:
    """One `@link` application: the spec and the names its elements go by in this schema."""

    url: str
    identity: str
    name: str
    version: str
    namespace: str
    purpose: str | None = None
    imports: dict[str, str] = field(default_factory=dict)  # "@dir"/"Type" -> local name

    def directive(self, element: str) -> str:
        """Local name of the spec's directive `element` (without the @)."""
        imported = self.imports.get("@" + element)
        if imported is not None:
            return imported.lstrip("@")
        if element == self.name:
            return self.namespace
        return f"{self.namespace}__{element}"

    def type(self, element: str) -> str:
        """Local name of the spec's type `element`."""
        return self.imports.get(element) or f"{self.namespace}__{element}"

    def owns(self, name: str, *, directive: bool) -> bool:
        """Whether a schema element named `name` belongs to this spec."""
        if name.startswith(self.namespace + "__"):
            return True
        if directive:
            if name == self.namespace:
                return True
            return any(
                key.startswith("@") and local.lstrip("@") == name
                for key, local in self.imports.items()
            )
        return any(not key.startswith("@") and local == name for key, local in self.imports.items())

    def __str__(self) -> str:
        extra = f" as {self.namespace}" if self.namespace != self.name else ""
        purpose = f" for {self.purpose}" if self.purpose else ""
        return f"{self.identity}/{self.version}{extra}{purpose}"


@dataclass(frozen=True, slots=True)
class Links:
    """All `@link`s of a supergraph, with the join and inaccessible specs picked out."""

    links: tuple[Link, ...]
    join: Link
    inaccessible: Link | None

    def owns(self, name: str, *, directive: bool) -> bool:
        return any(link.owns(name, directive=directive) for link in self.links)

    @property
    def inaccessible_directive(self) -> str | None:
        return self.inaccessible.directive("inaccessible") if self.inaccessible else None


def read_links(document: DocumentNode) -> Links:
    """Read the schema's `@link`s and refuse specs the gateway cannot honour."""
    applications = [
        directive
        for definition in document.definitions
        if isinstance(definition, SchemaDefinitionNode | SchemaExtensionNode)
        for directive in definition.directives or ()
    ]
    link_name = "link"
    # The link spec may itself be renamed: find the application that links it.
    for directive in applications:
        url = _string_arg(directive.arguments, "url")
        if url and url.startswith(LINK_IDENTITY + "/"):
            link_name = _string_arg(directive.arguments, "as") or "link"
    links = [
        _read_link(directive.arguments)
        for directive in applications
        if directive.name.value == link_name
    ]
    if not any(link.identity == LINK_IDENTITY for link in links):
        raise SupergraphError(
            "the schema does not @link the link spec (https://specs.apollo.dev/link/v1.0): "
            "it is not a Federation 2 supergraph (Federation 1 `@core` supergraphs are not "
            "supported; recompose with Federation 2)"
        )
    for link in links:
        supported = SUPPORTED.get(link.identity)
        if supported is not None and link.version not in supported:
            raise SupergraphError(
                f"@link(url: {link.url!r}): version {link.version} of {link.name} is not "
                f"supported (supported: {', '.join(sorted(supported))})"
            )
        if supported is None and link.purpose in ("SECURITY", "EXECUTION"):
            raise SupergraphError(
                f"@link(url: {link.url!r}, for: {link.purpose}): the gateway does not "
                f"implement the {link.name} spec, and the supergraph says it is needed for "
                f"{link.purpose.lower()}; remove it from the subgraphs or use a gateway that "
                "implements it"
            )
    joins = [link for link in links if link.identity == JOIN_IDENTITY]
    if len(joins) != 1:
        raise SupergraphError(
            "a supergraph must @link the join spec (https://specs.apollo.dev/join/v0.2 to "
            f"v0.5) exactly once; found {len(joins)}"
        )
    inaccessible = next((ln for ln in links if ln.identity == INACCESSIBLE_IDENTITY), None)
    return Links(links=tuple(links), join=joins[0], inaccessible=inaccessible)


def _read_link(arguments: tuple[ArgumentNode, ...] | None) -> Link:
    url = _string_arg(arguments, "url")
    if not url:
        raise SupergraphError("@link without a `url` argument")
    match = _URL.match(url)
    if not match:
        raise SupergraphError(f"@link(url: {url!r}): not a spec URL (…/name/vX.Y)")
    name = match["name"]
    namespace = _string_arg(arguments, "as") or name
    purpose = None
    imports: dict[str, str] = {}
    for argument in arguments or ():
        if argument.name.value == "for":
            purpose = getattr(argument.value, "value", None)
        elif argument.name.value == "import":
            imports = _read_imports(url, argument.value)
    return Link(
        url=url,
        identity=f"{match['identity']}/{name}",
        name=name,
        version=match["version"],
        namespace=namespace,
        purpose=purpose,
        imports=imports,
    )


def _read_imports(url: str, value: ValueNode) -> dict[str, str]:
    imports: dict[str, str] = {}
    items = value.values if isinstance(value, ListValueNode) else (value,)
    for item in items:
        if isinstance(item, StringValueNode):
            imports[item.value] = item.value
        elif isinstance(item, ObjectValueNode):
            data = value_from_ast_untyped(item)
            name, local = data.get("name"), data.get("as", data.get("name"))
            if not isinstance(name, str) or not isinstance(local, str):
                raise SupergraphError(f"@link(url: {url!r}): bad import {data!r}")
            imports[name] = local
        else:
            raise SupergraphError(f"@link(url: {url!r}): imports must be strings or objects")
    return imports


def _string_arg(arguments: tuple[ArgumentNode, ...] | None, name: str) -> str | None:
    for argument in arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None
