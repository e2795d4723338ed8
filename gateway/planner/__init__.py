"""Federation v2 query planning: (document, operation name) -> `QueryPlan` (plain data).

The stages, one module each, in the order a plan is made (see shared/PLANNER.md):

- `operation`   normalize the client operation: inline fragments, evaluate literal
                `@skip`/`@include`, keep variable ones as field conditions, merge fields.
- `query_graph` what each subgraph can resolve where: field edges (`@external`,
                `@provides`, `@override` and labels), `@requires`, key edges and the
                shortest chain of key jumps between subgraphs.
- `estimate`    price a sub-tree in a subgraph by the fetches it needs (shareable choices).
- `traversal`   walk the operation and fill the fetch dependency graph: local fields,
                entity jumps, `@requires` (planned first, then a fetch that waits),
                interfaces, unions, interface entities and `@interfaceObject`.
- `fetch_graph` the fetch groups, their selections and dependencies; optimization
                (drop useless groups, transitive reduction, merge siblings).
- `build`       emit `Fetch`/`Flatten`/`Sequence`/`Parallel`/`Condition` nodes and the
                exact operation text sent to each subgraph.
- `cache`       bounded LRU of plans keyed by supergraph, document, operation name,
                override labels and the caller's policy view.
- `planner`     `QueryPlanner`: the public entry point tying the stages together.

`plan` holds the plan data types the executor runs.
"""

from gateway.planner.cache import PlanCache, PlanKey
from gateway.planner.errors import PlanningError
from gateway.planner.planner import QueryPlanner

__all__ = ["PlanCache", "PlanKey", "PlanningError", "QueryPlanner"]
