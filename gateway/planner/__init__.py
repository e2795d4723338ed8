"""Federation v2 query planning: operation -> `QueryPlan` (plain data, cached)."""

from gateway.planner.cache import PlanCache, PlanKey
from gateway.planner.errors import PlanningError
from gateway.planner.planner import QueryPlanner

__all__ = ["PlanCache", "PlanKey", "PlanningError", "QueryPlanner"]
