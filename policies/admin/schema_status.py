"""The admin API's view of live schema reload: `schemaStatus` and `reloadSchema`.

The admin app does not depend on the gateway: it is given a `SchemaControl` (the gateway's
`SupergraphReloader` is one) and reads its status through the protocols below. Without
one (a gateway serving a fixed supergraph), both answer NOT_CONFIGURED.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import strawberry
from graphql import GraphQLError

NOT_CONFIGURED = "NOT_CONFIGURED"


class ProblemInfo(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def subgraph(self) -> str | None: ...


class FailureInfo(Protocol):
    @property
    def at(self) -> datetime: ...
    @property
    def problems(self) -> Sequence[ProblemInfo]: ...


class StatusInfo(Protocol):
    @property
    def generation(self) -> int: ...
    @property
    def supergraph_hash(self) -> str: ...
    @property
    def subgraphs(self) -> Sequence[str]: ...
    @property
    def loaded_at(self) -> datetime: ...
    @property
    def interval(self) -> float | None: ...
    @property
    def last_attempt_at(self) -> datetime | None: ...
    @property
    def last_failure(self) -> FailureInfo | None: ...


class SchemaControl(Protocol):
    """What the admin API needs of the gateway's reloader."""

    @property
    def status(self) -> StatusInfo: ...

    async def reload(self) -> bool: ...


def not_configured() -> GraphQLError:
    return GraphQLError(
        "This gateway serves a fixed supergraph: start it with a registry "
        "(`partnergraph serve --registry FILE` or `partnergraph dev`) to reload it live.",
        extensions={"code": NOT_CONFIGURED},
    )


@strawberry.type(description="One reason a schema reload failed.")
class ReloadProblemType:
    code: str
    message: str
    subgraph: str | None


@strawberry.type(description="The last failed reload; the previous schema kept serving.")
class ReloadErrorType:
    at: datetime
    problems: list[ReloadProblemType]


@strawberry.type(description="The supergraph this gateway serves, and how its reloads went.")
class SchemaStatus:
    generation: int = strawberry.field(description="1 at start, +1 at every swap.")
    supergraph_hash: str
    subgraphs: list[str]
    loaded_at: datetime
    reload_interval_seconds: float | None = strawberry.field(
        description="null: reloads only on demand (reloadSchema)."
    )
    last_attempt_at: datetime | None
    last_reload_error: ReloadErrorType | None = strawberry.field(
        description="null when the last reload succeeded (or none ran yet)."
    )

    @classmethod
    def of(cls, status: StatusInfo) -> SchemaStatus:
        failure = status.last_failure
        error = None
        if failure is not None:
            error = ReloadErrorType(
                at=failure.at,
                problems=[
                    ReloadProblemType(code=p.code, message=p.message, subgraph=p.subgraph)
                    for p in failure.problems
                ],
            )
        return cls(
            generation=status.generation,
            supergraph_hash=status.supergraph_hash,
            subgraphs=list(status.subgraphs),
            loaded_at=status.loaded_at,
            reload_interval_seconds=status.interval,
            last_attempt_at=status.last_attempt_at,
            last_reload_error=error,
        )


@strawberry.type(description="What a reloadSchema call did.")
class ReloadResult:
    changed: bool = strawberry.field(
        description="true: the gateway now serves a new supergraph; false: it was the same, "
        "or the reload failed (see status.lastReloadError)."
    )
    status: SchemaStatus
