"""The query plan executor: runs a `QueryPlan` against the subgraphs and shapes the result.

    executor = Executor.for_supergraph(supergraph, timeout=10.0)  # or Executor(api_schema, urls)
    response = await executor.execute(plan, document, operation_name, variables)
    await executor.aclose()

`execute` never raises for subgraph trouble: a failing or slow subgraph gives partial data
plus errors with a stable `extensions.code` (`ErrorCode`). Per-request headers for the
subgraph calls (e.g. a signed principal) go in `execute(..., headers=...)`. Subgraph errors
reach clients through `executor.passthrough`, marked as the subgraph's (`SubgraphError`), so
visibility enforcement can mask them per caller after the run.

Modules, in the order a request uses them: `execute` (plan walk), `representations`
(`_entities` inputs), `fetch` + `http` (subgraph calls), `rewrites` and `merge` (results into
the response data), `errors` (paths in the client's terms), `shape` (the client's operation
over the data), `introspection` (answered locally); `schema_index` is what they precompute.
"""

from gateway.executor.errors import ErrorCode
from gateway.executor.execute import Executor

__all__ = ["ErrorCode", "Executor"]
