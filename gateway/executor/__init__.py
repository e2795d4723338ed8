"""The query plan executor: runs a `QueryPlan` against the subgraphs and shapes the result.

executor = Executor(api_schema, {"orders": "http://...", "catalog": "http://..."})
response = await executor.execute(plan, document, operation_name, variables)
await executor.aclose()
"""

from gateway.executor.errors import ErrorCode
from gateway.executor.execute import Executor

__all__ = ["ErrorCode", "Executor"]
