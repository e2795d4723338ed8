"""A small commerce ecosystem for executor tests: its API schema, its subgraphs, and plans.

orders owns orders (items and boxes hold Product keys), catalog owns product details,
shipping computes `shippingCost` from a required `weight`, billing owns account balances
keyed by a compound key `id org { id }`. Plans are written by hand, in the shapes PLANNER.md
gives, so the tests do not depend on the planner.
"""

from __future__ import annotations

import copy
from typing import Any

from executor_harness import Subgraph

from gateway.planner.plan import Fetch, FieldSelection, InlineFragment, Selection

API_SDL = """
type Query {
  order(id: ID!): Order
  orders: [Order!]!
  topProducts: [Product!]!
  search: [SearchResult!]!
}
type Mutation { m1: String m2: String m3: String }
type Order {
  id: ID!
  items: [Product!]!
  boxes: [Box!]!
  account: Account
  note: String
}
type Box { label: String items: [Product!]! }
type Product {
  sku: ID!
  name: String!
  weight: Float
  shippingCost: Int
  color: Color
  price(currency: String!): Float
}
type Account { id: ID! org: Org! balance: Int }
type Org { id: ID! }
enum Color { RED GREEN }
union SearchResult = Product | Order
"""

ORDERS: dict[str, dict[str, Any]] = {
    "o1": {
        "id": "o1",
        "note": "rush",
        "items": [{"sku": "p1"}, {"sku": "p2"}, {"sku": "p1"}],
        "boxes": [
            {"label": "A", "items": [{"sku": "p1"}, {"sku": "p2"}]},
            {"label": "B", "items": [{"sku": "p3"}]},
        ],
        "account": {"id": "a1", "org": {"id": "org9"}},
    },
    "empty": {"id": "empty", "items": [], "boxes": [], "account": None},
}

PRODUCTS: dict[str, dict[str, Any]] = {
    "p1": {"name": "Desk", "weight": 2.0, "color": "RED"},
    "p2": {"name": "Lamp", "weight": 0.5, "color": "GREEN"},
    "p3": {"name": "Chair", "weight": None, "color": "PURPLE"},
}


def orders_subgraph(**kwargs: Any) -> Subgraph:
    def order(_info: Any, id: str) -> dict[str, Any] | None:
        return copy.deepcopy(ORDERS.get(id))

    return Subgraph(
        "orders",
        """
        type Query { order(id: ID!): Order orders: [Order!]! search: [SearchResult!]! }
        type Order {
          id: ID! items: [Product!]! boxes: [Box!]! account: Account note: String
        }
        type Box { label: String items: [Product!]! }
        type Product { sku: ID! }
        type Account { id: ID! org: Org! }
        type Org { id: ID! }
        union SearchResult = Product | Order
        """,
        root={
            "order": order,
            "orders": lambda _info: [copy.deepcopy(o) for o in ORDERS.values()],
            "search": lambda _info: [
                {"__typename": "Product", "sku": "p2"},
                {"__typename": "Order", **copy.deepcopy(ORDERS["o1"])},
                {"__typename": "Product", "sku": "p1"},
            ],
        },
        **kwargs,
    )


def catalog_subgraph(**kwargs: Any) -> Subgraph:
    def product(representation: dict[str, Any]) -> dict[str, Any] | None:
        found = PRODUCTS.get(representation["sku"])
        if found is None:
            return None
        return {
            "sku": representation["sku"],
            **found,
            "price": lambda _info, currency: {"USD": 10.0, "EUR": 9.0}[currency],
        }

    return Subgraph(
        "catalog",
        """
        type Query { topProducts: [Product!]! }
        type Product {
          sku: ID! name: String! weight: Float color: Color price(currency: String!): Float
        }
        enum Color { RED GREEN PURPLE }
        """,
        root={"topProducts": lambda _info: [product({"sku": s}) for s in ("p2", "p1")]},
        entities={"Product": product},
        **kwargs,
    )


def shipping_subgraph(**kwargs: Any) -> Subgraph:
    def product(representation: dict[str, Any]) -> dict[str, Any]:
        weight = representation.get("weight")
        cost = None if weight is None else int(weight * 10)
        return {"sku": representation["sku"], "shippingCost": cost}

    return Subgraph(
        "shipping",
        "type Query { _unused: Int }\ntype Product { sku: ID! shippingCost: Int }",
        entities={"Product": product},
        **kwargs,
    )


def billing_subgraph(**kwargs: Any) -> Subgraph:
    def account(representation: dict[str, Any]) -> dict[str, Any]:
        return {"id": representation["id"], "balance": len(representation["org"]["id"]) * 100}

    return Subgraph(
        "billing",
        "type Query { _unused: Int }\ntype Account { id: ID! balance: Int }",
        entities={"Account": account},
        **kwargs,
    )


def field(name: str, *selections: Selection, alias: str | None = None) -> FieldSelection:
    return FieldSelection(name, tuple(selections), alias)


def on(type_name: str, *selections: Selection) -> InlineFragment:
    return InlineFragment(type_name, tuple(selections))


PRODUCT_KEY = (on("Product", field("__typename"), field("sku")),)


def entity_fetch(
    service: str,
    selection: str,
    requires: tuple[Selection, ...] = PRODUCT_KEY,
    variables: str = "",
    **kwargs: Any,
) -> Fetch:
    """An `_entities` fetch selecting `selection` (e.g. `... on Product { name }`)."""
    return Fetch(
        service,
        f"query($representations: [_Any!]!{variables}) "
        f"{{ _entities(representations: $representations) {{ {selection} }} }}",
        requires=requires,
        **kwargs,
    )
