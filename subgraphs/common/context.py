"""The per-request context of a subgraph: the database, the caller (the principal the
gateway signed for) and the request's DataLoaders.

Loaders live for one request, so entity loading is batched (one query for all the
representations of an `_entities` call) and cached only within that request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymongo.asynchronous.database import AsyncDatabase
from strawberry.dataloader import DataLoader

from policies.principal import ANONYMOUS, Principal

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

Fetch = Callable[[Iterable[K]], Awaitable[dict[K, V]]]


@dataclass
class SubgraphContext:
    db: AsyncDatabase[Any]
    principal: Principal = ANONYMOUS
    loaders: dict[str, DataLoader[Any, Any]] = field(default_factory=dict)

    def loader(self, name: str, fetch: Fetch[K, V]) -> DataLoader[K, V | None]:
        """The request's loader called `name`; `fetch` maps keys to found values in one
        query, and keys it does not return load as None."""
        existing = self.loaders.get(name)
        if existing is None:

            async def load(keys: list[K]) -> list[V | None]:
                found = await fetch(keys)
                return [found.get(key) for key in keys]

            existing = self.loaders[name] = DataLoader(load_fn=load)
        return existing
