"""The error raised when an operation cannot be planned."""

from __future__ import annotations


class PlanningError(Exception):
    """An operation the planner cannot turn into fetches (unknown operation name, a field no
    subgraph can reach, an unsupported feature). `code` is stable for clients."""

    def __init__(self, message: str, code: str = "QUERY_PLANNING_FAILED") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def extensions(self) -> dict[str, str]:
        return {"code": self.code}
