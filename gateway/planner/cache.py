"""A bounded LRU cache of query plans, so a repeated operation costs no planning."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from gateway.planner.plan import QueryPlan


@dataclass(frozen=True, slots=True)
class PlanKey:
    """What a plan depends on: the supergraph, the document, which operation, the active
    override labels (that the supergraph uses) and the caller's policy view."""

    supergraph_hash: str
    document_hash: str
    operation_name: str | None
    override_labels: frozenset[str]
    view_key: str = ""


class PlanCache:
    def __init__(self, maxsize: int = 1024) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._plans: OrderedDict[PlanKey, QueryPlan] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: PlanKey) -> QueryPlan | None:
        with self._lock:
            plan = self._plans.get(key)
            if plan is None:
                self.misses += 1
                return None
            self._plans.move_to_end(key)
            self.hits += 1
            return plan

    def put(self, key: PlanKey, plan: QueryPlan) -> None:
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self.maxsize:
                self._plans.popitem(last=False)

    def __len__(self) -> int:
        return len(self._plans)

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()
