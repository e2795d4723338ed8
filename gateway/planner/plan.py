"""Query plans as plain data.

A plan is a tree of `Sequence`, `Parallel`, `Fetch`, `Flatten` and `Condition` nodes. The
planner builds it; the executor only runs it (it never re-plans). Plans are immutable,
hashable, cached, and print as readable text for snapshot tests:

    QueryPlan {
      Sequence {
        Fetch(service: "orders") {
          query($id: ID!) { order(id: $id) { items { __typename sku } } }
        },
        Flatten(path: "order.items.@") {
          Fetch(service: "catalog") {
            { ... on Product { __typename sku } } =>
            query($representations: [_Any!]!) {
              _entities(representations: $representations) { ... on Product { name weight } } }
          },
        },
      },
    }

An entity fetch prints its `requires` (the projection that builds each representation),
then `=>`, then the exact operation sent (one line; wrapped here); rewrites follow on their
own lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# --- selections (used for `requires`, the projection that builds representations) ---------


@dataclass(frozen=True, slots=True)
class FieldSelection:
    """A field in a requires/representation selection. `alias` is the response key the
    parent fetch used for it, when it differs from `name`."""

    name: str
    selections: tuple[Selection, ...] = ()
    alias: str | None = None

    @property
    def response_key(self) -> str:
        return self.alias or self.name

    def __str__(self) -> str:
        head = f"{self.alias}: {self.name}" if self.alias else self.name
        return f"{head} {print_selections(self.selections)}" if self.selections else head


@dataclass(frozen=True, slots=True)
class InlineFragment:
    type_condition: str | None
    selections: tuple[Selection, ...]

    def __str__(self) -> str:
        on = f" on {self.type_condition}" if self.type_condition else ""
        return f"...{on} {print_selections(self.selections)}"


Selection = FieldSelection | InlineFragment


def print_selections(selections: tuple[Selection, ...]) -> str:
    return "{ " + " ".join(str(s) for s in selections) + " }"


# --- rewrites ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValueSetter:
    """Set the value at `path` (response keys; `... on T` steps filter by type) to `value`.
    Used as an input rewrite, e.g. a representation's `__typename` becomes an interface
    object's name."""

    path: tuple[str, ...]
    value: str

    def __str__(self) -> str:
        return f"ValueSetter({'/'.join(self.path)} = {self.value!r})"


@dataclass(frozen=True, slots=True)
class KeyRenamer:
    """Rename the key at `path` to `rename_key_to`. Used as an output rewrite when a fetch
    aliased a field to avoid a clash with a client's alias."""

    path: tuple[str, ...]
    rename_key_to: str

    def __str__(self) -> str:
        return f"KeyRenamer({'/'.join(self.path)} -> {self.rename_key_to})"


Rewrite = ValueSetter | KeyRenamer


# --- plan nodes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetch:
    """One request to one subgraph.

    `operation` is the exact GraphQL document sent. For an entity fetch, `requires` is
    non-empty: the executor projects each object at the enclosing `Flatten` path through
    `requires` to build the representations and sends them as `$representations`; the
    operation is then `query($representations:[_Any!]!, ...) { _entities(representations:
    $representations) { ... } }`. `variable_usages` are the client variables the operation
    declares and the executor forwards unchanged.
    """

    service: str
    operation: str
    operation_kind: Literal["query", "mutation"] = "query"
    variable_usages: tuple[str, ...] = ()
    requires: tuple[Selection, ...] = ()
    input_rewrites: tuple[Rewrite, ...] = ()
    output_rewrites: tuple[Rewrite, ...] = ()
    operation_name: str | None = None

    @property
    def is_entity_fetch(self) -> bool:
        return bool(self.requires)


@dataclass(frozen=True, slots=True)
class Flatten:
    """Run `node` at `path` (response keys; "@" fans out over a list's elements)."""

    path: tuple[str, ...]
    node: Fetch


@dataclass(frozen=True, slots=True)
class Sequence:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Parallel:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """Run `if_clause` when the boolean variable is true, else `else_clause`."""

    variable: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None = None


PlanNode = Fetch | Flatten | Sequence | Parallel | Condition


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """`node` is None when the operation needs no subgraph (only `__typename`/introspection)."""

    node: PlanNode | None

    def __str__(self) -> str:
        lines = ["QueryPlan {"]
        if self.node is not None:
            _print_node(self.node, 1, lines)
        lines.append("}")
        return "\n".join(lines)


def _print_node(node: PlanNode, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    match node:
        case Fetch():
            out.append(f'{pad}Fetch(service: "{node.service}") {{')
            if node.requires:
                out.append(f"{pad}  {print_selections(node.requires)} =>")
            for line in node.operation.strip().splitlines():
                out.append(f"{pad}  {line}")
            for rewrite in node.input_rewrites + node.output_rewrites:
                out.append(f"{pad}  {rewrite}")
            out.append(f"{pad}}},")
        case Flatten():
            out.append(f'{pad}Flatten(path: "{".".join(node.path)}") {{')
            _print_node(node.node, depth + 1, out)
            out.append(f"{pad}}},")
        case Sequence() | Parallel():
            out.append(f"{pad}{type(node).__name__} {{")
            for child in node.nodes:
                _print_node(child, depth + 1, out)
            out.append(f"{pad}}},")
        case Condition():
            out.append(f"{pad}Condition(if: ${node.variable}) {{")
            if node.if_clause is not None:
                out.append(f"{pad}  Then {{")
                _print_node(node.if_clause, depth + 2, out)
                out.append(f"{pad}  }}")
            if node.else_clause is not None:
                out.append(f"{pad}  Else {{")
                _print_node(node.else_clause, depth + 2, out)
                out.append(f"{pad}  }}")
            out.append(f"{pad}}},")
